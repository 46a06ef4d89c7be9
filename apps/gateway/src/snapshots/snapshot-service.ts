import { spawn } from 'node:child_process';
import { errors, GatewayError } from '../errors.js';
import type { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { keyframeAnnexB, type Keyframe } from './keyframe-keeper.js';

/**
 * 2 decodes at once: each is one ffmpeg process decoding one picture on a core; the gateway's own
 * work (every camera's packaging) must keep the other. Sized for a 2-core machine.
 */
export const MAX_CONCURRENT_DECODES = 2;
/**
 * 16 decodes waiting for a slot; more are refused at once with 503 and Retry-After (a wall of 50
 * refreshing stills asks again a second later instead of piling up behind a queue).
 */
export const MAX_QUEUED_DECODES = 16;
/** 5 s for one decode: a 4K H.265 keyframe decodes and encodes in well under a second on one core. */
export const DECODE_TIMEOUT_MS = 5_000;
/** 10 s in the queue at most: by then the picture is old and the client has likely given up. */
export const QUEUE_WAIT_MS = 10_000;
/**
 * 3 s a decoded picture is reused for the same camera, width and keyframe: requests for one
 * keyframe (a wall of stills refreshing together) share one decode, and the memory goes soon.
 */
export const SNAPSHOT_CACHE_MS = 3_000;
/** 256 pictures cached at most (by number), the oldest forgotten first. */
export const MAX_CACHED_SNAPSHOTS = 256;
/** 64 MiB of cached pictures at most: 40 or so 4K JPEGs. */
export const MAX_CACHE_BYTES = 64 * 1024 * 1024;
/** 16 MiB of JPEG from one decode at most: an 8K picture at our quality is about 6 MiB. */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;
/** 4 KiB of ffmpeg's error output kept: its last line is the reason given. */
const MAX_STDERR_BYTES = 4 * 1024;
/** 1 s: when a full queue or a failed decode suggests trying again. */
export const SNAPSHOT_RETRY_AFTER_S = 1;
/**
 * JPEG quality scale 2-31 (lower is better; ffmpeg's `-q:v`): 4 is a sharp picture at about a
 * tenth of the size of 2. ffmpeg's default for MJPEG is a bit rate, which makes a still smeared.
 */
const JPEG_QSCALE = 4;

/**
 * 5 s for a camera with no keyframe yet (an idle on-demand camera the request starts, one that is
 * connecting): a camera sends one every GOP, 1-4 s on most; longer and the client is better told.
 */
export const KEYFRAME_WAIT_MS = 5_000;

/** Widths a client may ask for: 16 px (a thumbnail's least) to 3840 (4K UHD). */
export const MIN_SNAPSHOT_WIDTH = 16;
export const MAX_SNAPSHOT_WIDTH = 3840;

/** What a decode gets: the keyframe as Annex B, and the width to scale to (undefined: as it is). */
export interface DecodeJob {
  codec: Keyframe['codec'];
  annexB: Uint8Array;
  width: number | undefined;
}

/** Decodes one keyframe to a JPEG; rejects with a GatewayError (its reason) when it cannot. */
export type DecodeFunction = (job: DecodeJob, signal: AbortSignal) => Promise<Buffer>;

export interface Snapshot {
  jpeg: Buffer;
  /** The keyframe's wall-clock time (ms since the epoch): when the picture was taken. */
  takenAt: number;
}

export interface SnapshotStats {
  /** Decodes started (ffmpeg runs). */
  decodes: number;
  /** Decodes that failed (ffmpeg refused the picture, timed out, wrote too much, or could not be run). */
  failures: number;
  /** Requests answered from the cache or from a decode another request started. */
  shared: number;
  /** Requests refused because the queue was full. */
  refused: number;
}

export interface SnapshotServiceOptions {
  /** The ffmpeg to run (its absence is a 501 FFMPEG_NOT_FOUND). */
  ffmpeg?: FfmpegBinary;
  /** Replaces ffmpeg (tests). */
  decode?: DecodeFunction;
  maxConcurrent?: number;
  maxQueued?: number;
  cacheMs?: number;
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** How long a request for a camera without a keyframe waits for one (default {@link KEYFRAME_WAIT_MS}). */
  keyframeWaitMs?: number;
  now?: () => number;
}

interface CacheEntry {
  snapshot: Snapshot;
  at: number;
}

/**
 * Decodes cameras' latest keyframes to JPEG with ffmpeg, one keyframe per picture (never the
 * stream): each (camera, width, keyframe) is decoded once and kept {@link SNAPSHOT_CACHE_MS},
 * requests for one that is being decoded wait for that decode, at most
 * {@link MAX_CONCURRENT_DECODES} run at once, {@link MAX_QUEUED_DECODES} wait, every ffmpeg is
 * killed after {@link DECODE_TIMEOUT_MS} or when the service closes.
 */
export class SnapshotService {
  readonly stats: SnapshotStats = { decodes: 0, failures: 0, shared: 0, refused: 0 };
  /** How long a request for a camera without a keyframe waits for one. */
  readonly keyframeWaitMs: number;
  readonly #ffmpeg: FfmpegBinary | undefined;
  readonly #decode: DecodeFunction;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #cacheMs: number;
  readonly #timeoutMs: number;
  readonly #maxOutputBytes: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  #cacheBytes = 0;
  readonly #inFlight = new Map<string, Promise<Snapshot>>();
  readonly #queue: Array<{ start: () => void; fail: (err: GatewayError) => void }> = [];
  #running = 0;
  /** Aborted on close: kills every ffmpeg. */
  readonly #closing = new AbortController();

  constructor(options: SnapshotServiceOptions = {}) {
    this.#ffmpeg = options.ffmpeg;
    this.keyframeWaitMs = options.keyframeWaitMs ?? KEYFRAME_WAIT_MS;
    this.#maxConcurrent = options.maxConcurrent ?? MAX_CONCURRENT_DECODES;
    this.#maxQueued = options.maxQueued ?? MAX_QUEUED_DECODES;
    this.#cacheMs = options.cacheMs ?? SNAPSHOT_CACHE_MS;
    this.#timeoutMs = options.timeoutMs ?? DECODE_TIMEOUT_MS;
    this.#maxOutputBytes = options.maxOutputBytes ?? MAX_SNAPSHOT_BYTES;
    this.#now = options.now ?? (() => performance.now());
    this.#decode = options.decode ?? ((job, signal) => this.#ffmpegDecode(job, signal));
  }

  /** Decodes running now. */
  get running(): number {
    return this.#running;
  }

  /** Decodes waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Throws the 501 FFMPEG_NOT_FOUND (with the fix) when ffmpeg cannot be run: asked before waiting
   * for a keyframe, so an operator learns what to install without a camera that streams.
   */
  async check(): Promise<void> {
    if (this.#ffmpeg !== undefined) await this.#ffmpeg.require('a snapshot');
  }

  /**
   * The JPEG of `keyframe` of camera `cameraId`, `width` pixels wide (aspect kept) or as it is.
   * @throws GatewayError 501 FFMPEG_NOT_FOUND, 503 SNAPSHOT_UNAVAILABLE (with the reason; with
   * Retry-After when the queue is full).
   */
  async snapshot(cameraId: string, keyframe: Keyframe, width?: number): Promise<Snapshot> {
    if (this.#closing.signal.aborted) throw errors.snapshotUnavailable('the gateway is shutting down');
    const key = `${cameraId}\n${width ?? 0}\n${keyframe.sequence}`;
    const now = this.#now();
    this.#expire(now);
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.stats.shared++;
      return cached.snapshot;
    }
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) {
      this.stats.shared++;
      return pending;
    }
    // Registered before anything is awaited: a request arriving meanwhile shares this decode.
    const decoding = this.#find(keyframe, width)
      .then((snapshot) => {
        this.#remember(key, snapshot);
        return snapshot;
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, decoding);
    return decoding;
  }

  /** Kills every ffmpeg, refuses what waits; later requests are refused. */
  close(): void {
    this.#closing.abort();
    for (const waiting of this.#queue.splice(0))
      waiting.fail(errors.snapshotUnavailable('the gateway is shutting down'));
    this.#cache.clear();
    this.#cacheBytes = 0;
  }

  async #find(keyframe: Keyframe, width: number | undefined): Promise<Snapshot> {
    // ffmpeg missing is the operator's to fix (501), told before any queueing.
    if (this.#ffmpeg !== undefined) await this.#ffmpeg.require('a snapshot');
    await this.#slot();
    this.stats.decodes++;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = AbortSignal.any([timeout, this.#closing.signal]);
    try {
      const jpeg = await this.#decode({ codec: keyframe.codec, annexB: keyframeAnnexB(keyframe), width }, signal);
      return { jpeg, takenAt: keyframe.wallclock };
    } catch (err) {
      this.stats.failures++;
      if (timeout.aborted) throw errors.snapshotUnavailable(`decoding took longer than ${this.#timeoutMs} ms`);
      if (err instanceof GatewayError) throw err;
      throw errors.snapshotUnavailable(`the keyframe could not be decoded (${(err as Error).message})`);
    } finally {
      this.#running--;
      // The slot passes to the first in the queue, counted as running at once.
      const next = this.#queue.shift();
      if (next !== undefined) {
        this.#running++;
        next.start();
      }
    }
  }

  /**
   * Takes a decode slot (counted in `running` from then on): at once when one is free, else from
   * the bounded queue when a decode ends.
   */
  #slot(): Promise<void> {
    if (this.#running < this.#maxConcurrent && this.#queue.length === 0) {
      this.#running++;
      return Promise.resolve();
    }
    if (this.#queue.length >= this.#maxQueued) {
      this.stats.refused++;
      return Promise.reject(
        errors.snapshotUnavailable(
          `${this.#running} snapshots are being decoded and ${this.#queue.length} wait; try again shortly`,
          SNAPSHOT_RETRY_AFTER_S,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (err: GatewayError) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#queue.indexOf(entry);
        if (at !== -1) this.#queue.splice(at, 1);
        this.stats.refused++;
        entry.fail(
          errors.snapshotUnavailable(
            `no decode slot became free within ${QUEUE_WAIT_MS} ms; try again shortly`,
            SNAPSHOT_RETRY_AFTER_S,
          ),
        );
      }, QUEUE_WAIT_MS);
      this.#queue.push(entry);
    });
  }

  #remember(key: string, snapshot: Snapshot): void {
    if (this.#closing.signal.aborted || this.#cacheMs <= 0) return;
    this.#cache.delete(key);
    this.#cache.set(key, { snapshot, at: this.#now() });
    this.#cacheBytes += snapshot.jpeg.length;
    while (this.#cache.size > MAX_CACHED_SNAPSHOTS || this.#cacheBytes > MAX_CACHE_BYTES) this.#evictOldest();
  }

  #expire(now: number): void {
    // Entries are in insertion order, so the oldest come first.
    for (const [, entry] of this.#cache) {
      if (now - entry.at < this.#cacheMs) break;
      this.#evictOldest();
    }
  }

  #evictOldest(): void {
    const first = this.#cache.entries().next();
    if (first.done === true) return;
    this.#cache.delete(first.value[0]);
    this.#cacheBytes -= first.value[1].snapshot.jpeg.length;
  }

  /** One ffmpeg process: the keyframe on stdin, one JPEG on stdout. */
  async #ffmpegDecode(job: DecodeJob, signal: AbortSignal): Promise<Buffer> {
    if (this.#ffmpeg === undefined) throw errors.snapshotUnavailable('no decoder is configured');
    const path = await this.#ffmpeg.require('a snapshot');
    return runFfmpeg(path, job, signal, this.#maxOutputBytes);
  }
}

/** ffmpeg's arguments for one keyframe: Annex B in, one MJPEG picture out, scaled when asked. */
export function ffmpegArguments(job: Pick<DecodeJob, 'codec' | 'width'>): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    job.codec === 'h264' ? 'h264' : 'hevc',
    '-i',
    'pipe:0',
    '-frames:v',
    '1',
    // Never larger than the picture (no upscaling); -2: the height keeps the aspect, even.
    ...(job.width === undefined ? [] : ['-vf', `scale=w='min(${job.width},iw)':h=-2`]),
    '-c:v',
    'mjpeg',
    '-q:v',
    String(JPEG_QSCALE),
    '-f',
    'image2pipe',
    'pipe:1',
  ];
}

/**
 * Runs ffmpeg on one keyframe: the JPEG it writes, or a 503 SNAPSHOT_UNAVAILABLE with its reason.
 * The process is killed when `signal` aborts (timeout, shutdown) or it writes more than
 * `maxOutputBytes`.
 */
export function runFfmpeg(path: string, job: DecodeJob, signal: AbortSignal, maxOutputBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(errors.snapshotUnavailable('the decode was cancelled'));
      return;
    }
    const child = spawn(path, ffmpegArguments(job), { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: GatewayError | undefined;
    const kill = (why: GatewayError) => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const onAbort = () => kill(errors.snapshotUnavailable('the decode was cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxOutputBytes) {
        kill(errors.snapshotUnavailable(`the picture is larger than ${maxOutputBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.slice(0, MAX_STDERR_BYTES - stderr.length);
    });
    // ffmpeg may exit (bad input) before it read everything: EPIPE is its answer, not ours.
    child.stdin.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= errors.snapshotUnavailable(`ffmpeg could not be started (${err.code ?? 'error'})`);
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      const jpeg = Buffer.concat(chunks);
      // A JPEG starts with SOI (FF D8, ITU T.81 §B.2.1); anything else is no picture.
      if (code === 0 && jpeg.length > 2 && jpeg[0] === 0xff && jpeg[1] === 0xd8) {
        resolve(jpeg);
        return;
      }
      const last = stderr.trim().split('\n').pop()?.trim() ?? '';
      reject(
        errors.snapshotUnavailable(
          `ffmpeg could not decode the keyframe${last === '' ? ` (exit code ${code ?? 'signal'})` : `: ${last.slice(0, 200)}`}`,
          SNAPSHOT_RETRY_AFTER_S,
        ),
      );
    });
    child.stdin.end(job.annexB);
  });
}

/**
 * `?width=` of a snapshot request: undefined when absent; else an integer from
 * {@link MIN_SNAPSHOT_WIDTH} to {@link MAX_SNAPSHOT_WIDTH}, an odd one rounded down to even
 * (4:2:0 JPEG needs even sizes). Anything else is a 400 VALIDATION.
 */
export function parseSnapshotWidth(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!/^[0-9]{1,5}$/.test(value)) {
    throw errors.validation([
      {
        field: 'query.width',
        message: `must be a whole number of pixels from ${MIN_SNAPSHOT_WIDTH} to ${MAX_SNAPSHOT_WIDTH}`,
      },
    ]);
  }
  const width = Number(value);
  if (width < MIN_SNAPSHOT_WIDTH || width > MAX_SNAPSHOT_WIDTH) {
    throw errors.validation([
      { field: 'query.width', message: `must be from ${MIN_SNAPSHOT_WIDTH} to ${MAX_SNAPSHOT_WIDTH} pixels` },
    ]);
  }
  return width - (width % 2);
}
