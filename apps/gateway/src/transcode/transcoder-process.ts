import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { isCodedError } from '@camgate/bits';
import { errors, GatewayError } from '../errors.js';
import { annexBOf, H264AccessUnitSplitter, type H264AccessUnit } from './h264-au-splitter.js';
import { TimestampPairing, type PendingFrame } from './timestamp-pairing.js';

/**
 * One ffmpeg transcoder process: input frames (4-byte length-prefixed H.265/H.264, parameter sets
 * before each keyframe) written to its stdin as Annex B, H.264 access units read from its stdout,
 * each given the timing of the input frame it came from. Writing never waits: a process that
 * does not keep up loses frames (counted) until the next keyframe, so the camera's own stream is
 * never held up by it.
 */

/** 4 MiB queued to ffmpeg's stdin at most (a few seconds of a camera's video): past it frames are dropped. */
export const MAX_STDIN_QUEUE_BYTES = 4 * 1024 * 1024;
/** 4 KiB of ffmpeg's stderr kept: its last line says why it failed. */
const MAX_STDERR_BYTES = 4096;
/** 2 s between CPU samples from /proc: a steadier figure than one frame's worth. */
export const CPU_SAMPLE_MS = 2000;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks on every architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;
/** 2 s for ffmpeg to exit after its stdin closes before it is killed. */
const EXIT_GRACE_MS = 2000;

export interface TranscodedFrame {
  unit: H264AccessUnit;
  timing: PendingFrame;
}

export interface TranscoderProcessStats {
  framesIn: number;
  framesOut: number;
  /** Input frames not written (ffmpeg behind) or never given back by ffmpeg. */
  framesDropped: number;
}

export interface TranscoderProcessOptions {
  ffmpeg: string;
  args: readonly string[];
  onFrame: (frame: TranscodedFrame) => void;
  /** The process ended; `error` unless it was stopped. */
  onExit: (error: GatewayError | undefined) => void;
}

export class TranscoderProcess {
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #splitter = new H264AccessUnitSplitter();
  readonly #pairing = new TimestampPairing();
  readonly #options: TranscoderProcessOptions;
  #stderr = '';
  #stopping = false;
  #exited = false;
  #failure: GatewayError | undefined;
  /** onExit was called (once: the spawn failure of a process without pipes has no 'close' to wait for). */
  #reported = false;
  /** Frames are dropped until the next keyframe (after a drop, a decoder needs one). */
  #needKeyframe = true;
  #dropped = 0;
  #cpuTimer: NodeJS.Timeout | undefined;
  #lastCpu: { ticks: number; at: number } | undefined;
  readonly exited: Promise<void>;
  cpuPercent = 0;
  readonly stats: TranscoderProcessStats = { framesIn: 0, framesOut: 0, framesDropped: 0 };

