import { EventEmitter } from 'node:events';
import { HlsStream, type FrameSink, type HlsStreamOptions, type StreamPosition } from '@camgate/hls';
import {
  RtspError,
  RtspErrorCode,
  RtspSession,
  type Frame,
  type RtspSessionOptions,
  type SessionLogger,
} from '@camgate/rtsp';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { SessionBridge } from '../pipeline/session-bridge.js';
import {
  VideoTranscoder,
  type TranscodeOptions,
  type TranscodeSource,
  type TranscodeStatus,
} from '../transcode/video-transcoder.js';
import { KeyframeKeeper, type Keyframe } from '../snapshots/keyframe-keeper.js';
import { trackStatusOf, type TrackStatus } from '../pipeline/track-status.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { cameraProblem, type CameraProblem } from './camera-problem.js';

export type CameraState = 'idle' | 'connecting' | 'streaming' | 'retrying' | 'failed' | 'disabled';

/** What the operator configured for a camera (the registry record, without bookkeeping). */
export interface CameraSettings {
  /** rtsp:// or rtsps:// URL, credentials in the userinfo. */
  url: string;
  transport: 'auto' | 'tcp' | 'udp';
  /** Pull only while someone watches. */
  onDemand: boolean;
  /** `off`: video only. */
  audio: 'auto' | 'off';
  enabled: boolean;
  /** `h264`: a second video variant transcoded to H.264 while someone watches it (default `off`). */
  transcode?: 'off' | 'h264';
  /** The camera records: it is pulled all the time, on demand or not (a recording has no viewer to wait for). */
  recording?: boolean;
}

/** A track of the camera: what it sends, what players get, which browsers play it (pipeline/track-status.ts). */
export type CameraTrackStatus = TrackStatus;

export interface CameraStatus {
  state: CameraState;
  /** ISO time of the last state change. */
  since: string;
  /** Why the camera last failed; never null while the state is `failed`. */
  lastError: { code: string; message: string; at: string } | null;
  /** ISO time of the next connection attempt while `retrying` or `failed`, else null. */
  nextAttemptAt: string | null;
  /** Sessions started after the first. */
  reconnects: number;
  tracks: CameraTrackStatus[];
  /** Received bits per second over the last 5 s. */
  bitrate: number;
  /** Media bytes received (frame payloads), over all sessions. */
  bytesReceived: number;
  framesReceived: number;
  framesDropped: number;
  lastFrameAt: string | null;
  /** Players that requested this camera's stream within the last 10 s. */
  viewers: number;
  /**
   * The H.264 transcoder, when the camera's `transcode` is `h264`; null otherwise (always set by a
   * pipeline; optional for statuses made without one).
   */
  transcode?: TranscodeStatus | null;
}

export interface CameraPipelineOptions {
  hls?: HlsStreamOptions;
  /** The camera's logger: a child that names the camera (pino's `child({ camera })`), as the RTSP session's lines go to it too. */
  logger?: SessionLogger & { error?(fields: object, message: string): void };
  /** On-demand cameras stop pulling after this long without viewers (default 60 s). */
  onDemandIdleMs?: number;
  backoff?: BackoffOptions;
  /** Failures in a row with a problem retrying cannot fix before the state says `failed` (default 3). */
  failAfter?: number;
  /**
   * Session options the gateway adds (timeouts, SSRF policy, read batching: with `readBatchMs`
   * above 0 the pipeline lets each session batch its reads between LL-HLS parts, see SessionBridge).
   */
  session?: Omit<RtspSessionOptions, 'url' | 'transport' | 'audio' | 'logger'>;
  /** How `transcode: "h264"` runs (ffmpeg, encoder, hardware); default: `ffmpeg` from PATH with libx264. */
  transcode?: TranscodeOptions;
  now?: () => number;
}

/** The ffmpeg of pipelines given no `transcode` options: `ffmpeg` from PATH. */
let defaultFfmpeg: FfmpegBinary | undefined;

/** 10 s: a player reloads its playlist at least every target duration; one gone this long has left. */
const VIEWER_WINDOW_MS = 10_000;
/** 10,000 distinct viewers tracked per camera: bounds the map if clients vary their keys. */
const MAX_TRACKED_VIEWERS = 10_000;
/** Bitrate over 5 one-second buckets. */
const BITRATE_SECONDS = 5;

