import { readFileSync } from 'node:fs';

/** The gateway's version from its package.json (src/ and dist/ sit at the same depth). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
