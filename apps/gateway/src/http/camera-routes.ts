import type { FastifyInstance } from 'fastify';
import type { FastifyRequest } from 'fastify';
import {
  CAMERA_ID,
  type CameraInput,
  type CameraManager,
  type CameraPatch,
  type CameraView,
} from '../cameras/camera-manager.js';
import { DEFAULT_PROBE_MS } from '../cameras/camera-probe.js';
import { errors } from '../errors.js';
import { MAX_RETENTION_HOURS } from '../store/camera-store.js';
import { apiGuard, type KeyFailures } from './api-guard.js';
import { registerPlaybackRoutes } from './playback-routes.js';
import { registerRecordingListing } from './recording-routes.js';
import { problemSchema } from './problem.js';
import type { PlaybackTokens } from '../playback/playback-tokens.js';
import type { SigningKeys } from '../playback/signing-keys.js';
import { cameraLinks, gatewayBase } from './camera-links.js';
import { clientLeft } from './client-left.js';

/** 64 KiB: a camera is a few hundred bytes of JSON; a larger body is not one (S13). */
const API_BODY_LIMIT = 64 * 1024;
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
  /** Wrong keys counted per address, shared with the gateway's other doors. */
  keyFailures?: KeyFailures;
  /** The absolute URL viewers reach the gateway at (CAMGATE_PUBLIC_URL): links are built on it. */
  publicUrl?: string | undefined;
  /** Signed playback's keys and tokens: `/v1/signing-keys` and `/v1/cameras/:id/playback-tokens`. */
  playback?: { keys: SigningKeys; tokens: PlaybackTokens };
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
  transcode: {
    type: 'string',
    enum: ['off', 'h264'],
    description:
      'h264: also offer the video transcoded to H.264 by ffmpeg (for browsers that cannot play H.265), as a second variant of the same playlist, while someone watches it. Needs ffmpeg (501 FFMPEG_NOT_FOUND without it).',
  },
  playback: {
    type: 'string',
    enum: ['public', 'signed'],
    description:
      'Who may watch: anyone who reaches the gateway, or only with a playback token (docs/api.md, "Securing playback"). Default: signed when the gateway has an API key, public otherwise.',
  },
  recording: {
    type: 'object',
    additionalProperties: false,
    description:
      'Recording to disk (docs/api.md, "Recording"). A recording camera is pulled all the time, on demand or not. A change merges: enabled left out stays, retention replaces (null removes it).',
    properties: {
      enabled: { type: 'boolean' },
      retention: {
        type: ['object', 'null'],
        additionalProperties: false,
        description: 'What is kept of this camera: older or more is deleted, oldest first (whole hour files)',
        properties: {
          maxAgeHours: { type: 'number', exclusiveMinimum: 0, maximum: MAX_RETENTION_HOURS },
          maxBytes: { type: 'integer', minimum: 1 },
        },
      },
    },
  },
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
    transcode: { ...settings.transcode, default: 'off' },
    playback: settings.playback,
    recording: { ...settings.recording, description: 'Recording to disk; absent: off' },
    revision: {
      type: 'integer',
      description:
        'The camera’s version, 1 when created: its ETag; send If-Match: "<revision>" to change only this version',
    },
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
              delivered: {
                type: ['object', 'null'],
                description: 'What players get (G.711 becomes FLAC, codecString fLaC); null when the track is left out',
                properties: { codec: { type: 'string' }, codecString: { type: 'string' } },
              },
              browsers: {
                type: 'string',
                enum: ['all', 'some', 'none'],
                description: 'all: H.264, AAC, FLAC, Opus; some: H.265; none: left out (see reason)',
              },
              browserSupport: { type: 'string', description: 'Which browsers play the track, in words' },
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
        transcode: {
          type: ['object', 'null'],
          description: 'The H.264 transcoder of a camera set to transcode: "h264"; null otherwise',
          properties: {
            codec: { type: 'string' },
            codecString: { type: ['string', 'null'], description: 'CODECS of the H.264 variant' },
            state: { type: 'string', enum: ['idle', 'starting', 'running', 'failed'] },
            cpuPercent: { type: 'number', description: "ffmpeg's CPU use, percent of one core" },
            viewers: { type: 'integer', description: 'players of the H.264 variant within the last 10 s' },
            lastError: {
              type: ['object', 'null'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string' } },
            },
            framesIn: { type: 'integer' },
            framesOut: { type: 'integer' },
            framesDropped: { type: 'integer' },
          },
        },
        recording: {
          type: ['object', 'null'],
          description: "The camera's recording on this node; null when it does not record",
          properties: {
            state: { type: 'string', enum: ['off', 'waiting', 'recording', 'failing', 'unavailable'] },
            since: { type: 'string' },
            lastError: {
              type: ['object', 'null'],
              description:
                'Why recording last failed (RECORDING_DISK_FULL, RECORDING_NOT_WRITABLE...), kept after it resumes',
              properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string' } },
            },
            segments: { type: 'integer' },
            bytes: { type: 'integer' },
            droppedSegments: { type: 'integer' },
            lastSegmentAt: { type: ['string', 'null'] },
          },
        },
        node: {
          type: ['string', 'null'],
          description:
            'In a cluster: the gateway node that pulls the camera (CAMGATE_NODE_ID), null while none does. Absent on a single node.',
        },
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
        tokenRequired: {
          type: 'boolean',
          description: 'A signed camera: the links are templates whose {token} is a playback token',
        },
        signing: {
          type: 'object',
          description: 'How your backend mints tokens for a signed camera: an explanation and examples',
          properties: { explanation: { type: 'string' }, node: { type: 'string' }, python: { type: 'string' } },
        },
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

/** A revision as an entity tag (strong: RFC 9110 §8.8.3). */
function etag(revision: number): string {
  return `"${revision}"`;
}

/** 20 entity tags at most in one If-Match: a client names the one version it read. */
const MAX_IF_MATCH_TAGS = 20;

/**
 * The revision a change may apply to, from If-Match (RFC 9110 §13.1.1): none without the header
 * or with `*` (any version), `current` when one of its strong tags names it; otherwise 412, so an
 * edit made on an old copy (or a weak or unreadable tag) changes nothing.
 */
function ifMatch(request: FastifyRequest, current: number | undefined, id: string): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || current === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return undefined;
  const tags = value.split(',', MAX_IF_MATCH_TAGS).map((tag) => tag.trim());
  if (tags.includes(etag(current))) return current;
  throw errors.preconditionFailed(id, current);
}

