import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import type { CameraPipeline } from '../cameras/camera-pipeline.js';
import { errors, GatewayError } from '../errors.js';
import type { PlaybackGrant } from '../playback/playback-access.js';
import type { PlaybackTokens } from '../playback/playback-tokens.js';
import {
  KEYFRAME_WAIT_MS,
  MAX_SNAPSHOT_WIDTH,
  MIN_SNAPSHOT_WIDTH,
  parseSnapshotWidth,
  type Snapshot,
  type SnapshotService,
} from '../snapshots/snapshot-service.js';
import { apiGuard, type KeyFailures } from './api-guard.js';
import { clientLeft } from './client-left.js';
import { privateCacheControl, SNAPSHOT_FILE, type LiveRoutesOptions } from './live-routes.js';
import { problemSchema, sendProblem } from './problem.js';

/**
 * 1 s: a browser or proxy may reuse a snapshot that long (the picture changes every keyframe);
 * a page refreshing stills asks again after it.
 */
export const SNAPSHOT_MAX_AGE_S = 1;
/** 60 s: the life of the token a node mints to forward a `/v1` snapshot to the node that pulls the camera. */
const FORWARD_TOKEN_TTL_S = 60;

export interface SnapshotRoutesOptions {
  cameras: CameraManager;
  snapshots: SnapshotService;
  /** When set, `/v1` needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** Wrong keys counted per address, shared with the gateway's other doors. */
  keyFailures?: KeyFailures;
  /**
   * A cluster: cameras another node pulls. A `/v1` snapshot is forwarded to the owner as a `/live`
   * snapshot with a token this node mints (the API key is not sent between nodes).
   */
  remote?: { serve: NonNullable<LiveRoutesOptions['remote']>; tokens: PlaybackTokens };
}

/** `?width=` of the request, read from its URL (the first one when repeated). */
function widthOf(request: FastifyRequest): number | undefined {
  const url = request.raw.url ?? '';
  const at = url.indexOf('?');
  return parseSnapshotWidth(at === -1 ? null : new URLSearchParams(url.slice(at + 1)).get('width'));
}

/**
 * The picture of `pipeline`'s latest keyframe: at once when it has one, else after waiting up to
 * the service's `keyframeWaitMs` for the next (a camera that is starting). Throws 503 SNAPSHOT_UNAVAILABLE with the
 * reason (in camgate's words: camera text is not shown, a viewer may ask), or 501 FFMPEG_NOT_FOUND.
 * For `viewer`s (the `/live` door) the reason leaves out the camera's error code: only the API's
 * users see why a camera fails.
 */
export async function snapshotOf(
  pipeline: CameraPipeline,
  snapshots: SnapshotService,
  width: number | undefined,
  signal: AbortSignal,
  audience: 'api' | 'viewer' = 'api',
): Promise<Snapshot> {
  const waitMs = snapshots.keyframeWaitMs;
  await snapshots.check();
  let keyframe = pipeline.latestKeyframe();
  if (keyframe === undefined) {
    const { state } = pipeline;
    if (state === 'disabled') throw errors.snapshotUnavailable('the camera is disabled');
    if (state === 'retrying' || state === 'failed') {
      const code = audience === 'api' ? pipeline.status().lastError?.code : undefined;
      throw errors.snapshotUnavailable(
        `the camera is ${state}${code === undefined ? '' : ` (${code})`}, so there is no picture yet`,
      );
    }
    if (state === 'streaming') {
      const tracks = pipeline.status().tracks;
      if (tracks.length > 0 && !tracks.some((t) => t.kind === 'video' && (t.codec === 'h264' || t.codec === 'h265')))
        throw errors.snapshotUnavailable('the camera sends no H.264 or H.265 video');
    }
    keyframe = await pipeline.nextKeyframe(waitMs, signal);
    if (keyframe === undefined) {
      throw errors.snapshotUnavailable(
        `the camera sent no keyframe within ${waitMs} ms (it is ${pipeline.state}); try again shortly`,
      );
    }
  }
  return snapshots.snapshot(pipeline.id, keyframe, width);
}

function sendSnapshot(reply: FastifyReply, snapshot: Snapshot, cacheControl: string): FastifyReply {
  return reply
    .code(200)
    .type('image/jpeg')
    .header('cache-control', cacheControl)
    .header('last-modified', new Date(snapshot.takenAt).toUTCString())
    .send(snapshot.jpeg);
}

/** Errors as problems; anything else is a bug of ours, still a 503 with a reason (never a 500). */
function sendFailure(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof GatewayError) return sendProblem(reply, err);
  reply.log.error({ err }, 'snapshot failed');
  return sendProblem(reply, errors.snapshotUnavailable('the gateway could not make the picture (see its log)'));
}

function isDisabled(pipeline: CameraPipeline): boolean {
  return pipeline.state === 'disabled';
}

/**
 * The `/live/<id>/snapshot.jpg` (and `/live/<id>/t/<token>/snapshot.jpg`) answer for live-routes,
 * called once playback access is granted: counts the viewer (starting an idle on-demand camera),
 * then answers. False (nothing answered) when this node does not pull the camera (a cluster
 * forwards it).
 */
