import { spawn } from 'node:child_process';
import { errors, type GatewayError } from '../errors.js';

// ffmpeg is optional: live HLS is our own code, but snapshots (one keyframe decoded to JPEG) and
// H.264 transcoding of H.265 cameras run it as a child process. This finds it once and says why
// not when it cannot, so a missing ffmpeg is a clear 501 at the request (or PATCH) that needs it.

/** 5 s for `ffmpeg -version`: it answers in tens of milliseconds; a hung binary is not usable. */
export const FFMPEG_PROBE_TIMEOUT_MS = 5_000;
/** 64 KiB of `-version` output read at most: its first line is all we keep. */
const MAX_VERSION_OUTPUT_BYTES = 64 * 1024;
/** 60 s: a binary installed (or removed) while the gateway runs is noticed within a minute. */
export const FFMPEG_RECHECK_MS = 60_000;

export type FfmpegLookup =
  { found: true; path: string; version: string } | { found: false; path: string; reason: string };

/**
 * Runs `<path> -version` and reads its first line (`ffmpeg version 5.1.6-0+deb12u1 ...`). `path`
 * is a file path or a name looked up in PATH by the OS, as any child process would run it.
 */
export function probeFfmpeg(path: string, timeoutMs = FFMPEG_PROBE_TIMEOUT_MS): Promise<FfmpegLookup> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const done = (lookup: FfmpegLookup) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(lookup);
    };
    const child = spawn(path, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ found: false, path, reason: `${path} -version did not answer within ${timeoutMs} ms` });
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (output.length < MAX_VERSION_OUTPUT_BYTES) output += chunk;
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      done({
        found: false,
        path,
        reason: err.code === 'ENOENT' ? `${path} was not found` : `${path} cannot be run (${err.code ?? 'error'})`,
      }),
    );
    child.on('close', (code) => {
      const first = output.split('\n', 1)[0]?.trim() ?? '';
      if (code === 0 && first.startsWith('ffmpeg version ')) done({ found: true, path, version: first.slice(15) });
      else done({ found: false, path, reason: `${path} is not ffmpeg (-version exited with ${code ?? 'a signal'})` });
    });
  });
}

/**
 * The gateway's ffmpeg: looked up at first use, remembered for {@link FFMPEG_RECHECK_MS} (found or
 * not), so a request that needs it costs no process start.
 */
export class FfmpegBinary {
  readonly #path: string;
  readonly #now: () => number;
  #lookup: Promise<FfmpegLookup> | undefined;
  #checkedAt = 0;

  constructor(path: string, now: () => number = () => performance.now()) {
    this.#path = path;
    this.#now = now;
  }

  /** What was found, looking again when the last look is older than a minute. */
  lookup(): Promise<FfmpegLookup> {
    const now = this.#now();
    if (this.#lookup === undefined || now - this.#checkedAt >= FFMPEG_RECHECK_MS) {
      this.#checkedAt = now;
      this.#lookup = probeFfmpeg(this.#path);
    }
    return this.#lookup;
  }

  /** The path to run, or the coded 501 for `what` (e.g. "a snapshot") when ffmpeg cannot be run. */
  async require(what: string): Promise<string> {
    const lookup = await this.lookup();
    if (!lookup.found) throw this.missing(what, lookup.reason);
    return lookup.path;
  }

  missing(what: string, reason: string): GatewayError {
    return errors.ffmpegNotFound(what, reason);
  }
}
