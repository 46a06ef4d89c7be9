import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { sendProblem } from './problem.js';

/**
 * The browser code, compiled from apps/gateway/web by `pnpm build` (and by the tests' global
 * setup, .config/web-setup.ts). The same URL from src/http (tests run the sources) and from
 * dist/http (the built gateway): both are two folders below apps/gateway.
 */
export const WEB_DIST = new URL('../../dist/web/', import.meta.url);

/**
 * The only paths served: folders and names of letters, digits, `_` and `-` (a name may have inner
 * dots, `x.y.js`), ending in .js, .css or .js.map. No `..`, no dot files, no other types (the
 * compiled .d.ts files and .tsbuildinfo stay private), no encoded characters.
 */
const WEB_PATH = /^(?:[A-Za-z0-9_-]+\/){0,4}[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(js|css|js\.map)$/;

/** 200 characters are far more than any of our file paths. */
const MAX_WEB_PATH = 200;

/** Files kept in memory: ours are a few dozen; a bound in case dist/web grows by mistake. */
const MAX_CACHED_FILES = 256;

/** hls.js as an ES module, for `import()` from our player (relative to its URL: ../vendor/hls.js). */
export const HLS_MODULE_PATH = 'vendor/hls.js';

const PREFIX = '/assets/web/';

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  'js.map': 'application/json; charset=utf-8',
};

interface CachedFile {
  body: Buffer;
  etag: string;
  mtimeMs: number;
}

/**
 * `GET /assets/web/<path>`: our compiled browser code from dist/web (`camgate-player.js`,
 * `player/...`, `embed/...`) and hls.js's ES module (`vendor/hls.js`). Revalidated on every use
 * (`no-cache` + a strong ETag): a new gateway version's scripts are taken at once, unchanged ones
 * cost a 304. Any origin may load them (`Access-Control-Allow-Origin: *`): a module script is
 * fetched with CORS, and `<camgate-player>` is meant for other sites' pages too.
 */
export function registerWebAssets(app: FastifyInstance): void {
  const cache = new Map<string, CachedFile>();
  const hlsModule = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.mjs');

  const load = async (path: string, file: string | URL): Promise<CachedFile | undefined> => {
    let mtimeMs: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      mtimeMs = info.mtimeMs;
    } catch {
      return undefined;
    }
    const cached = cache.get(path);
    if (cached?.mtimeMs === mtimeMs) return cached;
    const body = await readFile(file);
    const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, mtimeMs };
    if (!cache.has(path) && cache.size >= MAX_CACHED_FILES) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(path, entry);
    return entry;
  };

  app.get(`${PREFIX}*`, { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    // The path as sent, not decoded: an encoded character (`%2e`, `%2f`) is no name of ours.
    const path = (request.raw.url ?? '').split('?', 1)[0]?.slice(PREFIX.length) ?? '';
    const match = path.length <= MAX_WEB_PATH ? WEB_PATH.exec(path) : null;
    const file = match === null ? undefined : path === HLS_MODULE_PATH ? hlsModule : new URL(path, WEB_DIST);
    const entry = file === undefined ? undefined : await load(path, file);
    // Anything else is no route, as for any other unknown path.
    if (match === null || entry === undefined) return sendProblem(reply, errors.notFound(`GET /assets/web/${path}`));
    reply
      .type(CONTENT_TYPES[match[1] as string] as string)
      .header('cache-control', 'no-cache')
      .header('etag', entry.etag)
      .header('access-control-allow-origin', '*')
      .header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === entry.etag) return reply.code(304).send();
    return reply.send(entry.body);
  });
}
