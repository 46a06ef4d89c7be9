import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CAMERA_ID,
  type CameraInput,
  type CameraManager,
  type CameraPatch,
  type CameraView,
} from '../cameras/camera-manager.js';
import { DEFAULT_PROBE_MS } from '../cameras/camera-probe.js';
import { errors, type GatewayError } from '../errors.js';
import { cameraLinks, gatewayBase } from './camera-links.js';
import { clientLeft } from './client-left.js';
import { sendProblem } from './problem.js';

/** 64 KiB: a camera is a few hundred bytes of JSON; a larger body is not one (S13). */
const API_BODY_LIMIT = 64 * 1024;
/**
 * 10 wrong API keys per address per minute, then 429 for wrong keys until the minute is over
 * (S12, docs/security.md): failures are throttled, never the holder of the key, so a typo (or an
 * attacker) behind the same proxy address cannot lock out the right key. The address is the
 * socket's, or the client's as told by a trusted reverse proxy (`trustProxy`): X-Forwarded-For
 * from anyone else is ignored, or a client could claim a new address for every guess. What makes
 * guessing hopeless is the key's length (at least MIN_API_KEY_LENGTH characters, config.ts).
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
/** Pages up to 10,000: the registry holds at most 10,000 cameras. */
const MAX_PAGE = 10_000;

/** Connection tests receive 0.5-10 s: long enough to see a GOP of any camera, short for a form. */
const MIN_PROBE_MS = 500;
const MAX_PROBE_MS = 10_000;

export interface CameraRoutesOptions {
  cameras: CameraManager;
  /** When set, `/v1` needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** The absolute URL viewers reach the gateway at (CAMGATE_PUBLIC_URL): links are built on it. */
  publicUrl?: string | undefined;
}

const settings = {
  name: { type: 'string', minLength: 1, maxLength: 200, 'x-camera-name': true, description: 'Shown in the dashboard' },
  url: {
    type: 'string',
    minLength: 1,
    maxLength: 2048,
    'x-camera-url': true,
    description:
      'rtsp:// or rtsps:// URL. Credentials in it (user:password@, or parameters such as password=) are stored and never shown: answers show them as ***, and a URL sent back with *** or without a password keeps the stored one when the host and user name are unchanged.',
  },
  username: {
    type: ['string', 'null'],
    maxLength: 256,
    description: 'Write-only: the user name (instead of putting it in the URL); null removes user and password',
  },
  password: {
    type: ['string', 'null'],
    maxLength: 256,
    description: 'Write-only: the password (instead of putting it in the URL); null or "" removes it; *** is refused',
  },
  transport: { type: 'string', enum: ['auto', 'tcp', 'udp'], description: 'auto: TCP, then UDP if refused' },
  onDemand: { type: 'boolean', description: 'Pull the camera only while someone watches' },
  audio: { type: 'string', enum: ['auto', 'off'] },
  enabled: { type: 'boolean' },
  allowDuplicateSource: {
    type: 'boolean',
    description:
      'Add or change the camera even though another camera pulls the same stream (a second RTSP session to the camera). Not stored.',
  },
} as const;

/** A new camera's settings: as a change's, but credentials cannot be null (there is nothing to remove). */
const newCameraSettings = {
  ...settings,
  username: { ...settings.username, type: 'string' },
  password: { ...settings.password, type: 'string' },
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
    url: { type: 'string', description: 'Passwords and secret parameters replaced by ***' },
    hasPassword: { type: 'boolean', description: 'The stored URL carries a password' },
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
          description: 'Why the camera last failed; never null while the state is failed',
          properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string' } },
        },
        nextAttemptAt: {
          type: ['string', 'null'],
          description: 'When the gateway tries the camera again (retrying or failed)',
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
  429: { ...problemSchema, description: 'Too many requests or wrong keys (CAMGATE_ERR_RATE_LIMITED)' },
} as const;

const conflictResponse = {
  ...problemSchema,
  properties: { ...problemSchema.properties, existingId: { type: 'string' } },
  description:
    'Duplicate id (CAMGATE_ERR_CAMERA_EXISTS), camera limit (CAMGATE_ERR_CAMERA_LIMIT), or a stream another camera pulls already (CAMGATE_ERR_DUPLICATE_SOURCE, with existingId)',
} as const;

const trackReport = {
  type: 'object',
  properties: {
    ...cameraSchema.properties.status.properties.tracks.items.properties,
    frames: { type: 'integer' },
    keyframes: { type: 'integer' },
  },
} as const;

const probeResult = {
  type: 'object',
  properties: {
    transport: { type: 'string', enum: ['tcp', 'udp'] },
    tracks: { type: 'array', items: trackReport },
    unsupportedTracks: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: { type: 'string' }, encoding: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    durationMs: { type: 'integer' },
  },
} as const;