export function liveSnapshotHandler(
  cameras: CameraManager,
  snapshots: SnapshotService,
): NonNullable<LiveRoutesOptions['snapshot']> {
  return async (request, reply, cameraId, viewer, grant: PlaybackGrant) => {
    cameras.liveStream(cameraId, viewer);
    const pipeline = cameras.pipeline(cameraId);
    if (pipeline === undefined) return false;
    // A disabled camera answers like an unknown one, as its stream does: ids cannot be probed (S06).
    if (isDisabled(pipeline)) {
      sendProblem(reply, errors.liveNotFound(cameraId, SNAPSHOT_FILE), { cacheControl: 'no-cache' });
      return true;
    }
    // A token's picture is its holder's: no shared cache keeps it, nor a browser past the token's life.
    const cacheControl =
      grant.token === undefined
        ? `public, max-age=${SNAPSHOT_MAX_AGE_S}`
        : privateCacheControl(`max-age=${SNAPSHOT_MAX_AGE_S}`, grant.expiresAt, Date.now());
    let snapshot: Snapshot;
    try {
      const width = widthOf(request);
      snapshot = await snapshotOf(pipeline, snapshots, width, clientLeft(reply), 'viewer');
    } catch (err) {
      // Disabled while the request waited for a keyframe: the same 404.
      if (isDisabled(pipeline)) {
        sendProblem(reply, errors.liveNotFound(cameraId, SNAPSHOT_FILE), { cacheControl: 'no-cache' });
      } else {
        sendFailure(reply, err);
      }
      return true;
    }
    sendSnapshot(reply, snapshot, cacheControl);
    return true;
  };
}

/** `GET /v1/cameras/<id>/snapshot.jpg`: behind the API key like the rest of `/v1`. */
export function registerSnapshotRoutes(app: FastifyInstance, options: SnapshotRoutesOptions): void {
  const { cameras, snapshots } = options;
  void app.register(
    (api, _opts, done) => {
      api.addHook('onRequest', apiGuard(options.apiKey, { failures: options.keyFailures }));
      api.get<{ Params: { id: string } }>(
        '/cameras/:id/snapshot.jpg',
        {
          schema: {
            summary: "A JPEG of the camera's latest keyframe",
            description: `Decoded with ffmpeg from the latest keyframe (one picture, not the stream), reused for ${SNAPSHOT_MAX_AGE_S} s by caches. Starts an idle on-demand camera and waits up to ${KEYFRAME_WAIT_MS / 1000} s for its first keyframe. 503 SNAPSHOT_UNAVAILABLE with the reason when there is no picture; 501 FFMPEG_NOT_FOUND when the gateway cannot run ffmpeg.`,
            tags: ['cameras'],
            params: {
              type: 'object',
              required: ['id'],
              properties: { id: { type: 'string', maxLength: 64 } },
            },
            querystring: {
              type: 'object',
              properties: {
                width: {
                  type: 'integer',
                  minimum: MIN_SNAPSHOT_WIDTH,
                  maximum: MAX_SNAPSHOT_WIDTH,
                  description:
                    'Scale to this width in pixels (the aspect kept; odd widths are rounded down to even; never larger than the picture)',
                },
              },
            },
            produces: ['image/jpeg'],
            response: { 404: problemSchema, 501: problemSchema, 503: problemSchema },
          },
        },
        async (request, reply) => {
          const { id } = request.params;
          request.log = reply.log = request.log.child({ camera: id });
          const record = cameras.registry.record(id);
          if (record === undefined) return sendProblem(reply, errors.cameraNotFound(id));
          let width: number | undefined;
          try {
            width = widthOf(request);
          } catch (err) {
            return sendFailure(reply, err);
          }
          cameras.liveStream(id, `${request.ip} ${request.headers['user-agent'] ?? ''}`);
          let pipeline = cameras.pipeline(id);
          const remote = options.remote;
          if (pipeline === undefined && remote !== undefined && record.enabled) {
            let outcome;
            try {
              outcome = await forward(request, reply, id, width, remote);
            } catch (err) {
              // The signing keys could not be read (their store is down): no 500 for it.
              return sendFailure(reply, err);
            }
            if (outcome === 'answered') return reply;
            if (outcome === 'local') {
              cameras.liveStream(id, `${request.ip} ${request.headers['user-agent'] ?? ''}`);
              pipeline = cameras.pipeline(id);
            }
          }
          if (pipeline === undefined) {
            return sendProblem(
              reply,
              errors.snapshotUnavailable(
                record.enabled ? 'no gateway node pulls the camera now' : 'the camera is disabled',
              ),
            );
          }
          let snapshot: Snapshot;
          try {
            snapshot = await snapshotOf(pipeline, snapshots, width, clientLeft(reply));
          } catch (err) {
            return sendFailure(reply, err);
          }
          return sendSnapshot(reply, snapshot, `private, max-age=${SNAPSHOT_MAX_AGE_S}`);
        },
      );
      done();
    },
    { prefix: '/v1' },
  );
}

/**
 * Forwards a `/v1` snapshot to the node that pulls the camera, as the `/live` snapshot it serves to
 * any node: with a token minted here for the camera (the API key stays on this node). The owner is
 * asked for that path; the request keeps its own URL, so its log line never holds the token.
 */
async function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  width: number | undefined,
  remote: NonNullable<SnapshotRoutesOptions['remote']>,
): Promise<'answered' | 'local' | 'none'> {
  const { token } = await remote.tokens.mint(id, FORWARD_TOKEN_TTL_S);
  const path = `/live/${encodeURIComponent(id)}/t/${token}/${SNAPSHOT_FILE}${width === undefined ? '' : `?width=${width}`}`;
  return remote.serve(request, reply, id, { path });
}
