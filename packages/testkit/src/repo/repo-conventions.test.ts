import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../repo.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

const PNPM = 'pnpm@10.34.9';

describe('repository conventions', () => {
  it('keeps the top level to the workspace itself (plus README, LICENSE, lockfile and dotfiles)', () => {
    const entries = readdirSync(repoRoot).filter(
      // node_modules and data/ are created by install and by running the gateway; both are git-ignored.
      (name) => !name.startsWith('.') && name !== 'node_modules' && name !== 'data',
    );
    expect(entries.sort()).toEqual(
      [
        'LICENSE',
        'README.md',
        'apps',
        'docker-compose.yml',
        'docs',
        'package.json',
        'packages',
        'pnpm-lock.yaml',
        'pnpm-workspace.yaml',
        'tsconfig.base.json',
      ].sort(),
    );
  });

  it("README's quick start is exactly the two commands", () => {
    const readme = read('README.md');
    const quickStart = readme.slice(
      readme.indexOf('## Quick start'),
      readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1),
    );
    const commands = [...quickStart.matchAll(/```sh\n([^`]*)```/g)].map((m) => m[1]?.trim());
    expect(commands).toEqual([`npm i -g ${PNPM} && pnpm install && pnpm start`, 'pnpm test']);
  });

  it(`pins ${PNPM} everywhere it is installed`, () => {
    expect((JSON.parse(read('package.json')) as { packageManager: string }).packageManager).toBe(PNPM);
    for (const file of ['README.md', '.ci/run', 'apps/gateway/Dockerfile']) {
      const installs = [...read(file).matchAll(/npm i -g (pnpm@[\d.]+)/g)].map((m) => m[1]);
      expect(installs.length, `${file} installs pnpm`).toBeGreaterThan(0);
      expect(new Set(installs), file).toEqual(new Set([PNPM]));
    }
  });

  it('.ci/run runs lint, typecheck and the README test command with interop required', () => {
    const steps = read('.ci/run')
      .split('\n')
      .filter((line) => /^(pnpm|CAMGATE_)/.test(line));
    expect(steps).toEqual([
      'pnpm install --frozen-lockfile',
      'pnpm lint',
      'pnpm typecheck',
      'CAMGATE_REQUIRE_INTEROP=1 pnpm test',
    ]);
  });
});
