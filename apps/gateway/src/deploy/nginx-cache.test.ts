import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HlsStream } from '@camgate/hls';
import { repoRoot } from '@camgate/testkit';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedTestVector } from '../http/test-live-stream.js';
import { buildServer } from '../http/server.js';
import { SignedGateway } from '../playback/test-signed-gateway.js';
import {
  findNginx,
  NginxCache,
  OPERATOR_CONF,
  renderCacheConf,
  requireNginx,
  TEST_CERT,
  TEST_KEY,
} from './test-nginx.js';

/** The heading of the section docs/deploy.md gives to this configuration. */
const DOC_SECTION = '## A cache in front: nginx';
const DOC_BLOCK_HEADING = '### The configuration';
/** How many clients ask for the same part at once. */
const CONCURRENT_CLIENTS = 50;

const ca = readFileSync(TEST_CERT);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One GET on a connection of its own (an agent per client, as separate viewers have). */
function get(url: string, headers: Record<string, string> = {}, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const done = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    };
    const request = url.startsWith('https:')
      ? httpsRequest(url, { headers, agent: agent ?? new Agent({ ca, keepAlive: false }) }, done)
      : httpRequest(url, { headers }, done);
    request.on('error', reject).end();
  });
}

/** Every request the gateway receives (its URL and headers): what nginx let through. */
class Upstream {
  readonly requests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  #waiters: Array<() => void> = [];

