import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
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

/** Each camera its own stream (a second registration of one stream is refused). */
let streams = 0;
const camera = (overrides: Record<string, unknown> = {}) => ({
  name: 'Front door',
  url: `rtsp://admin:${CANARY}@127.0.0.1:${deadPort}/stream${++streams}`,
  ...overrides,
});

function post(body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/v1/cameras', payload: body as object, headers });
}

describe('REST API /v1/cameras', () => {
  it('POST creates a camera: 201, Location, defaults, the password redacted, status and links', async () => {
    const response = await post(camera({ id: 'front-door', url: `rtsp://admin:${CANARY}@127.0.0.1:${deadPort}/s1` }));
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toBe('/v1/cameras/front-door');
    const body = response.json();
    expect(body).toMatchObject({
      id: 'front-door',
      name: 'Front door',
      url: `rtsp://admin:***@127.0.0.1:${deadPort}/s1`,
      hasPassword: true,
      transport: 'auto',
      onDemand: false,
      audio: 'auto',
      enabled: true,
      status: { state: expect.stringMatching(/^(connecting|retrying)$/), viewers: 0 },
      // Absolute: on the scheme and host the request came to (CAMGATE_PUBLIC_URL when set).
      links: {
        playlist: 'http://localhost:80/live/front-door/index.m3u8',
        standardPlaylist: 'http://localhost:80/live/front-door/standard.m3u8',
        embed: 'http://localhost:80/embed/front-door',
      },
    });
    expect(body.links.snippet).toContain('<iframe src="http://localhost:80/embed/front-door?autoplay=1&amp;muted=1"');
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
    ['an unknown property', camera({ secret: 'x' }), 'secret'],
    ['the mask as a password field', { name: 'x', url: 'rtsp://admin:pw@cam/x', password: '***' }, 'password'],
    ['a masked URL for a new camera', camera({ url: 'rtsp://admin:***@cam/x' }), 'url'],
    ['an @ after the host', camera({ url: 'rtsp://cam/p?x=a@b' }), 'url'],
    ['a name of spaces', camera({ name: '   ' }), 'name'],
  ] as const)('400 for %s, naming the field', async ([, body, field]) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    const problem = response.json<{ errors: Array<{ field: string }> }>();
    expect(problem).toMatchObject({
      status: 400,
      code: expect.stringMatching(/^CAMGATE_ERR_(VALIDATION|MASKED_PASSWORD)$/),
    });
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(response.body).not.toContain(CANARY);
  });

  it.for([
    ['recording enabled "yes"', { recording: { enabled: 'yes' } }],
    ['a retention by age of 0 hours', { recording: { enabled: true, retention: { maxAgeHours: 0 } } }],
    ['a retention of "10GB" bytes', { recording: { enabled: true, retention: { maxBytes: '10GB' } } }],
    ['an unknown retention field', { recording: { enabled: true, retention: { days: 7 } } }],
  ] as const)('400 for %s, naming recording', async ([, settings]) => {
    const response = await post(camera(settings));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: GatewayErrorCode.VALIDATION });
    expect(
      response
        .json<{ errors: Array<{ field: string }> }>()
        .errors.map((e) => e.field)
        .join(),
    ).toMatch(/recording/);
  });

  it('recording settings: stored and shown, merged by PATCH (retention null removes it); status.recording', async () => {
    const retention = { maxAgeHours: 720, maxBytes: 200_000_000_000 };
    const created = await post(camera({ id: 'rec', recording: { enabled: true, retention } }));
    expect(created.statusCode).toBe(201);
    // A gateway without recordings directory (as built here) says so in the status.
    expect(created.json()).toMatchObject({ recording: { enabled: true, retention }, status: { recording: null } });
    const off = await app.inject({
      method: 'PATCH',
      url: '/v1/cameras/rec',
      payload: { recording: { enabled: false } },
    });
    expect(off.json().recording).toEqual({ enabled: false, retention });
    const bare = await app.inject({
      method: 'PATCH',
      url: '/v1/cameras/rec',
      payload: { recording: { retention: null } },
    });
    expect(bare.json().recording).toEqual({ enabled: false });
    await stop();
    await start();
    expect((await app.inject('/v1/cameras/rec')).json().recording).toEqual({ enabled: false });
  });

  it('recording unavailable (no SQLite module): a recording camera says why; its recordings answer 503', async () => {
    cameras.useRecordings({ unavailable: 'the SQLite module is not installed', since: Date.UTC(2026, 11, 7) });
    await post(camera({ id: 'rec', recording: { enabled: true } }));
    expect((await app.inject('/v1/cameras/rec')).json().status.recording).toMatchObject({
      state: 'unavailable',
      lastError: { code: GatewayErrorCode.RECORDING_UNAVAILABLE, message: 'the SQLite module is not installed' },
    });
    for (const url of ['/v1/cameras/rec/recordings', '/recordings/rec/vod.m3u8']) {
      const response = await app.inject(url);
      expect([response.statusCode, response.json().code]).toEqual([503, GatewayErrorCode.RECORDING_UNAVAILABLE]);
    }
    expect((await app.inject('/v1/cameras/nope/recordings')).statusCode).toBe(404);
    expect((await app.inject('/v1/cameras/rec/recordings?start=yesterday')).json().code).toBe(
      GatewayErrorCode.VALIDATION,
    );
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

  it('100 wrong API keys: 429 after 10 with Retry-After, whatever X-Forwarded-For claims (S12); the right key still works', async () => {
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
    const limited = await app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer guess-again' } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe(GatewayErrorCode.RATE_LIMITED);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Failures are throttled, not the holder of the key: from the same address, it still works.
    const holder = await app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer s3cret-key' } });
    expect(holder.statusCode).toBe(200);
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

describe('credentials: kept, never shown, never replaced by the mask', () => {
  const QUERY_SECRET = 'qs-Canary-81';

  it('answers never carry a password in any form: user information, query string or path', async () => {
    const created = await post({
      id: 'query',
      name: 'Query creds',
      url: `rtsp://127.0.0.1:${deadPort}/live?user=admin&password=${QUERY_SECRET}&channel=1`,
      enabled: false,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      url: `rtsp://127.0.0.1:${deadPort}/live?user=admin&password=***&channel=1`,
      hasPassword: true,
    });
    const path = await post({
      id: 'path',
      name: 'Xiongmai',
      url: `rtsp://127.0.0.1:${deadPort}/user=admin&password=${QUERY_SECRET}&channel=1&stream=0.sdp`,
      enabled: false,
    });
    expect(path.json().url).toBe(`rtsp://127.0.0.1:${deadPort}/user=admin&password=***&channel=1&stream=0.sdp`);
    const none = await post({ id: 'none', name: 'Open', url: `rtsp://127.0.0.1:${deadPort}/open`, enabled: false });
    expect(none.json().hasPassword).toBe(false);
    for (const url of ['/v1/cameras', '/v1/cameras/query', '/v1/cameras/path']) {
      expect((await app.inject(url)).body).not.toContain(QUERY_SECRET);
    }
  });

  it('username and password as write-only fields: stored, never shown', async () => {
    const created = await post({
      id: 'fields',
      name: 'Fields',
      url: `rtsp://127.0.0.1:${deadPort}/fields`,
      username: 'admin',
      password: CANARY,
      enabled: false,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ url: `rtsp://admin:***@127.0.0.1:${deadPort}/fields`, hasPassword: true });
    expect(created.json()).not.toHaveProperty('password');
    expect(created.json()).not.toHaveProperty('username');
    expect(created.body).not.toContain(CANARY);
    const removed = await app.inject({ method: 'PATCH', url: '/v1/cameras/fields', payload: { password: null } });
    expect(removed.json()).toMatchObject({ url: `rtsp://admin@127.0.0.1:${deadPort}/fields`, hasPassword: false });
  });

  it.for([
    ['the mask as the password field', { password: '***' }, 'password'],
    ['the URL masked and pointed at another host', { url: 'rtsp://admin:***@192.0.2.1/stream1' }, 'url'],
  ] as const)('PATCH refuses %s with CAMGATE_ERR_MASKED_PASSWORD; nothing changes', async ([, patch, field]) => {
    await post(camera({ id: 'kept', enabled: false }));
    const before = (await app.inject('/v1/cameras/kept')).json<{ url: string; updatedAt: string }>();
    const response = await app.inject({ method: 'PATCH', url: '/v1/cameras/kept', payload: patch });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: GatewayErrorCode.MASKED_PASSWORD, errors: [{ field }] });
    expect((await app.inject('/v1/cameras/kept')).json()).toMatchObject({
      url: before.url,
      updatedAt: before.updatedAt,
    });
  });

  it('PATCH of the URL the API returned, with a changed path: the stored password is kept and the camera streams', async () => {
    const server = await CamsimServer.start({ auth: { username: 'admin', password: CANARY } });
    try {
      await stop();
      cameras = await CameraManager.open({
        store: await FileCameraStore.open(dir),
        pipeline: () => ({ backoff: { initialMs: 50, maxMs: 200 } }),
      });
      app = buildServer({ logger: pino({ level: 'silent' }), cameras });
      await post({ id: 'cam', name: 'Cam', url: server.url('/h264-aac', { username: 'admin', password: CANARY }) });
      await waitForState('cam', 'streaming');
      const shown = (await app.inject('/v1/cameras/cam')).json<{ url: string }>().url;
      expect(shown).toBe(`rtsp://admin:***@127.0.0.1:${server.port}/h264-aac`);
      const patched = await app.inject({
        method: 'PATCH',
        url: '/v1/cameras/cam',
        payload: { url: shown.replace('/h264-aac', '/h265-aac') },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({
        url: `rtsp://admin:***@127.0.0.1:${server.port}/h265-aac`,
        hasPassword: true,
      });
      await waitForState('cam', 'streaming');
      await expect
        .poll(async () => (await app.inject('/v1/cameras/cam')).json<CameraBody>().status.tracks[0]?.codec, {
          timeout: 10_000,
        })
        .toBe('h265');
      // And on disk: the password itself, never the mask.
      const record = await readStored('cam');
      expect(record.url).toBe(server.url('/h265-aac', { username: 'admin', password: CANARY }));
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('one pull per camera stream', () => {
  it('adding a stream that is registered already: 409 with the existing camera id; allowDuplicateSource adds it', async () => {
    await post({ id: 'first', name: 'One', url: `rtsp://admin:${CANARY}@127.0.0.1:${deadPort}/same`, enabled: false });
    // The same stream written differently: another user, no password, a trailing slash.
    const second = await post({ name: 'One', url: `rtsp://viewer@127.0.0.1:${deadPort}/same/`, enabled: false });
    expect(second.statusCode).toBe(409);
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(second.json()).toMatchObject({ code: GatewayErrorCode.DUPLICATE_SOURCE, existingId: 'first' });
    expect(second.body).not.toContain(CANARY);
    const forced = await post({
      name: 'One',
      url: `rtsp://127.0.0.1:${deadPort}/same`,
      enabled: false,
      allowDuplicateSource: true,
    });
    expect(forced.statusCode).toBe(201);
    expect(forced.json().id).toBe('one');
    // Another stream of the same camera is no duplicate.
    expect(
      (await post({ name: 'Sub', url: `rtsp://127.0.0.1:${deadPort}/same?subtype=1`, enabled: false })).statusCode,
    ).toBe(201);
  });

  it('a PATCH onto a stream another camera pulls: 409, unless allowed', async () => {
    await post({ id: 'a', name: 'A', url: `rtsp://127.0.0.1:${deadPort}/a`, enabled: false });
    await post({ id: 'b', name: 'B', url: `rtsp://127.0.0.1:${deadPort}/b`, enabled: false });
    const moved = await app.inject({
      method: 'PATCH',
      url: '/v1/cameras/b',
      payload: { url: `rtsp://127.0.0.1:${deadPort}/a` },
    });
    expect(moved.statusCode).toBe(409);
    expect(moved.json()).toMatchObject({ code: GatewayErrorCode.DUPLICATE_SOURCE, existingId: 'a' });
    const allowed = await app.inject({
      method: 'PATCH',
      url: '/v1/cameras/b',
      payload: { url: `rtsp://127.0.0.1:${deadPort}/a`, allowDuplicateSource: true },
    });
    expect(allowed.statusCode).toBe(200);
    // A camera's own stream is not a duplicate of itself.
    expect((await app.inject({ method: 'PATCH', url: '/v1/cameras/a', payload: { name: 'A2' } })).statusCode).toBe(200);
  });
});

describe('POST /v1/cameras/probe: test a camera without saving it', () => {
  it('reports the tracks of a camera that streams, and saves nothing', async () => {
    const server = await CamsimServer.start({ auth: { username: 'admin', password: CANARY } });
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/cameras/probe?durationMs=1000',
        payload: { url: server.url('/h264-aac'), username: 'admin', password: CANARY, transport: 'tcp' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        transport: 'tcp',
        tracks: [
          expect.objectContaining({
            kind: 'video',
            codec: 'h264',
            width: 640,
            delivered: { codec: 'h264', codecString: 'avc1.64001e' },
            browsers: 'all',
            browserSupport: expect.any(String),
          }),
          expect.objectContaining({
            kind: 'audio',
            codec: 'aac',
            delivered: expect.objectContaining({ codec: 'aac' }),
            browsers: 'all',
          }),
        ],
      });
      expect(response.json().tracks[0].frames).toBeGreaterThan(0);
      expect(response.body).not.toContain(CANARY);
      expect(cameras.size).toBe(0);
      expect(server.sessionCount).toBe(0);
    } finally {
      await server.close();
    }
  }, 20_000);

  it('a wrong password: 422 CAMGATE_ERR_PROBE_FAILED with the camera error; an edit is tested with the stored password', async () => {
    const server = await CamsimServer.start({ auth: { username: 'admin', password: CANARY } });
    try {
      const wrong = await app.inject({
        method: 'POST',
        url: '/v1/cameras/probe?durationMs=500',
        payload: { url: server.url('/h264-aac', { username: 'admin', password: 'nope' }) },
      });
      expect(wrong.statusCode).toBe(422);
      expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(wrong.json()).toMatchObject({
        code: GatewayErrorCode.PROBE_FAILED,
        cameraError: { code: 'RTSP_AUTH_FAILED', message: 'wrong user name or password' },
      });
      // A saved camera (disabled: not pulling), its change tested with the stored password.
      await post({
        id: 'saved',
        name: 'Saved',
        url: server.url('/h264-aac', { username: 'admin', password: CANARY }),
        enabled: false,
      });
      const change = await app.inject({
        method: 'POST',
        url: '/v1/cameras/saved/probe?durationMs=500',
        payload: { url: `rtsp://admin:***@127.0.0.1:${server.port}/h265-aac` },
      });
      expect(change.statusCode).toBe(200);
      expect(change.json().tracks[0]).toMatchObject({ codec: 'h265' });
      // Nothing was saved.
      expect((await app.inject('/v1/cameras/saved')).json().url).toContain('/h264-aac');
      const unknown = await app.inject({ method: 'POST', url: '/v1/cameras/nope/probe', payload: {} });
      expect(unknown.json().code).toBe(GatewayErrorCode.CAMERA_NOT_FOUND);
    } finally {
      await server.close();
    }
  }, 20_000);

  it('a port nobody listens on: 422 with RTSP_CONNECTION_FAILED; a bad URL: 400 naming the field', async () => {
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/cameras/probe',
      payload: { url: `rtsp://127.0.0.1:${deadPort}/x` },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().cameraError.code).toBe('RTSP_CONNECTION_FAILED');
    const invalid = await app.inject({ method: 'POST', url: '/v1/cameras/probe', payload: { url: 'http://x' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors).toEqual([expect.objectContaining({ field: 'url' })]);
  });
});

describe('links, keys and errors an operator can rely on', () => {
  it('links and snippets are absolute on CAMGATE_PUBLIC_URL (a proxy path prefix included)', async () => {
    await app.close();
    app = buildServer({ logger: pino({ level: 'silent' }), cameras, publicUrl: 'https://cams.example.com/site/' });
    const created = (await post(camera({ id: 'pub', enabled: false }))).json();
    expect(created.links).toEqual({
      playlist: 'https://cams.example.com/site/live/pub/index.m3u8',
      standardPlaylist: 'https://cams.example.com/site/live/pub/standard.m3u8',
      embed: 'https://cams.example.com/site/embed/pub',
      snippet: expect.stringContaining('src="https://cams.example.com/site/embed/pub?autoplay=1&amp;muted=1"'),
    });
  });

  it('without it, links follow the host the API was asked on; a Host that is no host name gives relative links', async () => {
    await post(camera({ id: 'h', enabled: false }));
    const asked = await app.inject({ url: '/v1/cameras/h', headers: { host: 'gateway.lan:8080' } });
    expect(asked.json().links.playlist).toBe('http://gateway.lan:8080/live/h/index.m3u8');
    const odd = await app.inject({ url: '/v1/cameras/h', headers: { host: 'evil"><script>' } });
    expect(odd.json().links.playlist).toBe('/live/h/index.m3u8');
  });

  it('a 401 says how to authenticate (WWW-Authenticate: Bearer)', async () => {
    await stop();
    await start('a-key-that-is-long-enough-0123456789');
    const missing = await app.inject('/v1/cameras');
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="camgate"');
    const wrong = await app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer nope' } });
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer realm="camgate", error="invalid_token"$/);
  });

  it('a body with several problems names every one, the URL rules included', async () => {
    const response = await post({ id: 'Bad Id', name: ' ', url: 'rtsp://cam/p?x=a@b', transport: 'http' });
    expect(response.statusCode).toBe(400);
    const fields = response.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field);
    expect(fields.sort()).toEqual(['id', 'name', 'transport', 'url']);
  });
});

interface CameraBody {
  status: { state: string; tracks: Array<{ codec: string }> };
}

describe('what the review found', () => {
  it('a hostile Host header (a long run a backtracking pattern would never finish) gets relative links at once', async () => {
    await post(camera({ id: 'h2', enabled: false }));
    for (const host of [`${'a'.repeat(40)}!`, `${'a-'.repeat(120)}!`, `${'ab.'.repeat(85)}!`]) {
      const answer = await app.inject({ url: '/v1/cameras/h2', headers: { host } });
      expect(answer.json<{ links: { playlist: string } }>().links.playlist).toBe('/live/h2/index.m3u8');
    }
  });

  it('half a surrogate pair as a password or user name: 400 naming the field, never a 500', async () => {
    for (const payload of [
      { name: 'n', url: `rtsp://127.0.0.1:${deadPort}/sur`, password: '\ud800' },
      { name: 'n', url: `rtsp://127.0.0.1:${deadPort}/sur`, username: '\udfff' },
    ]) {
      const answer = await post(payload);
      expect(answer.statusCode).toBe(400);
      expect(answer.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toMatch(/^(password|username)$/);
    }
  });

  it('two requests at once for one stream: one camera, one 409', async () => {
    const url = `rtsp://127.0.0.1:${deadPort}/raced`;
    const answers = await Promise.all([
      post({ id: 'one', name: 'One', url, enabled: false }),
      post({ id: 'two', name: 'Two', url, enabled: false }),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    expect(cameras.size).toBe(1);
  });

  it('requests without a key are not wrong keys: a dashboard opened by many never locks out a new one', async () => {
    await stop();
    await start('a-key-that-is-long-enough-0123456789');
    for (let i = 0; i < 30; i++) expect((await app.inject('/v1/cameras')).statusCode).toBe(401);
    // A wrong key is still answered 401 (its budget untouched), the right one 200.
    expect((await app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer typo' } })).statusCode).toBe(401);
    const right = { authorization: 'Bearer a-key-that-is-long-enough-0123456789' };
    expect((await app.inject({ url: '/v1/cameras', headers: right })).statusCode).toBe(200);
  });

  it('a JSON syntax error never quotes the body back (it may hold a password)', async () => {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/cameras',
      payload: `{"name":"x","password":"${CANARY}", oops}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ errors: [{ field: 'body', message: 'is not valid JSON' }] });
    expect(answer.body).not.toContain(CANARY);
  });

  it('connection tests: at most 4 at once, the fifth 429 with Retry-After; close() ends those running', async () => {
    const server = await CamsimServer.start();
    try {
      const probe = () =>
        app.inject({
          method: 'POST',
          url: '/v1/cameras/probe?durationMs=10000',
          payload: { url: server.url('/h264-aac'), transport: 'tcp' },
        });
      const running = [probe(), probe(), probe(), probe()];
      await expect.poll(() => server.sessionCount, { timeout: 10_000 }).toBe(4);
      const fifth = await probe();
      expect(fifth.statusCode).toBe(429);
      expect(Number(fifth.headers['retry-after'])).toBeGreaterThan(0);
      // A shutdown does not wait 10 s for them: each ends at once, as a 503.
      await cameras.close();
      for (const answer of await Promise.all(running)) {
        expect(answer.statusCode).toBe(503);
        expect(answer.json().code).toBe(GatewayErrorCode.SHUTTING_DOWN);
      }
      await expect.poll(() => server.sessionCount).toBe(0);
    } finally {
      await server.close();
    }
  }, 30_000);
});

async function waitForState(id: string, state: string): Promise<void> {
  await expect
    .poll(async () => (await app.inject(`/v1/cameras/${id}`)).json<{ status: { state: string } }>().status.state, {
      timeout: 15_000,
    })
    .toBe(state);
}

async function readStored(id: string): Promise<{ url: string }> {
  const store = JSON.parse(await readFile(join(dir, 'cameras.json'), 'utf8')) as {
    cameras: Array<{ id: string; url: string }>;
  };
  const record = store.cameras.find((c) => c.id === id);
  if (record === undefined) throw new Error(`no camera ${id} on disk`);
  return record;
}

describe('playback policy per camera', () => {
  it('defaults to public without an API key; a camera can be made signed and back, at once', async () => {
    const created = (await post(camera({ id: 'p', enabled: false }))).json();
    expect(created.playback).toBe('public');
    expect(created.links.tokenRequired).toBeUndefined();
    const signed = await app.inject({ method: 'PATCH', url: '/v1/cameras/p', payload: { playback: 'signed' } });
    expect(signed.statusCode).toBe(200);
    expect(signed.json()).toMatchObject({
      playback: 'signed',
      links: {
        playlist: 'http://localhost:80/live/p/t/{token}/index.m3u8',
        embed: 'http://localhost:80/embed/p?token={token}',
        tokenRequired: true,
        signing: {
          explanation: expect.stringContaining('POST /v1/signing-keys'),
          node: expect.stringContaining("import { importPKCS8, SignJWT } from 'jose';"),
          python: expect.stringContaining('import jwt'),
        },
      },
    });
    expect(signed.json().links.snippet).toContain('embed/p?token={token}&amp;autoplay=1');
    // Saved: a restarted gateway keeps it.
    await stop();
    await start();
    expect((await app.inject('/v1/cameras/p')).json().playback).toBe('signed');
    const back = await app.inject({ method: 'PATCH', url: '/v1/cameras/p', payload: { playback: 'public' } });
    expect(back.json().playback).toBe('public');
  });

  it('an invalid policy is a 400 naming the field', async () => {
    const response = await post(camera({ playback: 'secret' }));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: GatewayErrorCode.VALIDATION, errors: [{ field: 'playback' }] });
  });

  it('a camera left to the default follows the gateway’s: signed with an API key, public without, whenever it was saved', async () => {
    // A registry written by an older camgate: no `playback` field.
    await stop();
    const old = await FileCameraStore.open(dir);
    const at = new Date().toISOString();
    await old.create({
      id: 'old',
      name: 'Old',
      url: `rtsp://127.0.0.1:${deadPort}/old`,
      transport: 'auto',
      onDemand: false,
      audio: 'auto',
      enabled: false,
      createdAt: at,
      updatedAt: at,
    });
    await old.close();
    cameras = await CameraManager.open({ store: await FileCameraStore.open(dir), defaultPlayback: 'signed' });
    app = buildServer({ logger: pino({ level: 'silent' }), cameras });
    expect(cameras.playbackPolicy('old')).toBe('signed');
    expect((await app.inject('/v1/cameras/old')).json().playback).toBe('signed');
    expect((await post(camera({ id: 'new', enabled: false }))).json().playback).toBe('signed');
    expect(cameras.playbackPolicy('nope')).toBeUndefined();
    // Left to the default, nothing is stored: a gateway given an API key later protects such cameras.
    expect((await post(camera({ id: 'chosen', enabled: false, playback: 'public' }))).json().playback).toBe('public');
    const stored = JSON.parse(await readFile(join(dir, 'cameras.json'), 'utf8')) as {
      cameras: Array<{ id: string; playback?: string }>;
    };
    expect(stored.cameras.map((c) => [c.id, c.playback])).toEqual([
      ['old', undefined],
      ['new', undefined],
      ['chosen', 'public'],
    ]);
    await stop();
    cameras = await CameraManager.open({ store: await FileCameraStore.open(dir), defaultPlayback: 'public' });
    app = buildServer({ logger: pino({ level: 'silent' }), cameras });
    expect(['old', 'new', 'chosen'].map((id) => cameras.playbackPolicy(id))).toEqual(['public', 'public', 'public']);
  });
});

describe('revisions: ETag and If-Match, so an edit made on an old copy does not undo another', () => {
  it('a camera answers with its revision as ETag; a change needs the current one when If-Match is sent', async () => {
    const created = await post(camera({ id: 'r', enabled: false }));
    expect(created.headers.etag).toBe('"1"');
    expect(created.json().revision).toBe(1);
    const read = await app.inject('/v1/cameras/r');
    expect(read.headers.etag).toBe('"1"');
    const patch = (payload: object, ifMatch?: string) =>
      app.inject({
        method: 'PATCH',
        url: '/v1/cameras/r',
        payload,
        headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
      });
    const first = await patch({ name: 'First' }, '"1"');
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    // Made on the copy read at revision 1: refused, nothing changed.
    for (const stale of ['"1"', 'W/"2"', 'garbage', '"1", "3"']) {
      const refused = await patch({ name: 'Stale' }, stale);
      expect(refused.statusCode, stale).toBe(412);
      expect(refused.json()).toMatchObject({ code: GatewayErrorCode.PRECONDITION_FAILED, revision: 2 });
    }
    expect((await app.inject('/v1/cameras/r')).json()).toMatchObject({ name: 'First', revision: 2 });
    expect((await patch({ name: 'Any' }, '*')).headers.etag).toBe('"3"');
    expect((await patch({ name: 'Listed' }, '"9", "3"')).headers.etag).toBe('"4"');
    // Without If-Match, as before: the change applies.
    expect((await patch({ name: 'Blind' })).headers.etag).toBe('"5"');
    const staleDelete = await app.inject({ method: 'DELETE', url: '/v1/cameras/r', headers: { 'if-match': '"4"' } });
    expect(staleDelete.statusCode).toBe(412);
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/cameras/r', headers: { 'if-match': '"5"' } });
    expect(deleted.statusCode).toBe(204);
  });

  it('concurrent changes apply one after another: both land, each with its own revision; of two naming one revision, one wins', async () => {
    await post(camera({ id: 'c', enabled: false }));
    const blind = await Promise.all([
      app.inject({ method: 'PATCH', url: '/v1/cameras/c', payload: { name: 'A' } }),
      app.inject({ method: 'PATCH', url: '/v1/cameras/c', payload: { onDemand: true } }),
    ]);
    expect(blind.map((r) => r.headers.etag).sort()).toEqual(['"2"', '"3"']);
    expect((await app.inject('/v1/cameras/c')).json()).toMatchObject({ name: 'A', onDemand: true, revision: 3 });
    const racing = await Promise.all(
      ['X', 'Y'].map((name) =>
        app.inject({ method: 'PATCH', url: '/v1/cameras/c', payload: { name }, headers: { 'if-match': '"3"' } }),
      ),
    );
    expect(racing.map((r) => r.statusCode).sort()).toEqual([200, 412]);
    // Kept across a restart.
    await stop();
    await start();
    expect((await app.inject('/v1/cameras/c')).headers.etag).toBe('"4"');
  });
});