  constructor(options: TranscoderProcessOptions) {
    this.#options = options;
    this.#child = spawn(options.ffmpeg, [...options.args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const child = this.#child;
    const pipes = [child.stdin, child.stdout, child.stderr] as Array<Writable | Readable | null>;
    if (pipes.some((pipe) => pipe === null)) {
      // A spawn that failed early (EMFILE: no descriptors for the pipes) has none: reported on the
      // next tick, like any failure, never thrown at the caller (the camera's frame listener).
      this.#exited = true;
      this.exited = Promise.resolve();
      this.#failure = errors.transcodeFailed('ffmpeg could not be started (no pipes: out of file descriptors?)');
      child.once('error', ignore);
      process.nextTick(() => this.#report(this.#failure));
      return;
    }
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    // EPIPE when ffmpeg exits while a write is queued: the exit says why.
    child.stdin.on('error', ignore);
    child.stdout.on('data', (chunk: Buffer) => this.#output(chunk));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-MAX_STDERR_BYTES);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      this.#failure ??= errors.transcodeFailed(`ffmpeg could not be started (${err.code ?? err.message})`);
    });
    child.once('close', (code, signal) => {
      this.#exited = true;
      clearInterval(this.#cpuTimer);
      if (!this.#stopping) {
        try {
          for (const unit of this.#splitter.flush()) this.#emit(unit);
        } catch {
          // The reason below covers it.
        }
      }
      const lastLine = this.#stderr.trim().split('\n').at(-1)?.trim() ?? '';
      const error = this.#stopping
        ? undefined
        : (this.#failure ??
          errors.transcodeFailed(
            `ffmpeg exited (${signal ?? `code ${code}`})${lastLine === '' ? '' : `: ${lastLine.slice(0, 300)}`}`,
          ));
      this.#report(error);
    });
    this.#cpuTimer = setInterval(() => void this.#sampleCpu(), CPU_SAMPLE_MS);
    this.#cpuTimer.unref();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  #report(error: GatewayError | undefined): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#options.onExit(error);
  }

  /**
   * Writes one input frame (`timing` on the main stream's output timeline); false when it was
   * dropped. `data` is read during the call only: its Annex B copy is what waits in the pipe's
   * queue, so the caller may reuse the memory at once (a camera frame's: see `Frame.data` in packages/rtsp).
   */
  write(data: Uint8Array, keyframe: boolean, timing: PendingFrame): boolean {
    if (this.#stopping || this.#exited) return false;
    const stdin = this.#child.stdin;
    if (stdin.writableLength > MAX_STDIN_QUEUE_BYTES) {
      // Keyframes too: the queue is bounded whatever comes; the next keyframe after it drains starts again.
      this.#needKeyframe = true;
      this.#dropped++;
      return false;
    }
    if (this.#needKeyframe && !keyframe) {
      this.#dropped++;
      return false;
    }
    const annexB = annexBOf(data);
    if (annexB === undefined) {
      this.#dropped++;
      return false;
    }
    this.#needKeyframe = false;
    this.stats.framesIn++;
    this.#pairing.input(timing);
    stdin.write(annexB);
    return true;
  }

  /** Ends the process: stdin closed, killed if it has not exited within 2 s. Resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.#stopping = true;
    this.#child.stdin.end();
    const kill = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    // Nobody waits for what it still has: stop it now (SIGTERM lets it flush nothing we need).
    this.#child.kill('SIGTERM');
    await this.exited;
    clearTimeout(kill);
  }

  get dropped(): number {
    return this.#dropped + this.#pairing.lost;
  }

  #output(chunk: Buffer): void {
    if (this.#stopping || this.#failure !== undefined) return;
    // Runs in a stream 'data' handler: anything thrown here (bad output, a frame the stream
    // refuses) would be an uncaught exception that ends the gateway. It ends this process instead.
    try {
      for (const unit of this.#splitter.push(chunk)) this.#emit(unit);
    } catch (err) {
      this.#failure =
        err instanceof GatewayError
          ? err
          : errors.transcodeFailed(isCodedError(err) ? err.message : `bad output: ${(err as Error).message}`);
      this.#child.kill('SIGKILL');
    }
  }

  #emit(unit: H264AccessUnit): void {
    const timing = this.#pairing.output(unit.keyframe);
    if (timing === undefined) return;
    this.stats.framesOut++;
    this.stats.framesDropped = this.dropped;
    this.#options.onFrame({ unit, timing });
  }

  async #sampleCpu(): Promise<void> {
    const pid = this.#child.pid;
    if (pid === undefined || this.#exited) return;
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return; // Not Linux, or it just exited.
    }
    // Fields after the command name (which may hold spaces), from field 3: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const at = performance.now();
    if (!Number.isFinite(ticks)) return;
    const last = this.#lastCpu;
    this.#lastCpu = { ticks, at };
    if (last !== undefined && at > last.at)
      this.cpuPercent = Math.round(((ticks - last.ticks) / CLOCK_TICKS_PER_S / ((at - last.at) / 1000)) * 1000) / 10;
  }
}

/** Write errors (EPIPE) are the exit's to explain. */
function ignore(): void {
  // Nothing: the process's exit is reported with its reason.
}
