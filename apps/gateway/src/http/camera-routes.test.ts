import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@camgate/testkit';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { GatewayErrorCode } from '../errors.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';

const CANARY = 'canary-pw-7Hq2';
let dir: string;
let cameras: CameraManager;
let app: FastifyInstance;
/** A local port nobody listens on: cameras there fail fast (connection refused) and retry. */
let deadPort: number;

async function start(apiKey?: string): Promise<void> {
  cameras = await CameraManager.open({
    store: await FileCameraStore.open(dir),
    pipeline: () => ({ backoff: { initialMs: 50, maxMs: 200 } }),
  });
  app = buildServer({ logger: pino({ level: 'silent' }), cameras, apiKey });
}

async function stop(): Promise<void> {
  await app.close();
  await cameras.close();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-api-'));
  deadPort = await getFreePort();
  await start();
});

afterEach(async () => {
  await stop();
  await rm(dir, { recursive: true, force: true });
});

const camera = (overrides: Record<string, unknown> = {}) => ({
  name: 'Front door',
  url: `rtsp://admin:${CANARY}@127.0.0.1:${deadPort}/stream1`,
  ...overrides,
});

function post(body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/v1/cameras', payload: body as object, headers });
}

describe('REST API /v1/cameras', () => {
  it('POST creates a camera: 201, Location, defaults, the password redacted, status and links', async () => {
    const response = await post(camera({ id: 'front-door' }));
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toBe('/v1/cameras/front-door');
    const body = response.json();
    expect(body).toMatchObject({
      id: 'front-door',
      name: 'Front door',
      url: `rtsp://admin:***@127.0.0.1:${deadPort}/stream1`,
      transport: 'auto',
      onDemand: false,
      audio: 'auto',
      enabled: true,
      status: { state: expect.stringMatching(/^(connecting|retrying)$/), viewers: 0 },
      links: {
        playlist: '/live/front-door/index.m3u8',
        standardPlaylist: '/live/front-door/standard.m3u8',
        embed: '/embed/front-door',
      },
    });
    expect(body.links.snippet).toContain('<iframe src="/embed/front-door');
    expect(response.body).not.toContain(CANARY);
  });

  it('derives a unique id from the name when none is given', async () => {
    expect((await post(camera({ name: 'Front Door #1' }))).json().id).toBe('front-door-1');
    expect((await post(camera({ name: 'Front Door #1' }))).json().id).toBe('front-door-1-2');
  });

  it('GET lists cameras in pages and shows one; 404 with a code for an unknown id', async () => {
    for (const id of ['a', 'b', 'c']) await post(camera({ id, enabled: false }));
    const page = (await app.inject('/v1/cameras?page=2&perPage=2')).json<{ items: Array<{ id: string }> }>();
    expect(page).toMatchObject({ total: 3, page: 2, perPage: 2, pageCount: 2 });
    expect(page.items.map((c) => c.id)).toEqual(['c']);
    expect((await app.inject('/v1/cameras/b')).json()).toMatchObject({ id: 'b', status: { state: 'disabled' } });
    const missing = await app.inject('/v1/cameras/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ status: 404, code: GatewayErrorCode.CAMERA_NOT_FOUND });
    const all = await app.inject('/v1/cameras');
    expect(all.body).not.toContain(CANARY);
  });

  it('PATCH changes settings; DELETE removes the camera and its live URLs', async () => {
    await post(camera({ id: 'cam', enabled: false }));
    const patched = await app.inject({ method: 'PATCH', url: '/v1/cameras/cam', payload: { name: 'Back door' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Back door', enabled: false });
    expect((await app.inject({ method: 'DELETE', url: '/v1/cameras/cam' })).statusCode).toBe(204);
    expect((await app.inject('/v1/cameras/cam')).statusCode).toBe(404);
    expect((await app.inject('/live/cam/index.m3u8')).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/v1/cameras/cam' })).json().code).toBe(
      GatewayErrorCode.CAMERA_NOT_FOUND,
    );
    expect((await app.inject({ method: 'PATCH', url: '/v1/cameras/cam', payload: { name: 'x' } })).json().code).toBe(
      GatewayErrorCode.CAMERA_NOT_FOUND,
    );
  });

  it('409 for a duplicate id', async () => {
    await post(camera({ id: 'dup' }));
    const response = await post(camera({ id: 'dup' }));
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe(GatewayErrorCode.CAMERA_EXISTS);
  });

  it.for([
    ['a missing name', { url: 'rtsp://cam/x' }, 'name'],
    ['a missing url', { name: 'x' }, 'url'],
    ['an http URL', camera({ url: 'http://cam/x' }), 'url'],
    ['an exec: URL', camera({ url: 'exec:ffmpeg -i x' }), 'url'],
    ['CR/LF in the URL', camera({ url: 'rtsp://cam/x\r\nX-Injected: 1' }), 'url'],
    ['a space in the URL', camera({ url: 'rtsp://cam/a b' }), 'url'],
    ['NUL in the password', camera({ url: 'rtsp://u:p\u0000w@cam/x' }), 'url'],
    ['not a URL', camera({ url: 'camera one' }), 'url'],
    ['an unknown transport', camera({ transport: 'http' }), 'transport'],
    ['an id that is not a slug', camera({ id: '../etc' }), 'id'],
    ['an unknown property', camera({ password: 'x' }), 'password'],
    ['a name of spaces', camera({ name: '   ' }), 'name'],
  ] as const)('400 for %s, naming the field', async ([, body, field]) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    const problem = response.json<{ errors: Array<{ field: string }> }>();
    expect(problem).toMatchObject({ status: 400, code: GatewayErrorCode.VALIDATION });
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(response.body).not.toContain(CANARY);
  });

  it('400 for bad paging', async () => {
    const response = await app.inject('/v1/cameras?perPage=1000');
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toMatch(/perPage/);
  });

  it('415 for a text/plain body: a cross-site form cannot add a camera (S10)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/cameras',
      payload: JSON.stringify(camera()),
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe(GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it('413 for a 2 MB body (S13); 400 for malformed JSON', async () => {
    const big = await post(camera({ name: 'x'.repeat(2 * 1024 * 1024) }));
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe(GatewayErrorCode.BODY_TOO_LARGE);
    const broken = await app.inject({
      method: 'POST',
      url: '/v1/cameras',
      payload: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe(GatewayErrorCode.VALIDATION);
  });

  it('with an API key: 401 without it or with a wrong one, 201 with it; playback stays open', async () => {
    await stop();
    await start('s3cret-key');
    expect((await post(camera())).statusCode).toBe(401);
    expect((await post(camera(), { authorization: 'Bearer wrong' })).json().code).toBe(GatewayErrorCode.UNAUTHORIZED);
    expect((await app.inject('/v1/cameras')).statusCode).toBe(401);
    const created = await post(camera({ id: 'keyed' }), { authorization: 'Bearer s3cret-key' });
    expect(created.statusCode).toBe(201);
    // Not 401: the live route answers for the camera (503 while it cannot start).
    expect((await app.inject('/live/keyed/index.m3u8')).statusCode).not.toBe(401);
  }, 20_000);

  it('100 wrong API keys: 429 after 10 with Retry-After, whatever X-Forwarded-For claims (S12)', async () => {
    await stop();
    await start('s3cret-key');
    const codes: number[] = [];
    for (let i = 0; i < 100; i++) {
      const response = await app.inject({
        url: '/v1/cameras',
        headers: { authorization: `Bearer guess-${i}`, 'x-forwarded-for': `203.0.113.${i}` },
      });
      codes.push(response.statusCode);
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(new Set(codes.slice(10))).toEqual(new Set([429]));
    const limited = await app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer s3cret-key' } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe(GatewayErrorCode.RATE_LIMITED);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('1000 API requests at once: a burst of 100 is served, the rest get 429 with Retry-After (S13)', async () => {
    const responses = await Promise.all(Array.from({ length: 1000 }, () => app.inject('/v1/cameras')));
    const served = responses.filter((r) => r.statusCode === 200).length;
    expect(served).toBeGreaterThanOrEqual(100);
    expect(served).toBeLessThan(150);
    const limited = responses.filter((r) => r.statusCode === 429);
    expect(limited.length).toBeGreaterThan(800);
    expect(limited[0]?.json()).toMatchObject({ code: GatewayErrorCode.RATE_LIMITED });
    expect(Number(limited[0]?.headers['retry-after'])).toBeGreaterThan(0);
    // Playback is not limited by the API's budget.
    expect((await app.inject('/live/nope/index.m3u8')).statusCode).toBe(404);
  });

  it('behind a trusted proxy, the client address comes from X-Forwarded-For', async () => {
    await app.close();
    app = buildServer({ logger: pino({ level: 'silent' }), cameras, apiKey: 'k', trustProxy: ['127.0.0.1'] });
    const guess = (client: string) =>
      app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer no', 'x-forwarded-for': client } });
    for (let i = 0; i < 10; i++) expect((await guess('198.51.100.7')).statusCode).toBe(401);
    expect((await guess('198.51.100.7')).statusCode).toBe(429);
    // Another client behind the same proxy is not locked out.
    expect((await guess('198.51.100.8')).statusCode).toBe(401);
  });

  it('cameras survive a restart with the same ids and settings', async () => {
    await post(camera({ id: 'kept', onDemand: true, transport: 'udp' }));
    await stop();
    await start();
    expect((await app.inject('/v1/cameras/kept')).json()).toMatchObject({
      id: 'kept',
      onDemand: true,
      transport: 'udp',
      status: { state: 'idle' },
    });
  });

  it('publishes its OpenAPI document and a docs page', async () => {
    const spec = (await app.inject('/openapi.json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/cameras', '/v1/cameras/{id}']));
    const docs = await app.inject('/docs');
    expect([200, 302]).toContain(docs.statusCode);
  });

  it('unknown routes answer a problem with a code', async () => {
    const response = await app.inject('/v1/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe(GatewayErrorCode.NOT_FOUND);
  });
});
