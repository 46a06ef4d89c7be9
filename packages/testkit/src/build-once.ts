import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './repo.js';
import { runProcess, type ProcessResult } from './run-process.js';

/** 3 minutes: a cold `tsc -b` of the whole repository takes about a minute on 2 cores. */
const BUILD_TIMEOUT_MS = 180_000;
/** A lock left by a killed test run is older than any build: taken over after this long. */
const STALE_LOCK_MS = BUILD_TIMEOUT_MS + 30_000;

/** pnpm itself: the one running this test when started by `pnpm test`, else the one on PATH. */
export function pnpmCommand(args: string[]): { command: string; args: string[] } {
  const execPath = process.env['npm_execpath'];
  return execPath?.includes('pnpm') === true
    ? { command: process.execPath, args: [execPath, ...args] }
    : { command: 'pnpm', args };
}

/**
 * `pnpm -s build` for tests that run the built CLI as real processes. Test files run in parallel
 * workers: two `tsc -b` writing the same dist files at once could hand one a half-written file,
 * so builds take turns (a lock directory); the second one finds everything up to date.
 */
export async function buildRepo(): Promise<ProcessResult> {
  const lock = join(repoRoot, 'node_modules', '.camgate-build.lock');
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() - started > STALE_LOCK_MS) {
        await rmdir(lock).catch(() => undefined);
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    const { command, args } = pnpmCommand(['-s', 'build']);
    return await runProcess(command, args, { cwd: repoRoot, timeoutMs: BUILD_TIMEOUT_MS });
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}