const probeFailure = {
  ...problemSchema,
  properties: {
    ...problemSchema.properties,
    cameraError: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
  description: 'The camera could not be received (CAMGATE_ERR_PROBE_FAILED): cameraError has the code and reason',
} as const;

const probeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    durationMs: {
      type: 'integer',
      minimum: MIN_PROBE_MS,
      maximum: MAX_PROBE_MS,
      default: DEFAULT_PROBE_MS,
      description: 'How long to receive once the camera plays',
    },
  },
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
  const present = (request: FastifyRequest, view: CameraView) => ({
    ...view,
    links: cameraLinks(view.id, gatewayBase(request, options.publicUrl)),
  });
  void app.register(
    (api, _opts, done) => {
      // JSON only: a cross-site form or text/plain POST cannot add a camera (S10).
      api.removeContentTypeParser(['text/plain']);
      api.addHook('onRequest', apiGuard(options.apiKey));

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
                ...newCameraSettings,
              },
            },
            response: { 201: { $ref: 'camera#' }, ...errorResponses, 409: conflictResponse },
          },
        },
        async (request, reply) => {
          const camera = present(request, await cameras.create(request.body));
          return reply.code(201).header('location', `/v1/cameras/${camera.id}`).send(camera);
        },
      );

      api.post<{ Body: CameraInput; Querystring: { durationMs: number } }>(
        '/cameras/probe',
        {
          bodyLimit: API_BODY_LIMIT,
          schema: {
            summary: 'Test a camera before adding it: connect, receive a few seconds, report its tracks; saves nothing',
            tags: ['cameras'],
            querystring: probeQuery,
            body: {
              type: 'object',
              required: ['url'],
              additionalProperties: false,
              properties: {
                id: { type: 'string', maxLength: 64 },
                ...newCameraSettings,
              },
            },
            response: { 200: probeResult, ...errorResponses, 422: probeFailure },
          },
        },
        async (request, reply) =>
          cameras.probe(request.body, { durationMs: request.query.durationMs, signal: clientLeft(reply) }),
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
                page: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1 },
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
            items: all.slice((page - 1) * perPage, page * perPage).map((view) => present(request, view)),
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
          return reply.send(present(request, camera));
        },
      );

      api.patch<{ Params: { id: string }; Body: CameraPatch }>(
        '/cameras/:id',
        {
          bodyLimit: API_BODY_LIMIT,
          schema: {
            summary:
              'Change a camera (a new URL or transport restarts its session only). A URL without a password, or with ***, keeps the stored password.',
            tags: ['cameras'],
            params: idParams,
            body: { type: 'object', additionalProperties: false, properties: settings },
            response: { 200: { $ref: 'camera#' }, 404: problemSchema, ...errorResponses, 409: conflictResponse },
          },
        },
        async (request) => present(request, await cameras.update(request.params.id, request.body)),
      );

      api.post<{ Params: { id: string }; Body: CameraPatch; Querystring: { durationMs: number } }>(
        '/cameras/:id/probe',
        {
          bodyLimit: API_BODY_LIMIT,
          schema: {
            summary:
              'Test a change to a camera before saving it (same body as PATCH, the stored password used): connect, receive, report; saves nothing',
            tags: ['cameras'],
            params: idParams,
            querystring: probeQuery,
            body: { type: 'object', additionalProperties: false, properties: settings },
            response: { 200: probeResult, 404: problemSchema, ...errorResponses, 422: probeFailure },
          },
        },
        async (request, reply) =>
          cameras.probeChange(request.params.id, request.body, {
            durationMs: request.query.durationMs,
            signal: clientLeft(reply),
          }),
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

/**
 * The API's door: the key (when there is one) and the request rates (S12, S13). A request with
 * the right key is limited only by the holders' rate per address; wrong and missing keys have
 * their own, much lower, budget per address, so failures never use up the holders' (a typo behind
 * a shared proxy address must not lock out the right key).
 */
function apiGuard(apiKey: string | undefined) {
  const holders = new TokenBuckets();
  // Requests without a key are not guesses (a dashboard opened before its key is typed, a monitor):
  // limited as requests, never counted as wrong keys.
  const keyless = new TokenBuckets();
  const failures = new AddressTable<{ count: number; since: number }>();
  const expected = apiKey === undefined || apiKey === '' ? undefined : digest(apiKey);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const now = Date.now();
    const address = request.ip;
    if (expected !== undefined) {
      const header = request.headers.authorization ?? '';
      const key = /^Bearer +(.+)$/i.exec(header)?.[1] ?? '';
      // Compared as fixed-length digests: constant time whatever the key's length (S12).
      if (!timingSafeEqual(digest(key), expected)) {
        if (key === '') {
          const refused = keyless.take(address, now);
          if (refused !== undefined) return sendProblem(reply, refused);
        } else {
          let entry = failures.get(address);
          if (entry !== undefined && now - entry.since >= KEY_FAILURE_WINDOW_MS) {
            failures.delete(address);
            entry = undefined;
          }
          entry ??= failures.getOrAdd(address, () => ({ count: 0, since: now }));
          if (entry.count >= MAX_KEY_FAILURES) {
            const retryAfter = Math.max(1, Math.ceil((entry.since + KEY_FAILURE_WINDOW_MS - now) / 1000));
            return sendProblem(reply, errors.rateLimited(retryAfter));
          }
          entry.count++;
        }
        // RFC 6750 §3: a 401 names the scheme the client should use.
        reply.header(
          'www-authenticate',
          key === '' ? 'Bearer realm="camgate"' : 'Bearer realm="camgate", error="invalid_token"',
        );
        return sendProblem(reply, errors.unauthorized());
      }
    }
    const refused = holders.take(address, now);
    return refused === undefined ? undefined : sendProblem(reply, refused);
  };
}

/** API requests per client address: a token bucket each (API_RATE_PER_S, bursts of API_BURST). */
class TokenBuckets {
  readonly #buckets = new AddressTable<{ tokens: number; at: number }>();

  /** Takes a token for `address`; the 429 to answer when there is none. */
  take(address: string, now: number): GatewayError | undefined {
    const bucket = this.#buckets.getOrAdd(address, () => ({ tokens: API_BURST, at: now }));
    bucket.tokens = Math.min(API_BURST, bucket.tokens + ((now - bucket.at) / 1000) * API_RATE_PER_S);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    const retryAfter = Math.ceil((1 - bucket.tokens) / API_RATE_PER_S);
    return errors.rateLimited(retryAfter, 'too many API requests from this address');
  }
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
