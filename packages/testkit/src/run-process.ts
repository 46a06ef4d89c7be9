import { spawn } from 'node:child_process';
import { TestkitError, TestkitErrorCode } from './errors.js';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunProcessOptions {
  /** Kill the process (SIGKILL) after this many milliseconds. Default 60 s. */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Uint8Array;
}

/** 16 MiB: more than any probe or version output; bounds what a runaway tool can make us hold. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * Runs a command to completion and collects its output (bounded). Resolves with
 * the exit status even when it is non-zero; rejects only when the command cannot
 * be started or exceeds its timeout.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<ProcessResult> {
  const { timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) into.push(chunk);
    };
    child.stdout?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new TestkitError(TestkitErrorCode.PROCESS_FAILED, `cannot run ${command}: ${error.message}`, { cause: error }),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = {
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (timedOut) {
        reject(
          new TestkitError(
            TestkitErrorCode.PROCESS_FAILED,
            `${command} ${args.join(' ')} timed out after ${timeoutMs} ms\n${result.stderr}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
