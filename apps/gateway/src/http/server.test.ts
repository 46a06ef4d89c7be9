import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { VERSION } from '../version.js';
import { buildServer } from './server.js';

describe('gateway HTTP server', () => {
  const app = buildServer({ logger: createLogger('silent') });
  afterAll(async () => {
    await app.close();
  });

  it('answers /healthz with 200 and no caching', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect([res.statusCode, res.json(), res.headers['cache-control']]).toEqual([200, { status: 'ok' }, 'no-store']);
  });

  it('answers /readyz with 200 while running', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect([res.statusCode, res.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('serves a home page that says what this build does', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain(`camgate ${VERSION}`);
  });

  it('answers unknown routes with a problem+json 404 and its code', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope?secret=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'CAMGATE_ERR_NOT_FOUND', detail: 'no route GET /nope' });
  });

  it('reports not ready while closing', async () => {
    const other = buildServer({ logger: createLogger('silent') });
    let during: number | undefined;
    other.addHook('onClose', async (instance) => {
      during = (await instance.inject({ method: 'GET', url: '/readyz' })).statusCode;
    });
    await other.close();
    expect(during).toBe(503);
  });
});