/**
 * Supervises one camera: one RTSP session at a time, whatever the number of viewers, reconnecting
 * with backoff; every session feeds the same LL-HLS stream (a reconnect is an
 * EXT-X-DISCONTINUITY, so players keep playing). On-demand cameras pull while someone watches.
 */
export interface CameraPipelineEvents {
  /** The state changed (`status()` has the details). */
  state: [state: CameraState];
}

export class CameraPipeline extends EventEmitter<CameraPipelineEvents> {
  readonly id: string;
  #settings: CameraSettings;
  readonly #options: CameraPipelineOptions;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  #state: CameraState = 'idle';
  #since: number;
  #lastError: { problem: CameraProblem; at: number } | undefined;
  #reconnects = 0;
  #sessionsStarted = 0;
  #failuresInARow = 0;
  /** When the loop tries again (while waiting between attempts). */
  #nextAttemptAt: number | undefined;
  /** Frames of the running session: its first one proves the camera works again. */
  #sessionFrames = 0;
  #stream: HlsStream | undefined;
  /**
   * Where the last stream stopped (an on-demand camera that went idle): the next one continues its
   * numbering, so media names never repeat and its players carry on.
   */
  #lastPosition: StreamPosition | undefined;
  #bridge: SessionBridge | undefined;
  /**
   * Sinks beside the live stream (a recorder), with who hears of a failure: handed to every bridge
   * this pipeline makes, so they outlive a stream dropped by an idle or disabled camera.
   */
  readonly #sinks = new Map<FrameSink, (err: unknown) => void>();
  /** The H.264 variant while `transcode` is `h264`. */
  #transcoder: VideoTranscoder | undefined;
  /** Who made the latest request (touch()): the H.264 variant's request follows it at once. */
  #lastViewer: string | undefined;
  /** The video track's last keyframe, for snapshots. */
  readonly #keyframes = new KeyframeKeeper();
  #session: RtspSession | undefined;
  /** Bumped to stop the running loop: a loop whose generation is stale ends. */
  #generation = 0;
  #running: Promise<void> | undefined;
  /** Every stop so far has finished (sessions torn down, loops ended). */
  #stopped: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #lastViewerAt = 0;
  readonly #viewers = new Map<string, number>();
  #framesReceived = 0;
  #bytesReceived = 0;
  #framesDropped = 0;
  /** performance.now() of the last frame (per-frame clock reads are monotonic; status converts). */
  #lastFrameAt: number | undefined;
  /** Bytes per monotonic second, a ring of the complete seconds; the current second's, and when it ends. */
  readonly #bitrateBuckets = new Float64Array(BITRATE_SECONDS + 1);
  #bitrateSecond = -1;
  #bitrateCurrent = 0;
  #bitrateSecondEnds = 0;
  #closed = false;

  constructor(id: string, settings: CameraSettings, options: CameraPipelineOptions = {}) {
    super();
    this.id = id;
    this.#settings = { ...settings };
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#since = this.#now();
    this.#backoff = new Backoff(options.backoff);
    this.#applyTranscode();
    this.#apply();
  }

  get settings(): Readonly<CameraSettings> {
    return this.#settings;
  }

  get state(): CameraState {
    return this.#state;
  }

  /** The camera's LL-HLS stream; undefined while it is disabled or an on-demand camera is idle. */
  get stream(): HlsStream | undefined {
    return this.#stream;
  }

  /** Where the camera's stream stands (or its last one stopped): what a node hands over. */
  get position(): StreamPosition | undefined {
    return this.#stream?.position ?? this.#lastPosition;
  }

