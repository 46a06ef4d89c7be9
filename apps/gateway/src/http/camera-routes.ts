import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CAMERA_ID, type CameraInput, type CameraManager, type CameraPatch } from '../cameras/camera-manager.js';
import { errors } from '../errors.js';
import { sendProblem } from './problem.js';

/** 64 KiB: a camera is a few hundred bytes of JSON; a larger body is not one (S13). */
const API_BODY_LIMIT = 64 * 1024;
/**
 * 10 wrong API keys per address per minute, then 429 until the minute is over (S12): guessing a
 * key gets slow. The address is the socket's, or the client's as told by a trusted reverse
 * proxy (`trustProxy`): X-Forwarded-For from anyone else is ignored, or a client could claim a new
 * address for every guess.
 */
const MAX_KEY_FAILURES = 10;
const KEY_FAILURE_WINDOW_MS = 60_000;
/** 10,000 addresses tracked: bounds the table under a distributed guess. */
const MAX_TRACKED_ADDRESSES = 10_000;
/**
 * API requests per client address: 20 per second on average, bursts of 100 (S13). A dashboard
 * polls once every few seconds; a script adding fifty cameras fits in a burst. Playback is not
 * limited here (players make several requests a second by design).
 */
const API_RATE_PER_S = 20;
const API_BURST = 100;
/** 100 cameras per page at most; 50 by default. */
const MAX_PER_PAGE = 100;

