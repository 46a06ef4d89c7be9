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

// `pnpm fuzz` runs every property a million times: allow 1 ms per input (the
// same budget as fuzzTimeout() in @camgate/testkit) so no property times out.
const fuzzRunsFromEnv = Number(process.env['CAMGATE_FUZZ_RUNS']);
const fuzzBudgetMs = Number.isSafeInteger(fuzzRunsFromEnv) ? fuzzRunsFromEnv : 0;

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
        // The gateway serves its compiled browser code (apps/gateway/web -> dist/web): compile it first.
        ...(root === 'apps/gateway' ? { globalSetup: ['../../.config/web-setup.ts'] } : {}),
      },
    })),
    reporters: ['default', new SkipSummaryReporter()],
    // Interop tests start real servers, browsers and encoders; unit tests are far below this.
    testTimeout: Math.max(20_000, fuzzBudgetMs),
    hookTimeout: 30_000,
    // Every socket, timer and child process must be released: a hanging run is a failure.
    teardownTimeout: 10_000,
  },
});
