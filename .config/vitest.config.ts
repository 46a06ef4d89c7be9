import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SkipSummaryReporter } from '../packages/testkit/src/skip-summary-reporter.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** One vitest project per workspace package, named after its folder. */
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(new URL(`../${dir}/`, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: entry.name, root: `${dir}/${entry.name}` })),
);

// Tests run on the TypeScript sources: every package exports them under the
// "camgate-source" condition (see docs/architecture.md), so no build is needed.
const conditions = ['camgate-source', 'module', 'node', 'development|production'];

export default defineConfig({
  root: repoRoot,
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['camgate-source', 'node'] } },
  test: {
    projects: workspaces.map(({ name, root }) => ({
      extends: true,
      test: {
        name,
        root,
        include: ['src/**/*.test.ts'],
        benchmark: { include: ['src/**/*.bench.ts'] },
      },
    })),
    reporters: ['default', new SkipSummaryReporter()],
    // Interop tests start real servers, browsers and encoders; unit tests are far below this.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Every socket, timer and child process must be released: a hanging run is a failure.
    teardownTimeout: 10_000,
  },
});
