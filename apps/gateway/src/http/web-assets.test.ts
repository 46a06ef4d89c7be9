import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { registerProblemHandlers } from './problem.js';
import { registerWebAssets } from './web-assets.js';

// dist/web is compiled by the tests' global setup (.config/web-setup.ts).
describe('web assets (/assets/web/)', () => {
  const app = Fastify();
  registerProblemHandlers(app);
  registerWebAssets(app);
  afterAll(() => app.close());

  it.each([
    ['camgate-player.js', 'text/javascript; charset=utf-8', './player/camgate-player.js'],
    ['player/camgate-player.js', 'text/javascript; charset=utf-8', 'camgate-player'],
    ['player/camgate-player.js.map', 'application/json; charset=utf-8', '"sources"'],
    ['vendor/hls.js', 'text/javascript; charset=utf-8', 'export'],
  ])('serves %s as %s, revalidated by ETag, to any origin', async (path, type, text) => {
    const res = await app.inject({ method: 'GET', url: `/assets/web/${path}` });
    expect([res.statusCode, res.headers['content-type'], res.headers['cache-control']]).toEqual([
      200,
      type,
      'no-cache',
    ]);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain(text);
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await app.inject({ method: 'GET', url: `/assets/web/${path}`, headers: { 'if-none-match': etag } });
    expect([again.statusCode, again.body]).toEqual([304, '']);
  });

  it.each([
    ['a compiled declaration', 'camgate-player.d.ts'],
    ['the build info', '.tsbuildinfo'],
    ['a dot file', 'player/.camgate-player.js'],
    ['a parent folder', '../cli.js'],
    ['an encoded parent folder', '%2e%2e/cli.js'],
    ['an encoded slash', 'player%2fcamgate-player.js'],
    ['an absolute path', '/etc/passwd.js'],
    ['a file that does not exist', 'nothing-here.js'],
    ['a folder', 'player.js/'],
    ['a long path', `${'a'.repeat(300)}.js`],
  ])('answers 404 NOT_FOUND for %s', async (_name, path) => {
    const res = await app.inject({ method: 'GET', url: `/assets/web/${path}` });
    expect([res.statusCode, res.json().code]).toEqual([404, GatewayErrorCode.NOT_FOUND]);
  });
});