/** `/v1/cameras`: the REST API for the camera registry (problem+json errors, OpenAPI at /openapi.json). */
export function registerCameraRoutes(app: FastifyInstance, options: CameraRoutesOptions): void {
  const { cameras } = options;
  app.addSchema(cameraSchema);
  const present = (request: FastifyRequest, view: CameraView) => ({
    ...view,
    links: cameraLinks(view.id, gatewayBase(request, options.publicUrl), view.playback),
  });
  void app.register(
    (api, _opts, done) => {
      // JSON only: a cross-site form or text/plain POST cannot add a camera (S10).
      api.removeContentTypeParser(['text/plain']);
      api.addHook('onRequest', apiGuard(options.apiKey, { failures: options.keyFailures }));
      if (options.playback !== undefined) {
        registerPlaybackRoutes(api, { cameras, ...options.playback, publicUrl: options.publicUrl });
      }
      registerRecordingListing(api, cameras);

      api.addHook('preHandler', async (request, reply) => {
        const { id } = (request.params ?? {}) as { id?: unknown };
        // Log lines of a request about one camera name it.
        if (typeof id === 'string') request.log = reply.log = request.log.child({ camera: id });
        // In a cluster, the status of cameras other nodes pull comes from the database.
        if (request.method === 'GET') await cameras.refreshStatus();
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
          return reply
            .code(201)
            .header('location', `/v1/cameras/${camera.id}`)
            .header('etag', etag(camera.revision))
            .send(camera);
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
          return reply.header('etag', etag(camera.revision)).send(present(request, camera));
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
        async (request, reply) => {
          const { id } = request.params;
          const camera = await cameras.update(id, request.body, ifMatch(request, cameras.get(id)?.revision, id));
          return reply.header('etag', etag(camera.revision)).send(present(request, camera));
        },
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
          const { id } = request.params;
          await cameras.delete(id, ifMatch(request, cameras.get(id)?.revision, id));
          return reply.code(204).send();
        },
      );
      done();
    },
    { prefix: '/v1' },
  );
}
