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

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect([res.statusCode, res.json().error]).toEqual([404, 'Not Found']);
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