export interface CameraRoutesOptions {
  cameras: CameraManager;
  /** When set, `/v1` needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
}

const settings = {
  name: { type: 'string', minLength: 1, maxLength: 200, description: 'Shown in the dashboard' },
  url: {
    type: 'string',
    minLength: 1,
    maxLength: 2048,
    description: 'rtsp:// or rtsps:// URL; credentials in it are stored, never shown (the password reads ***)',
  },
  transport: { type: 'string', enum: ['auto', 'tcp', 'udp'], description: 'auto: TCP, then UDP if refused' },
  onDemand: { type: 'boolean', description: 'Pull the camera only while someone watches' },
  audio: { type: 'string', enum: ['auto', 'off'] },
  enabled: { type: 'boolean' },
} as const;

const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

const cameraSchema = {
  $id: 'camera',
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    url: { type: 'string', description: 'Password replaced by ***' },
    transport: settings.transport,
    onDemand: { type: 'boolean' },
    audio: settings.audio,
    enabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    status: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['idle', 'connecting', 'streaming', 'retrying', 'failed', 'disabled'] },
        since: { type: 'string', format: 'date-time' },
        lastError: {
          type: ['object', 'null'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string' } },
        },
        reconnects: { type: 'integer' },
        tracks: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              kind: { type: 'string' },
              codec: { type: 'string' },
              codecString: { type: 'string' },
              width: { type: 'integer' },
              height: { type: 'integer' },
              fps: { type: 'number' },
              sampleRate: { type: 'integer' },
              channels: { type: 'integer' },
              browserPlayable: { type: 'boolean' },
              reason: { type: 'string' },
            },
          },
        },
        bitrate: { type: 'integer', description: 'bits per second over the last 5 s' },
        bytesReceived: { type: 'integer' },
        framesReceived: { type: 'integer' },
        framesDropped: { type: 'integer' },
        lastFrameAt: { type: ['string', 'null'] },
        viewers: { type: 'integer' },
      },
    },
    links: {
      type: 'object',
      properties: {
        playlist: { type: 'string', description: 'LL-HLS multivariant playlist' },
        standardPlaylist: {
          type: 'string',
          description: 'the same stream as standard HLS (whole segments, no blocking requests)',
        },
        embed: { type: 'string' },
        snippet: { type: 'string' },
      },
    },
  },
} as const;

const errorResponses = {
  400: { ...problemSchema, description: 'Invalid input (CAMGATE_ERR_VALIDATION), naming each field' },
  401: { ...problemSchema, description: 'API key missing or wrong (CAMGATE_ERR_UNAUTHORIZED)' },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64 } },
} as const;

/** `/v1/cameras`: the REST API for the camera registry (problem+json errors, OpenAPI at /openapi.json). */
export function registerCameraRoutes(app: FastifyInstance, options: CameraRoutesOptions): void {
  const { cameras } = options;
  app.addSchema(cameraSchema);
  void app.register(
    (api, _opts, done) => {
      // JSON only: a cross-site form or text/plain POST cannot add a camera (S10).
      api.removeContentTypeParser(['text/plain']);
      const buckets = new AddressTable<{ tokens: number; at: number }>();
      api.addHook('onRequest', async (request, reply) => {
        const now = Date.now();
        const bucket = buckets.getOrAdd(request.ip, () => ({ tokens: API_BURST, at: now }));
        bucket.tokens = Math.min(API_BURST, bucket.tokens + ((now - bucket.at) / 1000) * API_RATE_PER_S);
        bucket.at = now;
        if (bucket.tokens < 1) {
          const retryAfter = Math.ceil((1 - bucket.tokens) / API_RATE_PER_S);
          reply.header('retry-after', retryAfter);
          return sendProblem(reply, errors.rateLimited(retryAfter, 'too many API requests from this address'));
        }
        bucket.tokens -= 1;
        return undefined;
      });
      if (options.apiKey !== undefined && options.apiKey !== '') {
        const expected = digest(options.apiKey);
        const failures = new AddressTable<{ count: number; since: number }>();
        api.addHook('onRequest', async (request, reply) => {
          const now = Date.now();
          const address = request.ip;
          let entry = failures.get(address);
          if (entry !== undefined && now - entry.since >= KEY_FAILURE_WINDOW_MS) {
            failures.delete(address);
            entry = undefined;
          }
          if (entry !== undefined && entry.count >= MAX_KEY_FAILURES) {
            const retryAfter = Math.ceil((entry.since + KEY_FAILURE_WINDOW_MS - now) / 1000);
            reply.header('retry-after', retryAfter);
            return sendProblem(reply, errors.rateLimited(retryAfter));
          }
          const header = request.headers.authorization ?? '';
          const key = /^Bearer +(.+)$/i.exec(header)?.[1] ?? '';
          // Compared as fixed-length digests: constant time whatever the key's length (S12).
          if (timingSafeEqual(digest(key), expected)) return undefined;
          failures.getOrAdd(address, () => ({ count: 0, since: now })).count++;
          return sendProblem(reply, errors.unauthorized());
        });
      }

      api.addHook('preHandler', async (request, reply) => {
        const { id } = (request.params ?? {}) as { id?: unknown };
        // Log lines of a request about one camera name it.
        if (typeof id === 'string') request.log = reply.log = request.log.child({ camera: id });
      });

      api.post<{ Body: CameraInput }>(
        '/cameras',
        {
          bodyLimit: API_BODY_LIMIT,
          schema: {
            summary: 'Add a camera',
            tags: ['cameras'],
            body: {
              type: 'object',
              required: ['name', 'url'],
              additionalProperties: false,
              properties: {
                id: { type: 'string', minLength: 1, maxLength: 64, pattern: CAMERA_ID.source },
                ...settings,
              },
            },
            response: {
              201: { $ref: 'camera#' },
              ...errorResponses,
              409: { ...problemSchema, description: 'Duplicate id or camera limit' },
            },
          },
        },
        async (request, reply) => {
          const camera = await cameras.create(request.body);
          return reply.code(201).header('location', `/v1/cameras/${camera.id}`).send(camera);
        },
      );

      api.get<{ Querystring: { page: number; perPage: number } }>(
        '/cameras',
        {
          schema: {
            summary: 'List cameras',
            tags: ['cameras'],
            querystring: {
              type: 'object',
              additionalProperties: false,
              properties: {
                page: { type: 'integer', minimum: 1, default: 1 },
                perPage: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: 50 },
              },
            },
            response: {
              200: {
                type: 'object',
                properties: {
                  items: { type: 'array', items: { $ref: 'camera#' } },
                  total: { type: 'integer' },
                  page: { type: 'integer' },
                  perPage: { type: 'integer' },
                  pageCount: { type: 'integer' },
                },
              },
              ...errorResponses,
            },
          },
        },
        (request, reply) => {
          const { page, perPage } = request.query;
          const all = cameras.list();
          return reply.send({
            items: all.slice((page - 1) * perPage, page * perPage),
            total: all.length,
            page,
            perPage,
            pageCount: Math.ceil(all.length / perPage),
          });
        },
      );

      api.get<{ Params: { id: string } }>(
        '/cameras/:id',
        {
          schema: {
            summary: 'One camera with its live status',
            tags: ['cameras'],
            params: idParams,
            response: { 200: { $ref: 'camera#' }, 404: problemSchema, ...errorResponses },
          },
        },
        (request, reply) => {
          const camera = cameras.get(request.params.id);
          if (camera === undefined) throw errors.cameraNotFound(request.params.id);
          return reply.send(camera);
        },
      );

      api.patch<{ Params: { id: string }; Body: CameraPatch }>(
        '/cameras/:id',
        {
          bodyLimit: API_BODY_LIMIT,
          schema: {
            summary: 'Change a camera (a new URL or transport restarts its session only)',
            tags: ['cameras'],
            params: idParams,
            body: { type: 'object', additionalProperties: false, properties: settings },
            response: { 200: { $ref: 'camera#' }, 404: problemSchema, ...errorResponses },
          },
        },
        async (request) => cameras.update(request.params.id, request.body),
      );

      api.delete<{ Params: { id: string } }>(
        '/cameras/:id',
        {
          schema: {
            summary: 'Remove a camera: its session, stream and URLs go away',
            tags: ['cameras'],
            params: idParams,
            response: { 204: { type: 'null', description: 'Removed' }, 404: problemSchema, ...errorResponses },
          },
        },
        async (request, reply) => {
          await cameras.delete(request.params.id);
          return reply.code(204).send();
        },
      );
      done();
    },
    { prefix: '/v1' },
  );
}

/** State per client address, bounded: when full, the oldest address is forgotten. */
class AddressTable<T> {
  readonly #entries = new Map<string, T>();

  get(address: string): T | undefined {
    return this.#entries.get(address);
  }

  delete(address: string): void {
    this.#entries.delete(address);
  }

  getOrAdd(address: string, create: () => T): T {
    let entry = this.#entries.get(address);
    if (entry === undefined) {
      if (this.#entries.size >= MAX_TRACKED_ADDRESSES)
        this.#entries.delete(this.#entries.keys().next().value as string);
      entry = create();
      this.#entries.set(address, entry);
    }
    return entry;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