  constructor(app: FastifyInstance) {
    // A listener beside Fastify's own on the HTTP server: it sees every request, changes nothing.
    app.server.on('request', (request: IncomingMessage) => {
      this.requests.push({ url: request.url ?? '', headers: request.headers });
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  count(url: string): number {
    return this.requests.filter((request) => request.url === url).length;
  }

  /** Resolves once `url` has reached the gateway `times` times. */
  async reached(url: string, times = 1): Promise<void> {
    while (this.count(url) < times) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** Where a playlist stands: its last MSN, the next part's index in it (the hinted one), and its URIs. */
function position(playlist: string) {
  let msn = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(playlist)?.[1]);
  let nextPart = 0;
  const parts: string[] = [];
  const segments: string[] = [];
  const lines = playlist.split('\n');
  lines.forEach((line, i) => {
    if (line.startsWith('#EXTINF:')) {
      segments.push(lines[i + 1] ?? '');
      msn++;
      nextPart = 0;
    } else if (line.startsWith('#EXT-X-PART:')) {
      nextPart++;
      parts.push(/URI="([^"]+)"/.exec(line)?.[1] ?? '');
    }
  });
  return {
    msn,
    nextPart,
    parts,
    segments,
    init: /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1] ?? '',
    hint: /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(playlist)?.[1] ?? '',
  };
}

describe('docs/nginx/camgate-cache.conf', () => {
  it('docs/deploy.md shows the file byte for byte, in its section', async () => {
    const [doc, conf] = await Promise.all([
      readFile(join(repoRoot, 'docs/deploy.md'), 'utf8'),
      readFile(OPERATOR_CONF, 'utf8'),
    ]);
    const section = doc.slice(doc.indexOf(`\n${DOC_SECTION}\n`));
    expect(section.startsWith(`\n${DOC_SECTION}\n`)).toBe(true);
    // The first block under the section's "The configuration".
    const shown = section.slice(section.indexOf(`\n${DOC_BLOCK_HEADING}\n`));
    expect(shown.startsWith(`\n${DOC_BLOCK_HEADING}\n`)).toBe(true);
    const block = /^```nginx\n([\s\S]*?)^```$/m.exec(shown)?.[1];
    expect(block).toBe(conf);
  });

  it('the tests change only the lines marked EDIT: they run the file operators copy', async () => {
    const conf = await readFile(OPERATOR_CONF, 'utf8');
    const rendered = renderCacheConf(conf, {
      upstreams: ['127.0.0.1:1', '127.0.0.1:2'],
      port: 4443,
      cacheDir: '/tmp/cache',
      cert: TEST_CERT,
      key: TEST_KEY,
    });
    const after = new Set(rendered.split('\n'));
    const changed = conf.split('\n').filter((line) => !after.has(line));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((line) => !line.includes('# EDIT'))).toEqual([]);
    expect(rendered).toContain(
      '    server 127.0.0.1:1 max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:2 max_fails=1',
    );
    expect(rendered).toContain('listen 127.0.0.1:4443 ssl http2;');
    // A file the tests cannot fill in is refused, naming what is missing.
    expect(() => renderCacheConf(conf.replace(/^ +ssl_certificate_key .*$/m, ''), { ...values() })).toThrow(
      /ssl_certificate_key/,
    );
  });
});

function values() {
  return { upstreams: ['127.0.0.1:1'], port: 1, cacheDir: '/tmp/c', cert: TEST_CERT, key: TEST_KEY };
}

describe('nginx with the operator configuration in front of a gateway', () => {
  const streams = new Map<string, HlsStream>();
  let release: () => void = () => undefined;
  let app: FastifyInstance | undefined;
  let upstream: Upstream;
  let direct: string;
  let nginx: NginxCache | undefined;

  beforeAll(async () => {
    if (!findNginx().found) return;
    // Two cameras fed 60% of the test vector, then nothing until a test says: their playlists
    // do not change under a test's feet, so direct and cached answers compare byte for byte.
    for (const id of ['still', 'held']) {
      const stream = new HlsStream({ segmentDurationMs: 1000 });
      const fed = feedTestVector(stream);
      if (id === 'held') release = fed.rest;
      streams.set(id, stream);
    }
    const server = buildServer({ logger: pino({ level: 'silent' }), live: (id) => streams.get(id) });
    app = server;
    upstream = new Upstream(server);
    direct = await server.listen({ host: '127.0.0.1', port: 0 });
    nginx = await NginxCache.start({ upstreams: [new URL(direct).host] });
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const stream of streams.values()) stream.close();
    await app?.close();
  });

  it('passes playlists, blocking reloads, parts, segments and init segments through unchanged, caching what the gateway lets it', async (ctx) => {
    requireNginx(ctx);
    const playlist = (await get(`${direct}/live/still/video.m3u8`)).body.toString();
    const at = position(playlist);
    expect(at.segments.length).toBeGreaterThan(0);
    const lastPart = at.nextPart - 1;
    // [path, what nginx says the second time]: HIT where it kept the answer; the 1 s entries
    // (half a target duration) may have just expired (EXPIRED: fetched again), which still shows
    // they were kept; MISS where it asked the gateway each time; nothing where it does not cache.
    const kept = ['HIT'];
    const brief = ['HIT', 'EXPIRED'];
    const cases: Array<[string, ReadonlyArray<string | undefined>]> = [
      ['index.m3u8', [undefined]],
      ['standard.m3u8', [undefined]],
      ['video.m3u8', brief],
      [`video.m3u8?_HLS_msn=${at.msn}&_HLS_part=${lastPart}`, kept],
      [`video.m3u8?_HLS_msn=${at.msn - 1}`, kept],
      [`video.m3u8?_HLS_msn=${at.msn}&_HLS_part=${lastPart}&_HLS_skip=YES`, kept],
      ['standard-video.m3u8', brief],
      [at.init, kept],
      [at.parts[0] ?? '', kept],
      [at.segments[0] ?? '', kept],
      // 404s: `no-cache` from the gateway, so never kept.
      ['video-part-1-0.m4s', ['MISS']],
      ['nothing.m3u8', ['MISS']],
    ];
    for (const [file, second] of cases) {
      for (const encoding of [{}, { 'accept-encoding': 'gzip' }]) {
        const path = `/live/still/${file}`;
        const want = await get(`${direct}${path}`, encoding);
        const first = await get(`${nginx!.origin}${path}`, encoding);
        const again = await get(`${nginx!.origin}${path}`, encoding);
        for (const got of [first, again]) {
          expect({ path, encoding, status: got.status }).toEqual({ path, encoding, status: want.status });
          expect(got.body.equals(want.body), `${path} ${JSON.stringify(encoding)}: body`).toBe(true);
          for (const header of ['content-type', 'cache-control', 'content-encoding', 'vary']) {
            expect(got.headers[header], `${path}: ${header}`).toBe(want.headers[header]);
          }
        }
        expect(second, `${path} ${JSON.stringify(encoding)}`).toContain(again.headers['x-cache-status']);
      }
    }
    // What the gateway gzips differs by Accept-Encoding, and nginx kept one copy of each.
    const gzipped = await get(`${nginx!.origin}/live/still/video.m3u8`, { 'accept-encoding': 'gzip' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect((await get(`${nginx!.origin}/live/still/video.m3u8`)).headers['content-encoding']).toBeUndefined();
  });

  it('the cache key is the path and the delivery directives: other parameters share the entry and never reach the gateway', async (ctx) => {
    requireNginx(ctx);
    const at = position((await get(`${direct}/live/still/video.m3u8`)).body.toString());
    const reload = `/live/still/video.m3u8?_HLS_msn=${at.msn - 1}&_HLS_part=1`;
    const part = `/live/still/${at.parts[1]}`;
    const variants: Array<[canonical: string, asked: string[]]> = [
      [
        reload,
        [reload, `/live/still/video.m3u8?_HLS_part=1&cb=1&_HLS_msn=${at.msn - 1}`, `${reload}&token=secret&player=x`],
      ],
      [part, [part, `${part}?cb=123`, `${part}?token=secret`]],
    ];
    for (const [canonical, asked] of variants) {
      const before = upstream.requests.length;
      const answers = await Promise.all(asked.map(async (path) => get(`${nginx!.origin}${path}`)));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.equals(answers[0]!.body)).toBe(true);
      }
      // One request upstream, spelled as the key: no cache buster, no token.
      expect(upstream.requests.slice(before).map((request) => request.url)).toEqual([canonical]);
    }
  });

  it('no spelling of the query stores an answer under another request key', async (ctx) => {
    requireNginx(ctx);
    const at = position((await get(`${direct}/live/still/video.m3u8`)).body.toString());
    const far = at.msn + 1000;
    const good = `_HLS_msn=${at.msn - 1}&_HLS_part=2`;
    // nginx's $arg_ takes the first name matched in any case; the gateway takes the first exact
    // one. Without rebuilding the query, the first request here would store the gateway's 400 for
    // MSN `far` (kept 4 target durations) under the key of the next part everyone asks for.
    const tricks: Array<[query: string, sentUpstream: string]> = [
      [`_hls_msn=${far}&${good}`, `_HLS_msn=${far}&_HLS_part=2`],
      [`${good}&_HLS_msn=${far}`, good],
      [`_HLS_msn=${at.msn - 1}&_HLS_msn=${far}&_HLS_part=2`, good],
    ];
    for (const [query, sent] of tricks) {
      const before = upstream.requests.length;
      await get(`${nginx!.origin}/live/still/video.m3u8?${query}`);
      const reached = upstream.requests.slice(before).map((request) => request.url);
      expect(reached.every((url) => url === `/live/still/video.m3u8?${sent}`)).toBe(true);
    }
    const answer = await get(`${nginx!.origin}/live/still/video.m3u8?${good}`);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toContain('#EXTM3U');
  });

  it('a node that refuses at once with 503 (shutting down) is skipped: the next node answers', async (ctx) => {
    requireNginx(ctx);
    // What a node answers to new requests once it is shutting down, without the gateway around it.
    let refused = 0;
    const closing = createServer((_request, response) => {
      refused++;
      response.writeHead(503, { 'cache-control': 'no-store', 'retry-after': '1', connection: 'close' }).end();
    });
    closing.listen(0, '127.0.0.1');
    await once(closing, 'listening');
    const { port } = closing.address() as AddressInfo;
    const pair = await NginxCache.start({ upstreams: [`127.0.0.1:${port}`, new URL(direct).host] });
    try {
      const at = position((await get(`${direct}/live/still/video.m3u8`)).body.toString());
      for (const file of [at.init, ...at.parts.slice(0, 3)]) {
        const answer = await get(`${pair.origin}/live/still/${file}`);
        expect({ file, status: answer.status }).toEqual({ file, status: 200 });
      }
      expect(refused).toBeGreaterThanOrEqual(1);
    } finally {
      await pair.stop();
      closing.close();
    }
  });

  it(`${CONCURRENT_CLIENTS} clients blocked on the next part (playlist and hinted part): one request for each reaches the gateway`, async (ctx) => {
    requireNginx(ctx);
    const at = position((await get(`${direct}/live/held/video.m3u8`)).body.toString());
    const reload = `/live/held/video.m3u8?_HLS_msn=${at.msn}&_HLS_part=${at.nextPart}`;
    const hint = `/live/held/${at.hint}`;
    const clients = Array.from({ length: CONCURRENT_CLIENTS }, () => new Agent({ ca, keepAlive: false }));
    const answers = Promise.all(
      clients.flatMap((agent) => [
        get(`${nginx!.origin}${reload}`, {}, agent),
        get(`${nginx!.origin}${hint}`, {}, agent),
      ]),
    );
    // Both reached the gateway, which holds them: the part does not exist yet. Then the camera goes on.
    await upstream.reached(reload);
    await upstream.reached(`/live/held/${at.hint}`);
    release();
    const got = await answers;
    const reloads = got.filter((_, i) => i % 2 === 0);
    const parts = got.filter((_, i) => i % 2 === 1);
    for (const [answers, type] of [
      [reloads, 'application/vnd.apple.mpegurl'],
      [parts, 'video/mp4'],
    ] as const) {
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.headers['content-type']).toBe(type);
        expect(answer.body.equals(answers[0]!.body)).toBe(true);
      }
    }
    expect(reloads[0]!.body.toString()).toContain(at.hint);
    expect(upstream.count(reload)).toBe(1);
    expect(upstream.count(hint)).toBe(1);
    // The clients that waited were answered from the cache.
    expect(got.filter((answer) => answer.headers['x-cache-status'] === 'HIT').length).toBeGreaterThanOrEqual(
      2 * CONCURRENT_CLIENTS - 2,
    );
    await ctx.annotate(`${2 * CONCURRENT_CLIENTS} requests at once, 2 reached the gateway`);
  });
});

