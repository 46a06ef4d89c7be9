/**
 * One camera's recorder (issue 15): a frame sink beside the live stream that cuts the camera's
 * frames into recorded segments (RecordingSegmenter, @camgate/hls) and appends them to the
 * camera's media files, one at a time, in order. The camera's frames never wait for the disk:
 * segments queue (bounded) and are written by one async loop; when the disk fails the live path
 * goes on, the status says why, and the next segment tries again (a disk that has room again
 * records again by itself).
 */
import { RecordingSegmenter, type FrameSink, type HlsFrame, type HlsTrack, type RecordedMedia } from '@camgate/hls';
import type { RecordingFiles, SegmentWriter } from './recording-files.js';

/** 64 MiB of segments waiting for the disk (over 30 s of a 16 Mbit/s camera): past it, segments are dropped and counted. */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export type RecordingState = 'off' | 'waiting' | 'recording' | 'failing' | 'unavailable';

/** Why recording fails (a camera's `recording.lastError.code`; docs/api.md, "Recording"). */
export const RecordingProblemCode = {
  /** The disk (or the user's quota) is full: ENOSPC, EDQUOT. Recording resumes when there is room. */
  DISK_FULL: 'RECORDING_DISK_FULL',
  /** The recordings directory cannot be written: EACCES, EPERM, EROFS. */
  NOT_WRITABLE: 'RECORDING_NOT_WRITABLE',
  /** Another file-system error (EIO...). */
  WRITE_FAILED: 'RECORDING_WRITE_FAILED',
  /** The disk is slower than the camera: segments were dropped from a full write queue. */
  QUEUE_FULL: 'RECORDING_QUEUE_FULL',
  /** The camera's media could not be recorded (a codec configuration the recorder refused). */
  MEDIA: 'RECORDING_MEDIA',
} as const;
export type RecordingProblemCode = (typeof RecordingProblemCode)[keyof typeof RecordingProblemCode];

export interface RecordingProblem {
  /** A RecordingProblemCode, or a CAMGATE_ERR_ code (the index refused a segment). */
  code: string;
  message: string;
  /** ISO time. */
  at: string;
}

/** A camera's recording, as its status shows it. */
export interface RecordingStatus {
  state: RecordingState;
  /** ISO time of the last state change. */
  since: string;
  /** Why recording last failed (kept after it recovers, with its time); null if it never did. */
  lastError: RecordingProblem | null;
  /** Segments and bytes written since recording started (this process). */
  segments: number;
  bytes: number;
  /** Segments lost: to a failing disk or a full write queue. */
  droppedSegments: number;
  /** ISO time of the last segment written, or null. */
  lastSegmentAt: string | null;
}

export interface RecorderOptions {
  /**
   * First epoch of this recorder's segments: above every epoch the camera has in the index. A
   * function is asked before the first segment is written (the index may be a database): until it
   * answers, segments wait in the queue; when it fails, the segment is lost and the next one asks again.
   */
  epochBase: number | (() => Promise<number>);
  /** The camera's lease epoch on this node (a cluster), written into every row the index takes. */
  leaseEpoch?: number;
  now?: () => number;
  logger?: { warn(fields: object, message: string): void; info(fields: object, message: string): void };
  /** Told of each segment committed to the index. */
  onSegment?: (bytes: number) => void;
  /** Told of each segment lost (a failing disk, a full queue). */
  onDrop?: () => void;
}

/** A file-system error code as a recording problem. */
export function problemOf(err: unknown): { code: string; message: string } {
  // A durable write's failure (WriteFailure) carries the file system's error as its cause.
  const failure = err as (NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }) | undefined;
  const code = failure?.code ?? failure?.cause?.code;
  switch (code ?? '') {
    case 'ENOSPC':
    case 'EDQUOT':
      return { code: RecordingProblemCode.DISK_FULL, message: `the recordings disk is full (${code})` };
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return { code: RecordingProblemCode.NOT_WRITABLE, message: `the recordings directory is not writable (${code})` };
    default:
      if (typeof code === 'string' && code.startsWith('CAMGATE_ERR_')) return { code, message: (err as Error).message };
      return {
        code: RecordingProblemCode.WRITE_FAILED,
        message: `writing the recording failed${code === undefined ? '' : ` (${code})`}`,
      };
  }
}

export class Recorder implements FrameSink {
  readonly camera: string;
  readonly #segmenter: RecordingSegmenter;
  readonly #files: RecordingFiles;
  readonly #writer: SegmentWriter;
  readonly #options: RecorderOptions;
  readonly #now: () => number;
  readonly #queue: RecordedMedia[] = [];
  #queuedBytes = 0;
  #draining: Promise<void> | undefined;
  /** The init segment last stored, and its path: stored once per configuration. */
  #init: { bytes: Uint8Array; path: string } | undefined;
  #state: RecordingState = 'waiting';
  #since: number;
  #lastError: { code: string; message: string; at: number } | undefined;
  #segments = 0;
  #bytes = 0;
  #dropped = 0;
  #lastSegmentAt: number | undefined;
  #stopped = false;
  #epochBase: number | undefined;

