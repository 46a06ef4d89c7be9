import { RtspError, RtspErrorCode, RtspSession, type RtspSessionOptions, type UnsupportedTrack } from '@camgate/rtsp';
import { hlsTrackOf } from '../pipeline/hls-track.js';
import { trackStatusOf, type TrackStatus } from '../pipeline/track-status.js';
import { cameraProblem, type CameraProblem } from './camera-problem.js';

/** 3 s: two GOPs of a typical camera, enough to see frames on every track and measure them. */
export const DEFAULT_PROBE_MS = 3_000;

export interface CameraProbeOptions {
  url: string;
  transport: 'auto' | 'tcp' | 'udp';
  audio: 'auto' | 'off';
  /** How long to receive once playing. */
  durationMs?: number;
  /** Session options the gateway adds (timeouts, SSRF policy): the same as a camera's. */
  session?: Omit<RtspSessionOptions, 'url' | 'transport' | 'audio' | 'logger'>;
  /** Ends the probe early (the client went away). */
  signal?: AbortSignal;
}

export interface ProbedTrack extends TrackStatus {
  frames: number;
  keyframes: number;
}

export interface CameraProbeResult {
  transport: 'tcp' | 'udp';
  tracks: ProbedTrack[];
  unsupportedTracks: UnsupportedTrack[];
  /** Time spent, connecting included. */
  durationMs: number;
}

/** A failed probe: why, in the words and with the code the camera's status would use. */
export class CameraProbeError extends Error {
  constructor(readonly problem: CameraProblem) {
    super(problem.message);
  }
}

/**
 * Connects `session` and receives until `durationMs` have passed, the camera ends the session, or
 * `signal` aborts: while connecting, an abort closes the session (connect() then fails); while
 * playing, it ends the wait and the caller closes the session. Returns why the session failed, or
 * undefined: the first error it reported, or the one connect() threw. Anything but an RtspError
 * is a bug, and is thrown.
 */
export async function receiveFor(
  session: RtspSession,
  durationMs: number,
  signal?: AbortSignal,
): Promise<RtspError | undefined> {
  let failure: RtspError | undefined;
  const onError = (err: RtspError) => (failure ??= err);
  session.on('error', onError);
  const abortConnect = () => void session.close();
  signal?.addEventListener('abort', abortConnect, { once: true });
  try {
    if (signal?.aborted === true) await session.close();
    await session.connect();
    signal?.removeEventListener('abort', abortConnect);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        session.off('close', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, durationMs);
      session.once('close', done);
      if (signal?.aborted === true) done();
      else signal?.addEventListener('abort', done, { once: true });
    });
  } catch (err) {
    if (!(err instanceof RtspError)) throw err;
    failure ??= err;
  } finally {
    signal?.removeEventListener('abort', abortConnect);
    session.off('error', onError);
  }
  return failure;
}

/**
 * Connects to a camera as its pipeline would, receives for a while and reports its tracks, saving
 * nothing: the API's "Test connection". A session that plays but delivers no frame fails with
 * RTSP_TIMEOUT. Credentials never appear in the result or the error.
 * @throws CameraProbeError
 */
export async function probeCamera(options: CameraProbeOptions): Promise<CameraProbeResult> {
  const started = performance.now();
  const session = new RtspSession({
    ...options.session,
    url: options.url,
    transport: options.transport,
    audio: options.audio !== 'off',
  });
  let frames = 0;
  session.on('frame', () => frames++);
  const failure = await receiveFor(session, options.durationMs ?? DEFAULT_PROBE_MS, options.signal);
  const transport = session.transport;
  const stats = session.stats;
  const tracks = session.tracks.map((track): ProbedTrack => {
    const counts = stats.tracks[track.id];
    return {
      ...trackStatusOf(track, hlsTrackOf(track)),
      frames: counts?.frames ?? 0,
      keyframes: counts?.keyframes ?? 0,
    };
  });
  const unsupportedTracks = session.unsupportedTracks;
  await session.close();
  if (frames === 0 || transport === undefined) {
    throw new CameraProbeError(
      cameraProblem(failure ?? new RtspError(RtspErrorCode.TIMEOUT, 'the camera sent no frames')),
    );
  }
  return { transport, tracks, unsupportedTracks, durationMs: Math.round(performance.now() - started) };
}
