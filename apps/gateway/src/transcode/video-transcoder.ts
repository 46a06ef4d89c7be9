import { h264CodecString } from '@camgate/codecs';
import {
  HlsStream,
  type ExtraVariant,
  type HlsResponse,
  type HlsStreamOptions,
  type RenditionReport,
  type StreamPosition,
} from '@camgate/hls';
import { Backoff, type BackoffOptions } from '../cameras/backoff.js';
import { errors, type GatewayError } from '../errors.js';
import type { FfmpegBinary, FfmpegLookup } from '../ffmpeg/ffmpeg-binary.js';
import { ASSUMED_FPS, h264HighCodecString, h264LevelFor, transcodeBitrate, type H264Level } from './h264-level.js';
import { transcodeArgs, type TranscodeEncoder, type TranscodeHwaccel } from './transcode-args.js';
import { TranscoderProcess, type TranscodedFrame } from './transcoder-process.js';

/**
 * A camera's H.264 variant (camera setting `transcode: "h264"`): an ffmpeg process turns the
 * camera's video into H.264 while someone watches it, into a video-only HlsStream served under
 * `h264/`, which the camera's multivariant playlist lists next to the original with the original's
 * audio. Its frames keep the original frames' times on the main stream's output timeline, so one
 * audio rendition plays with either variant. The process starts at the first request under `h264/`
 * (which waits, like an on-demand camera's first request), stops after `idleMs` without one,
 * is started again with backoff when it fails, and is killed on close.
 */

export type TranscodeState = 'idle' | 'starting' | 'running' | 'failed';

/** What the camera status says of the transcoder (`status.transcode`, docs/api.md). */
export interface TranscodeStatus {
  codec: 'h264';
  /** The CODECS the multivariant playlist lists; null before the camera's video is known. */
  codecString: string | null;
  state: TranscodeState;
  /** ffmpeg's CPU use, percent of one core (0 while it does not run). */
  cpuPercent: number;
  /** Players that requested the H.264 variant within the last 10 s. */
  viewers: number;
  lastError: { code: string; message: string; at: string } | null;
  /**
   * Why nothing is transcoded although the setting is on: a camera that already sends H.264 gets
   * no second H.264 variant (players would switch between two avc1 variants of one picture).
   */
  note?: string;
  framesIn: number;
  framesOut: number;
  framesDropped: number;
}

export interface TranscodeOptions {
  ffmpeg: FfmpegBinary;
  encoder?: TranscodeEncoder;
  hwaccel?: TranscodeHwaccel;
  /** VAAPI render node or CUDA/QSV device; '' for the default. */
  device?: string;
  /** The process stops this long after the last request for the H.264 variant (default 60 s). */
  idleMs?: number;
  backoff?: BackoffOptions;
  /** No output this long while frames go in: the process is stuck and is restarted (default 10 s). */
  stallMs?: number;
}

/** The camera's video as the transcoder sees it. */
export interface TranscodeSource {
  codec: 'h264' | 'h265';
  width: number;
  height: number;
  fps: number | undefined;
}

export interface TranscodeLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** 10 s: a player reloads a playlist at least every target duration; one gone this long has left. */
const VIEWER_WINDOW_MS = 10_000;
/** 10,000 viewers tracked at most: bounds the map if clients vary their keys. */
const MAX_TRACKED_VIEWERS = 10_000;
const H264_PATH = 'h264';
const CLOCK_RATE = 90_000;
/** What status() says of a camera that already sends H.264. */
export const ALREADY_H264_NOTE = 'the camera already sends H.264: no H.264 variant is made';

interface FrameCounts {
  framesIn: number;
  framesOut: number;
  framesDropped: number;
}