  constructor(camera: string, files: RecordingFiles, options: RecorderOptions) {
    this.camera = camera;
    this.#files = files;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#since = this.#now();
    if (typeof options.epochBase === 'number') this.#epochBase = options.epochBase;
    this.#writer = files.writer(camera);
    this.#segmenter = new RecordingSegmenter({ onSegment: (media) => this.#enqueue(media) });
  }

  setTrack(track: HlsTrack): void {
    try {
      this.#segmenter.setTrack(track);
    } catch (err) {
      this.#fail(RecordingProblemCode.MEDIA, (err as Error).message);
      throw err;
    }
  }

  push(frame: HlsFrame): void {
    this.#segmenter.push(frame);
  }

  markDiscontinuity(): void {
    this.#segmenter.markDiscontinuity();
  }

  status(): RecordingStatus {
    const iso = (ms: number) => new Date(ms).toISOString();
    const error = this.#lastError;
    return {
      state: this.#state,
      since: iso(this.#since),
      lastError: error === undefined ? null : { code: error.code, message: error.message, at: iso(error.at) },
      segments: this.#segments,
      bytes: this.#bytes,
      droppedSegments: this.#dropped,
      lastSegmentAt: this.#lastSegmentAt === undefined ? null : iso(this.#lastSegmentAt),
    };
  }

  /**
   * An epoch above every one this recorder used or will use (its successor starts there); undefined
   * when it never learnt its first one (nothing was written).
   */
  get nextEpoch(): number | undefined {
    return this.#epochBase === undefined ? undefined : this.#epochBase + this.#segmenter.epoch + 1;
  }

  /** Resolves once the segments cut so far are written (or failed). */
  async drained(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /**
   * Stops recording: what is pending becomes a last segment, the queue is written out, and the
   * camera's file is sealed. The recorder is removed from the camera before (no frame comes after).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#segmenter.end();
    this.#stopped = true;
    await this.drained();
    await this.#writer.close().catch((err: unknown) => this.#failWith(err));
    this.#setState('off');
  }

  #enqueue(media: RecordedMedia): void {
    if (this.#queuedBytes + media.fragment.length > MAX_QUEUED_BYTES) {
      this.#dropped++;
      this.#options.onDrop?.();
      this.#fail(RecordingProblemCode.QUEUE_FULL, 'the disk is slower than the camera: a segment was dropped');
      return;
    }
    this.#queue.push(media);
    this.#queuedBytes += media.fragment.length;
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  /** Writes queued segments in order until none is left. */
  async #drain(): Promise<void> {
    for (let media = this.#queue[0]; media !== undefined; media = this.#queue[0]) {
      try {
        const epochBase = await this.#firstEpoch();
        const init = await this.#storeInit(media.init);
        await this.#writer.append({
          chunks: [media.fragment],
          startMs: media.startMs,
          durationMs: media.durationMs,
          init,
          epoch: epochBase + media.epoch,
          ...(this.#options.leaseEpoch === undefined ? {} : { leaseEpoch: this.#options.leaseEpoch }),
        });
        this.#segments++;
        this.#bytes += media.fragment.length;
        this.#lastSegmentAt = this.#now();
        if (this.#state !== 'recording') {
          if (this.#state === 'failing') this.#options.logger?.info({}, 'recording resumed');
          this.#setState('recording');
        }
        this.#options.onSegment?.(media.fragment.length);
      } catch (err) {
        // The segment is lost (the writer cut its file back and sealed it); the next one tries again.
        this.#dropped++;
        this.#options.onDrop?.();
        this.#failWith(err);
      }
      this.#queue.shift();
      this.#queuedBytes -= media.fragment.length;
    }
  }

  async #firstEpoch(): Promise<number> {
    if (this.#epochBase !== undefined) return this.#epochBase;
    const base = this.#options.epochBase;
    this.#epochBase = typeof base === 'number' ? base : await base();
    return this.#epochBase;
  }

  async #storeInit(bytes: Uint8Array): Promise<string> {
    if (this.#init?.bytes === bytes) return this.#init.path;
    const path = await this.#files.storeInit(bytes);
    this.#init = { bytes, path };
    return path;
  }

  #failWith(err: unknown): void {
    const { code, message } = problemOf(err);
    this.#fail(code, message);
  }

  #fail(code: string, message: string): void {
    const first = this.#state !== 'failing' || this.#lastError?.code !== code;
    this.#lastError = { code, message, at: this.#now() };
    if (first) this.#options.logger?.warn({ code }, `recording fails: ${message}`);
    this.#setState('failing');
  }

  #setState(state: RecordingState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#since = this.#now();
  }
}