  /**
   * Starts an idle on-demand camera without counting a viewer: a viewer asked on another node,
   * which forwards its requests here. It stops again after the idle time if none come.
   */
  wake(): void {
    if (this.#closed || !this.#settings.enabled || !this.#pullsOnDemand) return;
    this.#lastViewerAt = this.#now();
    if (this.#running === undefined) this.#startPulling();
    this.#armIdleTimer();
  }

  /**
   * An HLS request for this camera: counts the viewer, and starts an idle on-demand camera. Returns
   * the stream to answer from (undefined when the camera is disabled or closed).
   */
  touch(viewer: string): HlsStream | undefined {
    if (this.#closed || !this.#settings.enabled) return undefined;
    const now = this.#now();
    this.#lastViewerAt = now;
    this.#lastViewer = viewer;
    if (this.#viewers.size >= MAX_TRACKED_VIEWERS && !this.#viewers.has(viewer)) this.#pruneViewers(now);
    if (this.#viewers.size < MAX_TRACKED_VIEWERS) this.#viewers.set(viewer, now);
    if (this.#pullsOnDemand) {
      if (this.#running === undefined) this.#startPulling();
      this.#armIdleTimer();
    }
    return this.#stream;
  }

  /**
   * The latest keyframe of the camera's video track while it streams (a snapshot decodes it);
   * undefined before the session's first one, or while the camera does not stream.
   */
  latestKeyframe(): Keyframe | undefined {
    return this.#state === 'streaming' ? this.#keyframes.latest : undefined;
  }

  /**
   * The camera's next keyframe, or undefined after `timeoutMs` (or when `signal` aborts): a
   * snapshot of a camera that is starting waits for it.
   */
  nextKeyframe(timeoutMs: number, signal?: AbortSignal): Promise<Keyframe | undefined> {
    return this.#keyframes.next(timeoutMs, signal);
  }

  /**
   * Frames to `sink` beside the live stream from now on, through every session and every stream of
   * this camera (see SessionBridge.addSink). A new stream after a stop begins, for the sink, with
   * markDiscontinuity(). If the sink throws, it is removed and `onError` is told.
   */
  addSink(sink: FrameSink, onError: (err: unknown) => void): void {
    if (this.#closed || this.#sinks.has(sink)) return;
    this.#sinks.set(sink, onError);
    this.#bridge?.addSink(sink, (err) => this.#sinkFailed(sink, err));
  }

  /** Stops feeding a sink added with addSink (its owner ends what it has itself). */
  removeSink(sink: FrameSink): void {
    this.#sinks.delete(sink);
    this.#bridge?.removeSink(sink);
  }

  #sinkFailed(sink: FrameSink, err: unknown): void {
    const onError = this.#sinks.get(sink);
    this.#sinks.delete(sink);
    onError?.(err);
  }

  /** The sinks of a new bridge: the frames they get next follow a gap (a stopped camera), a new epoch. */
  #addSinks(bridge: SessionBridge): void {
    for (const sink of this.#sinks.keys()) {
      try {
        sink.markDiscontinuity();
      } catch (err) {
        this.#sinkFailed(sink, err);
        continue;
      }
      bridge.addSink(sink, (err) => this.#sinkFailed(sink, err));
    }
  }

  /** New settings: a changed URL, transport or audio choice restarts the session (the stream goes on). */
  update(settings: CameraSettings): void {
    const before = this.#settings;
    this.#settings = { ...settings };
    const reconnect =
      before.url !== settings.url || before.transport !== settings.transport || before.audio !== settings.audio;
    if (reconnect) {
      // New settings: the old failure says nothing about them. State and reason change together,
      // so a `failed` camera never shows without its reason.
      this.#failuresInARow = 0;
      this.#backoff.reset();
      if (this.#state === 'failed' || this.#state === 'retrying') {
        this.#lastError = undefined;
        this.#setState('connecting');
      }
      // A running session restarts with the new settings; a stopped one starts (or not) below.
      if (this.#running !== undefined) void this.#stopPulling(false);
    }
    this.#applyTranscode();
    this.#apply();
  }

  /** The H.264 transcoder (tests, metrics); undefined unless `transcode` is `h264`. */
  get transcoder(): VideoTranscoder | undefined {
    return this.#transcoder;
  }

  status(): CameraStatus {
    const now = this.#now();
    this.#pruneViewers(now);
    const session = this.#session;
    const transcode = { transcode: this.#settings.transcode ?? 'off' };
    const tracks: CameraTrackStatus[] = (this.#bridge?.tracks ?? []).map(({ track, mapping }) =>
      trackStatusOf(track, mapping, transcode),
    );
    return {
      state: this.#state,
      since: new Date(this.#since).toISOString(),
      lastError:
        this.#lastError === undefined
          ? null
          : {
              code: this.#lastError.problem.code,
              message: this.#lastError.problem.message,
              at: new Date(this.#lastError.at).toISOString(),
            },
      nextAttemptAt: this.#nextAttemptAt === undefined ? null : new Date(this.#nextAttemptAt).toISOString(),
      reconnects: this.#reconnects,
      tracks,
      bitrate: this.#bitrate(),
      bytesReceived: this.#bytesReceived,
      framesReceived: this.#framesReceived,
      framesDropped: this.#framesDropped + (session?.stats.dropped ?? 0) + (this.#bridge?.stats.framesDropped ?? 0),
      lastFrameAt:
        this.#lastFrameAt === undefined ? null : new Date(now - (performance.now() - this.#lastFrameAt)).toISOString(),
      viewers: this.#viewers.size,
      transcode: this.#transcoder?.status() ?? null,
    };
  }

  /** Stops everything: the session, the stream (its URLs answer 404 from now on, waiting requests are released), every timer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const transcoder = this.#transcoder;
    this.#transcoder = undefined;
    await Promise.all([this.#stopPulling(true), transcoder?.close()]);
    this.#keyframes.close();
    this.#viewers.clear();
    this.#sinks.clear();
  }

  // ------------------------------------------------------------------ supervision

  /** Creates or closes the H.264 transcoder to match the `transcode` setting. */
  #applyTranscode(): void {
    const wanted = this.#settings.transcode === 'h264' && !this.#closed;
    if (!wanted) {
      void this.#transcoder?.close();
      this.#transcoder = undefined;
      return;
    }
    if (this.#transcoder !== undefined) return;
    const options = this.#options.transcode ?? { ffmpeg: (defaultFfmpeg ??= new FfmpegBinary('ffmpeg')) };
    const logger = this.#options.logger;
    this.#transcoder = new VideoTranscoder(
      () => this.#stream,
      () => this.#transcodeSource(),
      {
        ...options,
        ...(this.#options.hls === undefined ? {} : { hls: this.#options.hls }),
        ...(logger === undefined ? {} : { logger }),
      },
    );
  }

  /** The camera's video as the transcoder takes it: its codec and picture size, once known. */
  #transcodeSource(): TranscodeSource | undefined {
    const video = this.#bridge?.tracks.find(({ track, mapping }) => track.kind === 'video' && mapping.playable);
    if (!video?.mapping.playable) return undefined;
    const { config, width, height, fps } = video.mapping.track;
    if (config.kind !== 'video' || width === undefined || height === undefined) return undefined;
    return { codec: config.codec, width, height, fps };
  }

  /**
   * Each frame of the running session, to every consumer in turn, while the session's listeners
   * run (the frame's data is the receive path's again afterwards: whoever keeps bytes copies
   * them). The transcoder comes after the bridge: the main stream has placed the frame when the
   * transcoder asks where it lies on its timeline.
   */
  #onFrame(frame: Frame, bridge: SessionBridge | undefined): void {
    this.#count(frame);
    bridge?.push(frame);
    this.#transcodeFrame(frame);
    this.#keyframes.push(frame);
  }

  /** A frame the bridge has handed to the stream: the camera's video goes to the transcoder too. */
  #transcodeFrame(frame: Frame): void {
    const transcoder = this.#transcoder;
    // The bridge keeps the id of the video track it hands on (set at attach and track changes).
    if (transcoder?.stream !== undefined && frame.trackId === this.#bridge?.videoTrackId) transcoder.push(frame);
  }

  /** Starts or stops pulling to match the settings. */
  #apply(): void {
    if (this.#closed) return;
    if (!this.#settings.enabled) {
      void this.#stopPulling(true);
      this.#setState('disabled');
      return;
    }
    if (this.#pullsOnDemand && this.#now() - this.#lastViewerAt >= this.#idleMs()) {
      if (this.#running !== undefined) void this.#stopPulling(true);
      // A failed camera stays failed, with its reason, until its settings change: players do not
      // play a failed camera, and one shown as idle would be tried again (another wrong password
      // for the camera to count) by every open page.
      if (this.#state !== 'failed') this.#setState('idle');
      return;
    }
    if (this.#running === undefined) this.#startPulling();
  }

  #startPulling(): void {
    const generation = ++this.#generation;
    if (this.#stream === undefined) {
      const last = this.#lastPosition;
      // The H.264 variant is listed whenever the camera is set to transcode, running or not.
      const extraVariants = () =>
        (this.#transcoder?.variants() ?? []).map((variant) => ({
          ...variant,
          handle: (name: string, query: URLSearchParams, signal?: AbortSignal) =>
            this.#transcoder?.handle(name, query, signal, this.#lastViewer) ?? variant.handle(name, query, signal),
        }));
      this.#stream = new HlsStream({
        ...this.#options.hls,
        extraVariants,
        externalReports: () => this.#transcoder?.reports() ?? [],
        ...(last === undefined ? {} : { continueFrom: { ...last, final: true } }),
      });
      this.#bridge = new SessionBridge(this.#stream, { readBatchMs: this.#options.session?.readBatchMs ?? 0 });
      this.#addSinks(this.#bridge);
    }
    this.#running = this.#run(generation).finally(() => {
      if (this.#generation === generation) this.#running = undefined;
    });
  }

  /**
   * Ends the running loop. `dropStream`: the stream goes too (disabled, idle or deleted), releasing
   * its waiting requests; otherwise the next session continues it.
   */
  #stopPulling(dropStream: boolean): Promise<void> | undefined {
    this.#generation++;
    const running = this.#running;
    this.#running = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#nextAttemptAt = undefined;
    this.#wake?.();
    const session = this.#session;
    this.#session = undefined;
    this.#bridge?.detach();
    this.#keyframes.detach();
    const closing = session?.close();
    if (dropStream) {
      // The H.264 variant follows the main stream's timeline: it goes with it.
      void this.#transcoder?.stop();
      this.#keyframes.reset();
      this.#lastPosition = this.#stream?.position ?? this.#lastPosition;
      this.#stream?.close();
      this.#stream = undefined;
      this.#bridge = undefined;
    }
    if (!dropStream && !this.#closed && this.#settings.enabled) this.#startPulling();
    const stopped = Promise.all([running, closing, this.#stopped]).then(() => undefined);
    // close() waits for this too: a session stopped by going idle or disabled may still be tearing
    // down when the pipeline is closed, and a node hands the camera over only once it is gone.
    this.#stopped = stopped;
    return stopped;
  }

  async #run(generation: number): Promise<void> {
    const current = () => generation === this.#generation && !this.#closed;
    while (current()) {
      // Another attempt after a failure is not news: the failure was logged.
      const retry = this.#state === 'retrying' || this.#state === 'failed';
      if (this.#state !== 'failed') this.#setState('connecting', {}, undefined, retry);
      const session = new RtspSession({
        ...this.#options.session,
        url: this.#settings.url,
        transport: this.#settings.transport,
        audio: this.#settings.audio !== 'off',
        ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
      });
      this.#session = session;
      let failure: unknown;
      session.on('error', (err) => (failure = err));
      const ended = new Promise<void>((resolve) => session.once('close', resolve));
      this.#sessionFrames = 0;
      // One listener hands each frame to every consumer (see #onFrame); they listen to track changes.
      const bridge = this.#bridge;
      session.on('frame', (frame) => {
        // A session being torn down (stopped, replaced) feeds nothing any more.
        if (this.#session === session) this.#onFrame(frame, bridge);
      });
      bridge?.attach(session, { listen: false });
      if ((bridge?.stats.sessions ?? 0) > 1) this.#transcoder?.sessionChanged();
      this.#keyframes.attach(session, { listen: false });
      this.#sessionsStarted++;
      if (this.#sessionsStarted > 1) this.#reconnects++;
      let streamed = false;
      try {
        await session.connect();
        if (!current()) break;
        streamed = true;
        this.#failuresInARow = 0;
        this.#setState('streaming', { transport: session.transport });
        await ended;
      } catch (err) {
        failure = err;
      } finally {
        if (this.#session === session) {
          this.#session = undefined;
          this.#bridge?.detach();
          this.#keyframes.detach();
        }
        await session.close();
        this.#framesDropped += session.stats.dropped;
      }
      if (!current()) break;
      const problem = cameraProblem(
        failure ?? new RtspError(RtspErrorCode.CONNECTION_CLOSED, 'the camera ended the session'),
      );
      const repeated = retry && !streamed && this.#lastError?.problem.code === problem.code;
      this.#lastError = { problem, at: this.#now() };
      this.#failuresInARow++;
      const failed = problem.permanent && this.#failuresInARow >= (this.#options.failAfter ?? 3);
      const delay = this.#backoff.next();
      this.#nextAttemptAt = this.#now() + delay;
      const fields = { code: problem.code, retryInMs: delay, failuresInARow: this.#failuresInARow };
      // The same failure again: a line at info would be one every 30 s per dead camera, forever.
      if (!this.#setState(failed ? 'failed' : 'retrying', fields, problem.message, repeated)) {
        const log = this.#options.logger;
        if (repeated) log?.debug(fields, `camera session failed again: ${problem.message}`);
        else log?.warn(fields, `camera session failed: ${problem.message}`);
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#retryTimer = setTimeout(resolve, delay);
      });
      this.#wake = undefined;
      this.#retryTimer = undefined;
      this.#nextAttemptAt = undefined;
    }
  }

  /**
   * Changes the state and logs the change: the one line per change an operator reads at `info`
   * (a camera that fails is a warning, with its reason); `quiet` changes are logged at debug.
   * False when the state was already `state`.
   */
  #setState(state: CameraState, fields: object = {}, reason?: string, quiet = false): boolean {
    if (state === this.#state) return false;
    const before = this.#state;
    this.#state = state;
    this.#since = this.#now();
    const level = quiet ? 'debug' : state === 'retrying' || state === 'failed' ? 'warn' : 'info';
    this.#options.logger?.[level](
      { ...fields, from: before, state },
      `camera ${state}${reason === undefined ? '' : `: ${reason}`}`,
    );
    this.emit('state', state);
    return true;
  }

  // ------------------------------------------------------------------ on demand

  /** Pulled only while watched: on demand and not recording. */
  get #pullsOnDemand(): boolean {
    return this.#settings.onDemand && this.#settings.recording !== true;
  }

  #idleMs(): number {
    return this.#options.onDemandIdleMs ?? 60_000;
  }

  #armIdleTimer(): void {
    if (this.#idleTimer !== undefined) return;
    const check = () => {
      this.#idleTimer = undefined;
      if (this.#closed || !this.#pullsOnDemand) return;
      const quiet = this.#now() - this.#lastViewerAt;
      if (quiet >= this.#idleMs()) {
        this.#options.logger?.info({}, 'no viewers: on-demand camera stops pulling');
        this.#apply();
        return;
      }
      this.#idleTimer = setTimeout(check, this.#idleMs() - quiet);
      this.#idleTimer.unref();
    };
    this.#idleTimer = setTimeout(check, this.#idleMs());
    this.#idleTimer.unref();
  }

  // ------------------------------------------------------------------ counters

  /**
   * Runs for every frame of every camera: counters, one monotonic clock read and one add to the
   * current second's bytes; the ring of seconds moves on once a second. The wall-clock time of the
   * last frame is made from the monotonic one when the status is asked for.
   */
  #count(frame: Frame): void {
    // The camera delivers media again: its next failure starts from the shortest delay (a camera
    // that reboots five times must not wait longer each time it is back).
    if (this.#sessionFrames++ === 0) this.#backoff.reset();
    const bytes = frame.data.length;
    const now = performance.now();
    this.#framesReceived++;
    this.#bytesReceived += bytes;
    this.#lastFrameAt = now;
    if (now >= this.#bitrateSecondEnds) this.#advanceBitrate(Math.floor(now / 1000));
    this.#bitrateCurrent += bytes;
  }

  /** Moves on to monotonic second `second`: the current second's bytes go into the ring, skipped seconds are empty. */
  #advanceBitrate(second: number): void {
    if (second <= this.#bitrateSecond) return;
    const size = this.#bitrateBuckets.length;
    if (this.#bitrateSecond >= 0) this.#bitrateBuckets[this.#bitrateSecond % size] = this.#bitrateCurrent;
    if (second - this.#bitrateSecond >= size) this.#bitrateBuckets.fill(0);
    else for (let s = this.#bitrateSecond + 1; s <= second; s++) this.#bitrateBuckets[s % size] = 0;
    this.#bitrateSecond = second;
    this.#bitrateCurrent = 0;
    this.#bitrateSecondEnds = (second + 1) * 1000;
  }

  /** Bits per second over the last complete seconds (the current one is still filling). */
  #bitrate(): number {
    const second = Math.floor(performance.now() / 1000);
    this.#advanceBitrate(second);
    let bytes = 0;
    for (let s = second - BITRATE_SECONDS; s < second; s++)
      bytes += this.#bitrateBuckets[s % this.#bitrateBuckets.length] ?? 0;
    return Math.round((bytes * 8) / BITRATE_SECONDS);
  }

  #pruneViewers(now: number): void {
    for (const [viewer, at] of this.#viewers) if (now - at > VIEWER_WINDOW_MS) this.#viewers.delete(viewer);
  }
}