export class VideoTranscoder {
  readonly #options: TranscodeOptions;
  readonly #main: () => HlsStream | undefined;
  readonly #source: () => TranscodeSource | undefined;
  readonly #hls: HlsStreamOptions;
  readonly #logger: TranscodeLogger | undefined;
  readonly #backoff: Backoff;
  #state: TranscodeState = 'idle';
  #stream: HlsStream | undefined;
  #lastPosition: StreamPosition | undefined;
  #process: TranscoderProcess | undefined;
  /** The input it runs for (a changed resolution or codec restarts it). */
  #runningFor: string | undefined;
  #lastError: { error: GatewayError; at: number } | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #lastRequestAt = 0;
  /** Requests being answered (held ones included): the variant is in use while any is. */
  #inFlight = 0;
  #lastOutputAt = 0;
  readonly #viewers = new Map<string, number>();
  #totals: FrameCounts = { framesIn: 0, framesOut: 0, framesDropped: 0 };
  /** What of each detached process is in #totals already (its exit adds the rest: counters never go back). */
  readonly #counted = new WeakMap<TranscoderProcess, FrameCounts>();
  /** Bumped by stop() and #start(): a stop() that waited for its process resets nothing started since. */
  #generation = 0;
  /** The main stream's discontinuity number the H.264 stream's next or current segment has. */
  #variantDiscontinuity = 0;
  /** MSN of the H.264 stream's first segment: it has published nothing while its position is before it. */
  #variantStartMsn = 0;
  /** Aborted at each failure: requests waiting for a stream that has not started answer with the failure. */
  #failures = new AbortController();
  #expectedCodec: string | undefined;
  /** The last look for ffmpeg (taken when the variant starts and at each restart). */
  #ffmpeg: FfmpegLookup | undefined;
  #warnedCodec = false;
  /**
   * Where each output frame is joined (4-byte length-prefixed NAL units) for the H.264 stream:
   * reused from frame to frame, as the stream copies what it keeps (`HlsStream.push`).
   */
  #joined = new Uint8Array(0);
  #closed = false;

  constructor(
    main: () => HlsStream | undefined,
    source: () => TranscodeSource | undefined,
    options: TranscodeOptions & { hls?: HlsStreamOptions; logger?: TranscodeLogger },
  ) {
    this.#main = main;
    this.#source = source;
    this.#options = options;
    this.#hls = options.hls ?? {};
    this.#logger = options.logger;
    this.#backoff = new Backoff(options.backoff);
  }

  get state(): TranscodeState {
    return this.#state;
  }

