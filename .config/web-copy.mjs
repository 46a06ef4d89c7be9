// Copies the browser code's stylesheets (apps/gateway/web/**/*.css) to apps/gateway/dist/web, next
// to the JavaScript tsc compiles there: `pnpm build` and the tests' global setup run it after tsc.
// A stylesheet deleted (or moved) in web/ goes from dist/web too: the gateway serves every file
// there, so a stale one would stay reachable under /assets/web.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../apps/gateway/web/', import.meta.url));
const target = fileURLToPath(new URL('../apps/gateway/dist/web/', import.meta.url));

/** The .css files under `dir`, as paths relative to it. */
function stylesheets(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.css'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

const wanted = new Set(stylesheets(source));
for (const file of stylesheets(target)) if (!wanted.has(file)) rmSync(join(target, file));
for (const file of wanted) {
  const to = join(target, file);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(source, file), to);
}
