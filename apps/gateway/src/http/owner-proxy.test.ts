import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { FORWARDED_BY_HEADER, OwnerProxy, ownerTarget } from './owner-proxy.js';
import { registerProblemHandlers } from './problem.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The owner: answers `/live/...` with what it received, after `delayMs` (a held blocking reload). */
async function owner(delayMs = 0): Promise<{ url: string; seen: Array<Record<string, unknown>> }> {
  const app = Fastify();
  const seen: Array<Record<string, unknown>> = [];
  app.get('/live/:id/:file', async (request, reply) => {
    seen.push({ url: request.url, headers: request.headers });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return reply
      .header('cache-control', 'public, max-age=6')
      .header('content-type', 'application/vnd.apple.mpegurl')
      .send(`#EXTM3U\n# ${request.url}\n`);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => app.close());
  const address = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, seen };
}

/** A node that forwards every `/live/` request to `ownerUrl`. */
async function forwarder(ownerUrl: string): Promise<FastifyInstance> {
  const proxy = new OwnerProxy({ nodeId: 'n2' });
  const app = Fastify();
  registerProblemHandlers(app);
  app.get<{ Params: { id: string } }>('/live/:id/:file', (request, reply) =>
    proxy.forward(request, reply, request.params.id, ownerUrl),
  );
  closers.push(() => proxy.close());
  closers.push(() => app.close());
  return app;
}

describe('ownerTarget: where a forwarded request goes', () => {
  it.each([
    [
      'http://10.0.0.11:8080',
      '/live/cam/video.m3u8?_HLS_msn=3',
      'http://10.0.0.11:8080/live/cam/video.m3u8?_HLS_msn=3',
    ],
    ['http://10.0.0.11:8080/', '/live/cam/index.m3u8', 'http://10.0.0.11:8080/live/cam/index.m3u8'],
    ['http://gw.internal/node-1', '/live/cam/index.m3u8', 'http://gw.internal/node-1/live/cam/index.m3u8'],
    // An absolute-form request line names another host: only its path and query are kept (SSRF).
    [
      'http://10.0.0.11:8080',
      'http://169.254.169.254/live/cam/index.m3u8?x=1',
      'http://10.0.0.11:8080/live/cam/index.m3u8?x=1',
    ],
    ['http://10.0.0.11:8080', '//evil.example/live/cam/index.m3u8', 'http://10.0.0.11:8080/live/cam/index.m3u8'],
  ])('%s + %s -> %s', (owner, url, target) => {
    expect(ownerTarget(owner, url)).toBe(target);
  });
});

describe('OwnerProxy', () => {
  it('carries the request (path, query, conditional headers) to the owner and its answer back', async () => {
    const { url, seen } = await owner();
    const app = await forwarder(url);
    const res = await app.inject({
      url: '/live/cam/video.m3u8?_HLS_msn=12&_HLS_part=3',
      headers: { 'if-none-match': '"x"', cookie: 'session=secret', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('#EXTM3U\n# /live/cam/video.m3u8?_HLS_msn=12&_HLS_part=3\n');
    expect(res.headers['cache-control']).toBe('public, max-age=6');
    const headers = seen[0]?.['headers'] as Record<string, string>;
    expect(headers[FORWARDED_BY_HEADER]).toBe('n2');
    expect(headers['if-none-match']).toBe('"x"');
    // The viewer's address travels on; cookies do not (/live needs none).
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(headers['cookie']).toBeUndefined();
  });

  it('asks the owner for another path when given one, the request keeping its own URL', async () => {
    const { url, seen } = await owner();
    const proxy = new OwnerProxy({ nodeId: 'n2' });
    const app = Fastify();
    app.get('/v1/snap', (request, reply) =>
      proxy.forward(request, reply, 'cam', url, '/live/cam/snapshot.jpg?width=320'),
    );
    closers.push(() => proxy.close());
    closers.push(() => app.close());
    const res = await app.inject({ url: '/v1/snap' });
    expect(res.statusCode).toBe(200);
    expect(seen.map((s) => s['url'])).toEqual(['/live/cam/snapshot.jpg?width=320']);
  });

  it('holds the request as long as the owner does (a blocking reload)', async () => {
    const { url } = await owner(600);
    const app = await forwarder(url);
    const res = await app.inject({ url: '/live/cam/video.m3u8?_HLS_msn=13' });
    expect(res.statusCode).toBe(200);
  });

  it.each<{ name: string; target: () => Promise<string> }>([
    {
      name: 'nothing listens',
      target: async () => {
        const server = createServer();
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const { port } = server.address() as { port: number };
        await new Promise((resolve) => server.close(resolve));
        return `http://127.0.0.1:${port}`;
      },
    },
    {
      name: 'the owner hangs up without an answer',
      target: async () => {
        const server: Server = createServer((socket) => socket.destroy());
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        closers.push(() => new Promise((resolve) => server.close(resolve)));
        return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      },
    },
  ])(
    'an owner that cannot answer ($name): 503 CAMERA_MOVING with Retry-After, never a 5xx of another kind',
    async ({ target }) => {
      const app = await forwarder(await target());
      const res = await app.inject({ url: '/live/cam/index.m3u8' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ code: GatewayErrorCode.CAMERA_MOVING });
    },
  );
});
