import type { LiveRoutesOptions } from './live-routes.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import type { CameraPipeline, CameraState } from '../cameras/camera-pipeline.js';
import { isKnownProblem } from '../cameras/camera-problem.js';
import { errors } from '../errors.js';
import { PlaybackAccess } from '../playback/playback-access.js';
import { cors } from './live-routes.js';
import { sendProblem } from './problem.js';

/** 25 s: under the 30 s idle timeouts of common proxies, so a held status request is not cut. */
const HOLD_MS = 25_000;
/** 10,000 held status requests at most (all cameras): beyond, requests are answered at once. */
const MAX_HELD = 10_000;

const STATES: readonly CameraState[] = ['idle', 'connecting', 'streaming', 'retrying', 'failed', 'disabled'];

/** What a player may know about a camera: its state, and why it does not stream. */
export interface LiveStatus {
  state: CameraState;
  /** ISO time of the last state change. */
  since: string;
  /** Why the camera is `failed` or `retrying`, in the words of the camera's `lastError`. */
  reason: { code: string; message: string } | null;
  nextAttemptAt: string | null;
}

/**
 * `GET /live/<id>/status.json`: the camera's state for players (the embed page, the dashboard's
 * tiles), beside its playlists so that it needs what they need (nothing today; a token in the path
 * with signed playback). A player that learns the camera has `failed` stops requesting playlists
 * (it is no viewer of a camera that cannot stream) and asks again with `?while=failed`: the answer
 * then waits, up to 25 s, for the state to change, so the player hears at once that the camera is
 * back without polling. Not counted as viewing, never starts an on-demand camera.
 */
export interface LiveStatusOptions {
  /** CORS as for the streams (`CAMGATE_CORS_ORIGINS`). */
  corsOrigins?: '*' | readonly string[];
  /** True once the gateway shuts down: held answers are released then, with a 503. */
  isClosing?: () => boolean;
  /**
   * Who may watch: a signed camera's status needs its token, in the path as for its playlists
   * (`/live/<id>/t/<token>/status.json`); a refusal is the answer for an unknown camera.
   */
  access?: PlaybackAccess;
  /** Cameras another node pulls (a cluster): the request goes to that node, as for the stream's files. */
  remote?: LiveRoutesOptions['remote'];
}

export function registerLiveStatus(
  app: FastifyInstance,
  cameras: CameraManager,
  options: LiveStatusOptions = {},
): void {
  // One state listener per camera with held requests, whatever their number.
  const waiting = new Map<CameraPipeline, { releases: Set<() => void>; onState: () => void }>();
  let count = 0;
  const hold = (pipeline: CameraPipeline, release: () => void) => {
    let entry = waiting.get(pipeline);
    if (entry === undefined) {
      const releases = new Set<() => void>();
      const onState = () => {
        for (const r of [...releases]) r();
      };
      entry = { releases, onState };
      waiting.set(pipeline, entry);
      pipeline.on('state', onState);
    }
    entry.releases.add(release);
    count++;
  };
  const unhold = (pipeline: CameraPipeline, release: () => void) => {
    const entry = waiting.get(pipeline);
    if (entry?.releases.delete(release) !== true) return;
    count--;
    if (entry.releases.size === 0) {
      pipeline.off('state', entry.onState);
      waiting.delete(pipeline);
    }
  };
  // Before the server waits for requests in flight (onClose would come after): a held status
  // request must not hold up a shutdown for its 25 s.
  app.addHook('preClose', (done) => {
    for (const { releases } of [...waiting.values()]) for (const release of [...releases]) release();
    done();
  });

  const handler = async (
    request: FastifyRequest<{ Params: { id: string; token?: string }; Querystring: { while?: string } }>,
    reply: FastifyReply,
  ) => {
    cors(request, reply, options.corsOrigins ?? '*');
    reply.header('cache-control', 'no-store');
    const { id, token } = request.params;
    const checked = (options.access ?? PlaybackAccess.PUBLIC).check(id, token);
    const grant = checked instanceof Promise ? await checked : checked;
    let pipeline = grant === undefined ? undefined : cameras.pipeline(id);
    if (pipeline === undefined && grant !== undefined && options.remote !== undefined) {
      // A status request asks: it never starts an on-demand camera, on this node or another.
      const outcome = await options.remote(request, reply, id, { start: false });
      if (outcome === 'answered') return reply;
      pipeline = cameras.pipeline(id);
      // Pulled by no node (an on-demand camera nobody watches): its state from the registry.
      const camera = pipeline === undefined ? cameras.get(id) : undefined;
      if (camera !== undefined) {
        return reply.send({
          state: camera.status.state,
          since: camera.status.since,
          reason: null,
          nextAttemptAt: null,
        } satisfies LiveStatus);
      }
    }
    // Refused, unknown or disabled: one answer, that of the camera's other files (S06).
    if (pipeline === undefined) return sendProblem(reply, errors.liveNotFound(id, 'status.json'));
    const awaited = request.query.while;
    if (
      typeof awaited === 'string' &&
      (STATES as readonly string[]).includes(awaited) &&
      pipeline.state === awaited &&
      count < MAX_HELD
    ) {
      await new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer);
          reply.raw.off('close', release);
          unhold(pipeline, release);
          resolve();
        };
        const timer = setTimeout(release, HOLD_MS);
        reply.raw.once('close', release);
        hold(pipeline, release);
      });
      if (options.isClosing?.() === true) return sendProblem(reply, errors.shuttingDown());
    }
    return reply.send(liveStatus(pipeline));
  };
  app.get('/live/:id/status.json', { schema: { hide: true } }, handler);
  app.get('/live/:id/t/:token/status.json', { schema: { hide: true } }, handler);
}

function liveStatus(pipeline: CameraPipeline): LiveStatus {
  const status = pipeline.status();
  const troubled = status.state === 'failed' || status.state === 'retrying';
  const error = troubled ? status.lastError : null;
  return {
    state: status.state,
    since: status.since,
    // Anyone who can reach the page reads this: our own words only, never text the camera sent
    // (an unmapped error's message quotes the camera's reason phrase).
    reason:
      error === null
        ? null
        : {
            code: error.code,
            message: isKnownProblem(error.code) ? error.message : `the camera session failed (${error.code})`,
          },
    nextAttemptAt: status.nextAttemptAt,
  };
}
