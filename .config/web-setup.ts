import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup of the gateway's tests: compiles the browser code (apps/gateway/web) to
 * apps/gateway/dist/web once, before any test. Tests run the gateway from its TypeScript sources,
 * but browsers get JavaScript: the gateway serves /assets/web/ from dist/web (src/http/web-assets.ts)
 * in both cases. `tsc -b` is incremental, so a run with nothing changed costs about a second.
 */
export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = fileURLToPath(new URL('../apps/gateway/web/tsconfig.json', import.meta.url));
  execFileSync(process.execPath, [tsc, '-b', project], { stdio: 'inherit' });
  // Stylesheets are copied, as `pnpm build` does.
  execFileSync(process.execPath, [fileURLToPath(new URL('web-copy.mjs', import.meta.url))], { stdio: 'inherit' });
}