  /** The H.264 stream while the transcoder is wanted. */
  get stream(): HlsStream | undefined {
    return this.#stream;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** Rendition reports of the H.264 variant, for the main stream's playlists. */
  reports(): RenditionReport[] {
    return this.#stream?.reports(`${H264_PATH}/`) ?? [];
  }

  /** The variant the main stream lists (known from the camera's video before anything runs). */
  variants(): ExtraVariant[] {
    const plan = this.#plan();
    // An H.264 camera gets no second avc1 variant: hls.js would switch between the two (same
    // codec set, ABR), and each switch costs a stall for the same picture.
    if (plan?.source.codec !== 'h265') return [];
    const { source, level, bitrate } = plan;
    return [
      {
        path: H264_PATH,
        codec: h264HighCodecString(level),
        bandwidth: bitrate,
        width: source.width,
        height: source.height,
        ...(source.fps === undefined ? {} : { frameRate: source.fps }),
        handle: (name, query, signal) => this.handle(name, query, signal),
      },
    ];
  }

  /**
   * A request under `h264/` from a viewer of the camera: starts the transcoder when it is idle and
   * answers from its stream (the first playlist request waits until it has parts).
   */
  async handle(name: string, query: URLSearchParams, signal?: AbortSignal, viewer?: string): Promise<HlsResponse> {
    if (this.#closed) return plain(404, 'not found');
    this.#lastRequestAt = performance.now();
    if (viewer !== undefined) this.touch(viewer);
    this.#armIdleTimer();
    // An on-demand camera just woken: its video is known once its stream has started.
    const main = this.#main();
    if (this.#stream === undefined && main !== undefined && !main.ready) await main.whenReady(undefined, signal);
    if (this.#stream === undefined) this.#start();
    this.#inFlight++;
    try {
      // Once more when the stream was replaced while the request waited (see #followDiscontinuity).
      for (let attempt = 0; ; attempt++) {
        const stream = this.#stream;
        if (stream === undefined) {
          const reason = this.#lastError?.error.message ?? 'the camera has no video yet';
          return plain(503, reason, 1);
        }
        const failedNow = this.#failedBeforeStart(stream);
        if (failedNow !== undefined) return failedNow;
        // While the stream has not started, a failure (no ffmpeg, a crash) answers at once with why.
        const failures = this.#failures.signal;
        const waitSignal = stream.ready
          ? signal
          : signal === undefined
            ? failures
            : AbortSignal.any([signal, failures]);
        const response = await stream.handle(name, query, waitSignal);
        if (signal?.aborted === true) return response;
        // An answer not passed on gives its media memory back at once (see HlsResponse.release).
        const failed = this.#failedBeforeStart(stream);
        if (failed !== undefined) {
          response.release?.();
          return failed;
        }
        if (attempt === 0 && this.#stream !== undefined && this.#stream !== stream) {
          response.release?.();
          continue;
        }
        return response;
      }
    } finally {
      this.#inFlight--;
      this.#lastRequestAt = performance.now();
    }
  }

  /** 503 with the last failure's reason while the transcoder is failing and its stream has nothing yet. */
  #failedBeforeStart(stream: HlsStream): HlsResponse | undefined {
    if (this.#state !== 'failed' || stream.ready || this.#lastError === undefined) return undefined;
    return plain(503, this.#lastError.error.message, 1);
  }

  /** Counts a viewer of the H.264 variant (the HTTP layer knows who asked). */
  touch(viewer: string): void {
    const now = performance.now();
    if (this.#viewers.size >= MAX_TRACKED_VIEWERS && !this.#viewers.has(viewer)) this.#pruneViewers(now);
    if (this.#viewers.size < MAX_TRACKED_VIEWERS) this.#viewers.set(viewer, now);
  }

  /**
   * A video frame the main stream has just taken (`dts`/`pts` in the camera's clock). Written to
   * ffmpeg while it runs; never waits.
   */
  push(frame: { dts: number; pts: number; keyframe: boolean; wallclock: number; data: Uint8Array }): void {
    if (this.#stream === undefined || this.#closed) return;
    const main = this.#main();
    const pts = main?.videoOutputTime(frame.pts);
    if (pts === undefined) return;
    if (frame.keyframe && main !== undefined) {
      this.#followDiscontinuity(main);
      // A new resolution or codec: ffmpeg starts again with this keyframe.
      const plan = this.#plan();
      const key = plan === undefined ? undefined : `${plan.source.codec} ${plan.source.width}x${plan.source.height}`;
      if (this.#process !== undefined && key !== this.#runningFor) void this.#stopProcess();
      if (plan?.source.codec === 'h265') this.#ensureProcess();
    }
    const process = this.#process;
    if (process === undefined) return;
    process.write(frame.data, frame.keyframe, { pts, wallclock: frame.wallclock, keyframe: frame.keyframe });
    this.#checkStall(process);
  }

  /** The camera's session restarted (a reconnect): the main stream has a discontinuity; so does this one. */
  sessionChanged(): void {
    // The discontinuity itself follows the main stream's at the new session's first keyframe (push).
    if (this.#process !== undefined) void this.#stopProcess();
  }

  status(): TranscodeStatus {
    const now = performance.now();
    this.#pruneViewers(now);
    const plan = this.#plan();
    const process = this.#process;
    const live = process?.stats ?? { framesIn: 0, framesOut: 0 };
    const alreadyH264 = plan?.source.codec === 'h264';
    return {
      codec: 'h264',
      codecString: plan === undefined || alreadyH264 ? null : h264HighCodecString(plan.level),
      state: this.#state,
      ...(alreadyH264 ? { note: ALREADY_H264_NOTE } : {}),
      cpuPercent: process?.cpuPercent ?? 0,
      viewers: this.#viewers.size,
      lastError:
        this.#lastError === undefined
          ? null
          : {
              code: this.#lastError.error.code,
              message: this.#lastError.error.message,
              at: new Date(this.#lastError.at).toISOString(),
            },
      framesIn: this.#totals.framesIn + live.framesIn,
      framesOut: this.#totals.framesOut + live.framesOut,
      framesDropped: this.#totals.framesDropped + (process?.dropped ?? 0),
    };
  }

  /** Stops the process and the H.264 stream (its requests are released); the next request starts them again. */
  async stop(): Promise<void> {
    const generation = ++this.#generation;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream !== undefined) {
      this.#lastPosition = stream.position ?? this.#lastPosition;
      stream.close();
    }
    await this.#stopProcess();
    // A request during the wait started the variant again: it is not idle.
    if (generation !== this.#generation) return;
    this.#viewers.clear();
    this.#setState('idle');
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.stop();
  }

  // ------------------------------------------------------------------ internals

  #plan(): { source: TranscodeSource; level: H264Level; bitrate: number } | undefined {
    const source = this.#source();
    if (source === undefined) return undefined;
    const fps = source.fps ?? ASSUMED_FPS;
    const level = h264LevelFor(source.width, source.height, fps);
    if (level === undefined) return undefined;
    return { source, level, bitrate: transcodeBitrate(source.width, source.height, fps, level) };
  }

  /** Creates the H.264 stream; the process follows with the camera's next keyframe. */
  #start(): void {
    if (this.#closed || this.#stream !== undefined) return;
    const main = this.#main();
    if (main === undefined || this.#plan()?.source.codec !== 'h265') return;
    this.#generation++;
    // The variant's discontinuity numbers follow the main stream's (players key timelines by them).
    const discontinuity = main.position?.discontinuity ?? 0;
    const startMsn = Math.max(Math.floor(Date.now() / 1000), (this.#lastPosition?.msn ?? -1) + 1);
    this.#variantDiscontinuity = discontinuity;
    this.#variantStartMsn = startMsn;
    this.#lookUpFfmpeg();
    const timing = main.timing;
    this.#stream = new HlsStream({
      ...this.#hls,
      inputTimeline: true,
      // One multivariant playlist: its renditions share TARGETDURATION and SERVER-CONTROL, and
      // report each other (rfc8216bis §6.2.4, App. B.1).
      ...(timing === undefined
        ? {}
        : { timingFloor: { targetDuration: timing.targetDuration, partTarget: timing.partTarget } }),
      externalReports: () => this.#main()?.reports('../') ?? [],
      startMsn,
      ...(discontinuity > 0
        ? { continueFrom: { msn: startMsn - 1, discontinuity: discontinuity - 1, final: true } }
        : {}),
    });
    this.#setState('starting');
  }

  #ensureProcess(): void {
    if (this.#process !== undefined || this.#restartTimer !== undefined || this.#closed) return;
    const plan = this.#plan();
    if (plan === undefined) return;
    const { source, level, bitrate } = plan;
    const key = `${source.codec} ${source.width}x${source.height}`;
    const lookup = this.#ffmpeg;
    // Still looking: the process starts with a later keyframe.
    if (lookup === undefined) return;
    if (!lookup.found) {
      this.#fail(this.#options.ffmpeg.missing('H.264 transcoding', lookup.reason));
      return;
    }
    this.#runningFor = key;
    this.#expectedCodec = h264HighCodecString(level);
    this.#lastOutputAt = performance.now();
    let process: TranscoderProcess;
    try {
      process = new TranscoderProcess({
        ffmpeg: lookup.path,
        args: transcodeArgs({
          input: source.codec,
          encoder: this.#options.encoder ?? 'libx264',
          hwaccel: this.#options.hwaccel ?? 'none',
          device: this.#options.device ?? '',
          level,
          bitrate,
        }),
        onFrame: (frame) => this.#onFrame(process, frame, source),
        onExit: (error) => this.#onExit(process, error),
      });
    } catch (err) {
      // spawn() throws for some failures (bad arguments, no memory): reported, never thrown into
      // the camera's frame listener.
      this.#runningFor = undefined;
      this.#fail(errors.transcodeFailed(`ffmpeg could not be started (${(err as Error).message})`));
      return;
    }
    this.#process = process;
    this.#logger?.info(
      { pid: process.pid, encoder: this.#options.encoder ?? 'libx264', level: level.name },
      'H.264 transcoder started',
    );
  }

  #lookUpFfmpeg(): void {
    this.#ffmpeg = undefined;
    void this.#options.ffmpeg.lookup().then((lookup) => (this.#ffmpeg = lookup));
  }

  #onFrame(process: TranscoderProcess, { unit, timing }: TranscodedFrame, source: TranscodeSource): void {
    const stream = this.#stream;
    if (process !== this.#process || stream === undefined) return;
    this.#lastOutputAt = performance.now();
    if (unit.keyframe && unit.sps !== undefined && unit.pps !== undefined) {
      const codec = h264CodecString(unit.sps);
      if (codec !== this.#expectedCodec && !this.#warnedCodec) {
        this.#warnedCodec = true;
        this.#logger?.warn(
          { listed: this.#expectedCodec, written: codec },
          'the encoder wrote another H.264 profile or level than the playlist lists',
        );
      }
      stream.setTrack({
        kind: 'video',
        config: { kind: 'video', codec: 'h264', sps: unit.sps, pps: unit.pps },
        clockRate: CLOCK_RATE,
        width: source.width,
        height: source.height,
        ...(source.fps === undefined ? {} : { fps: source.fps }),
      });
    }
    stream.push({
      kind: 'video',
      dts: timing.pts,
      pts: timing.pts,
      keyframe: unit.keyframe,
      discontinuity: false,
      wallclock: timing.wallclock,
      data: this.#join(unit.nals),
    });
    if (this.#state !== 'running') {
      this.#setState('running');
      this.#backoff.reset();
    }
  }

  /** `nals` behind 4-byte lengths (ISO/IEC 14496-15), in the reused buffer; valid until the next call. */
  #join(nals: readonly Uint8Array[]): Uint8Array {
    let size = 0;
    for (const nal of nals) size += 4 + nal.length;
    // A quarter more room when it grows: the next keyframe is likely a little larger.
    if (this.#joined.length < size) this.#joined = new Uint8Array(Math.ceil(size * 1.25));
    const out = this.#joined;
    let at = 0;
    for (const nal of nals) {
      const length = nal.length;
      out[at] = length >>> 24;
      out[at + 1] = (length >>> 16) & 0xff;
      out[at + 2] = (length >>> 8) & 0xff;
      out[at + 3] = length & 0xff;
      out.set(nal, at + 4);
      at += 4 + length;
    }
    return out.subarray(0, size);
  }

  #onExit(process: TranscoderProcess, error: GatewayError | undefined): void {
    this.#count(process);
    if (process !== this.#process) return;
    this.#process = undefined;
    this.#runningFor = undefined;
    if (error !== undefined) this.#fail(error);
  }

  /** A failure: reported, and the process started again after a backoff while someone watches. */
  #fail(error: GatewayError): void {
    this.#lastError = { error, at: Date.now() };
    this.#setState('failed');
    this.#failures.abort();
    this.#failures = new AbortController();
    this.#logger?.warn({ code: error.code }, error.message);
    if (this.#closed || this.#stream === undefined || this.#restartTimer !== undefined) return;
    const delay = this.#backoff.next();
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#lookUpFfmpeg();
      if (this.#stream !== undefined) this.#setState('starting');
    }, delay);
    this.#restartTimer.unref();
  }

  #checkStall(process: TranscoderProcess): void {
    const stallMs = this.#options.stallMs ?? 10_000;
    if (performance.now() - this.#lastOutputAt < stallMs) return;
    this.#lastOutputAt = performance.now();
    this.#fail(errors.transcodeFailed(`ffmpeg wrote nothing for ${stallMs / 1000} s`));
    if (process === this.#process) {
      this.#process = undefined;
      this.#count(process);
      void process.stop();
    }
  }

  /**
   * Adds what `process` counted since it was last counted to the totals: at detach (it stops
   * counting then) and at its exit, so the status counters never go back during its exit grace.
   */
  #count(process: TranscoderProcess): void {
    const now = {
      framesIn: process.stats.framesIn,
      framesOut: process.stats.framesOut,
      framesDropped: process.dropped,
    };
    const before = this.#counted.get(process) ?? { framesIn: 0, framesOut: 0, framesDropped: 0 };
    this.#totals.framesIn += Math.max(0, now.framesIn - before.framesIn);
    this.#totals.framesOut += Math.max(0, now.framesOut - before.framesOut);
    this.#totals.framesDropped += Math.max(0, now.framesDropped - before.framesDropped);
    this.#counted.set(process, {
      framesIn: Math.max(now.framesIn, before.framesIn),
      framesOut: Math.max(now.framesOut, before.framesOut),
      framesDropped: Math.max(now.framesDropped, before.framesDropped),
    });
  }

  /**
   * The main stream started a new discontinuity (a reconnect, a new SPS or audio configuration):
   * the H.264 stream's next segment takes the same number, or hls.js waits forever for the
   * timeline of a number one rendition never reaches (audio stops for H.264 viewers).
   */
  #followDiscontinuity(main: HlsStream): void {
    const stream = this.#stream;
    const target = main.position?.discontinuity;
    if (stream === undefined || target === undefined || target === this.#variantDiscontinuity) return;
    const position = stream.position;
    if (position !== undefined && position.msn >= this.#variantStartMsn) {
      // Idempotent until its next segment starts: one step, like the main stream's.
      this.#variantDiscontinuity = target;
      stream.markDiscontinuity();
      return;
    }
    // Nothing published yet: made again, numbered as the main stream now is (requests it holds retry).
    this.#lastPosition = position ?? this.#lastPosition;
    this.#stream = undefined;
    stream.close();
    this.#start();
  }

  async #stopProcess(): Promise<void> {
    const process = this.#process;
    this.#process = undefined;
    this.#runningFor = undefined;
    if (process === undefined) return;
    this.#count(process);
    await process.stop();
  }

  #armIdleTimer(): void {
    if (this.#idleTimer !== undefined) return;
    const idleMs = this.#options.idleMs ?? 60_000;
    const check = () => {
      this.#idleTimer = undefined;
      const quiet = this.#inFlight > 0 ? 0 : performance.now() - this.#lastRequestAt;
      if (quiet >= idleMs) {
        this.#logger?.info({}, 'no viewers of the H.264 variant: transcoder stops');
        void this.stop();
        return;
      }
      this.#idleTimer = setTimeout(check, idleMs - quiet);
      this.#idleTimer.unref();
    };
    this.#idleTimer = setTimeout(check, idleMs);
    this.#idleTimer.unref();
  }

  #setState(state: TranscodeState): void {
    this.#state = state;
  }

  #pruneViewers(now: number): void {
    for (const [viewer, at] of this.#viewers) if (now - at > VIEWER_WINDOW_MS) this.#viewers.delete(viewer);
  }
}

function plain(status: number, reason: string, maxAge?: number): HlsResponse {
  return {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': maxAge === undefined ? 'no-cache' : `max-age=${maxAge}`,
      ...(status === 503 && maxAge !== undefined ? { 'retry-after': String(maxAge) } : {}),
    },
    body: `${reason}\n`,
  };
}