describe('nginx in front of a gateway with signed playback', () => {
  let gateway: SignedGateway | undefined;
  let upstream: Upstream;
  let nginx: NginxCache | undefined;

  beforeAll(async () => {
    if (!findNginx().found) return;
    gateway = await SignedGateway.start();
    upstream = new Upstream(gateway.app);
    await gateway.addCamera('vault', 'signed');
    await gateway.addCamera('lobby', 'public');
    nginx = await NginxCache.start({ upstreams: [new URL(gateway.origin).host] });
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await gateway?.close();
  });

  it('answers under a token path are never served from the cache; a public camera next to it is', async (ctx) => {
    requireNginx(ctx);
    const { token } = await gateway!.mint('vault');
    const signed = `/live/vault/t/${token}/`;
    // The first playlist waits for the camera's first parts.
    const playlist = await get(`${nginx!.origin}${signed}video.m3u8`);
    expect(playlist.status).toBe(200);
    const at = position(playlist.body.toString());
    const paths = [
      `/live/vault/index.m3u8?token=${token}`,
      `${signed}index.m3u8`,
      `${signed}video.m3u8`,
      `${signed}video.m3u8?_HLS_msn=${at.msn - 1}&_HLS_part=0`,
      `${signed}${at.init}`,
      `${signed}${at.parts[0]}`,
    ];
    for (const path of paths) {
      const before = upstream.count(path);
      // Two viewers, each on a connection of its own.
      for (let viewer = 0; viewer < 2; viewer++) {
        const answer = await get(`${nginx!.origin}${path}`);
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
        expect(answer.headers['cache-control']).toMatch(/^private/);
        expect(answer.headers['x-cache-status']).toBeUndefined();
      }
      expect({ path, upstream: upstream.count(path) - before }).toEqual({ path, upstream: 2 });
    }
    // The control: a public camera's part, asked twice, reaches the gateway once.
    const lobby = position((await get(`${nginx!.origin}/live/lobby/video.m3u8`)).body.toString());
    const part = `/live/lobby/${lobby.parts[0]}`;
    expect((await get(`${nginx!.origin}${part}`)).headers['x-cache-status']).toBe('MISS');
    expect((await get(`${nginx!.origin}${part}`)).headers['x-cache-status']).toBe('HIT');
    expect(upstream.count(part)).toBe(1);
  });

  it('the API, /metrics and status.json are passed on, never cached; the gateway learns the client address', async (ctx) => {
    requireNginx(ctx);
    const auth = { authorization: `Bearer ${gateway!.apiKey}` };
    for (const [path, headers] of [
      ['/v1/cameras', auth],
      ['/metrics', auth],
      ['/live/lobby/status.json', {}],
      ['/healthz', {}],
    ] as const) {
      const before = upstream.count(path);
      for (let i = 0; i < 2; i++) {
        const answer = await get(`${nginx!.origin}${path}`, headers);
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
        expect(answer.headers['x-cache-status']).toBeUndefined();
      }
      expect({ path, upstream: upstream.count(path) - before }).toEqual({ path, upstream: 2 });
    }
    const seen = upstream.requests.find((request) => request.url === '/healthz');
    expect(seen?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen?.headers['x-forwarded-proto']).toBe('https');
    // Keep-alive upstream: HTTP/1.1 without `Connection: close`.
    expect(seen?.headers.connection).toBeUndefined();
  });
});
