import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot, runProcess } from '@camgate/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../version.js';

/** pnpm itself: the one running this test when started by `pnpm test`, else the one on PATH. */
function pnpm(args: string[]): { command: string; args: string[] } {
  const execPath = process.env['npm_execpath'];
  return execPath?.includes('pnpm') === true
    ? { command: process.execPath, args: [execPath, ...args] }
    : { command: 'pnpm', args };
}

describe('camgate from the repository root (built CLI)', () => {
  beforeAll(async () => {
    // `pnpm -s camgate` builds first; do it once here so the tests below measure nothing but the CLI.
    const { command, args } = pnpm(['-s', 'build']);
    const build = await runProcess(command, args, { cwd: repoRoot, timeoutMs: 180_000 });
    expect(build.stderr + build.stdout).toBe('');
    expect(build.code).toBe(0);
  }, 200_000);

  it('`pnpm -s camgate --version` prints only the version', async () => {
    const { command, args } = pnpm(['-s', 'camgate', '--version']);
    const result = await runProcess(command, args, { cwd: repoRoot, timeoutMs: 120_000 });
    expect([result.code, result.stdout, result.stderr]).toEqual([0, `${VERSION}\n`, '']);
  }, 130_000);

  it('`camgate serve` answers /healthz and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'camgate-e2e-'));
    const child = spawn(process.execPath, ['apps/gateway/dist/cli.js', 'serve', '--host', '127.0.0.1', '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, CAMGATE_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.on('line', (line) => {
          const msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
          const match = /listening at (http:\/\/[^\s]+)/i.exec(msg);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once('exit', () => reject(new Error('camgate serve exited before listening')));
      });
      const res = await fetch(`${address}/healthz`, { signal: AbortSignal.timeout(10_000) });
      expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 30_000);
});
