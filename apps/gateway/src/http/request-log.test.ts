import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import type { LogLevel } from '../config.js';
import { errors } from '../errors.js';
import { createLogger } from '../logger.js';
import { SignedGateway } from '../playback/test-signed-gateway.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { pathOf, requestLogLevel } from './request-log.js';
import { buildServer } from './server.js';

interface LogLine {
  level: number;
  msg: string;
  method?: string;
  path?: string;
  status?: number;
  responseTime?: number;
  camera?: string;
  ip?: string;
  err?: { message: string };
}

const DEBUG = 20;
const INFO = 30;
const WARN = 40;
const ERROR = 50;

let camera: CamsimServer;
let dir: string;
let cameras: CameraManager | undefined;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  camera = await CamsimServer.start();
});
afterAll(async () => {
  await camera.close();
});
afterEach(async () => {
  await app?.close();
  await cameras?.close();
  app = cameras = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A gateway whose log lines (JSON, as in production without a terminal) are kept, parsed. */
async function gateway(level: LogLevel, apiKey?: string): Promise<{ app: FastifyInstance; raw: string[] }> {
  dir = await mkdtemp(join(tmpdir(), 'camgate-request-log-'));
  const raw: string[] = [];
  const logger = createLogger(level, { write: (line: string) => raw.push(line) });
  // The cameras' own lines go nowhere: this is about the HTTP lines.
  cameras = await CameraManager.open({ store: await FileCameraStore.open(dir) });
  app = buildServer({ logger, cameras, apiKey });
  return { app, raw };
}

const parse = (raw: string[]) => raw.map((line) => JSON.parse(line) as LogLine);

/** One API write, then 50 requests of a viewer and a dashboard: playlists, media, health, reads. */
async function watch(server: FastifyInstance): Promise<void> {
  const created = await server.inject({
    method: 'POST',
    url: '/v1/cameras',
    payload: { id: 'door', name: 'Door', url: camera.url('/h264-aac'), transport: 'tcp' },
  });
  expect(created.statusCode).toBe(201);
  const statuses: number[] = [];
  const get = async (url: string, method: 'GET' | 'HEAD' | 'OPTIONS' = 'GET') => {
    const response = await server.inject({ method, url });
    statuses.push(response.statusCode);
    return response;
  };
  await get('/live/door/index.m3u8');
  const playlist = (await get('/live/door/video.m3u8')).body;
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1] as string;
  const parts = [...playlist.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1] as string);
  expect(parts.length).toBeGreaterThan(0);
  await get(`/live/door/${init}`);
  await get('/live/door/index.m3u8', 'HEAD');
  await get('/live/door/index.m3u8', 'OPTIONS');
  await get('/live/door/nope.m3u8');
  for (const url of ['/healthz', '/readyz', '/metrics', '/assets/hls.min.js', '/v1/cameras', '/v1/cameras/door'])
    await get(url);
  for (let i = 0; statuses.length < 50; i++) {
    const msn = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? '0';
    await get(i % 2 === 0 ? `/live/door/${parts[i % parts.length]}` : `/live/door/video.m3u8?_HLS_msn=${msn}`);
  }
  expect(statuses.filter((status) => status >= 400)).toEqual([404]);
}

describe('request log', () => {
  it('at info, 50 playback, health and API read requests write nothing; the one API write, one line', async () => {
    const { app, raw } = await gateway('info');
    await watch(app);
    expect(parse(raw)).toEqual([
      {
        level: INFO,
        time: expect.any(Number),
        pid: expect.any(Number),
        hostname: expect.any(String),
        reqId: expect.any(String),
        method: 'POST',
        path: '/v1/cameras',
        status: 201,
        responseTime: expect.any(Number),
        ip: '127.0.0.1',
        camera: 'door',
        msg: 'request completed',
      },
    ]);
  });

  it('at debug, every request has its one line, playback naming the camera, no query string', async () => {
    const { app, raw } = await gateway('debug');
    await watch(app);
    const lines = parse(raw);
    expect(lines).toHaveLength(51);
    expect(lines.every((line) => line.msg === 'request completed')).toBe(true);
    expect(lines.filter((line) => line.level === INFO).map((line) => `${line.method} ${line.path}`)).toEqual([
      'POST /v1/cameras',
    ]);
    expect(lines.filter((line) => line.level === DEBUG)).toHaveLength(50);
    const playback = lines.filter((line) => line.path?.startsWith('/live/'));
    expect(playback.length).toBeGreaterThan(40);
    expect(playback.every((line) => line.camera === 'door' && typeof line.status === 'number')).toBe(true);
    expect(lines.find((line) => line.path === '/live/door/video.m3u8' && line.method === 'HEAD')).toBeUndefined();
    expect(lines.filter((line) => line.method === 'HEAD')).toMatchObject([
      { path: '/live/door/index.m3u8', status: 200 },
    ]);
    expect(raw.join('')).not.toContain('_HLS_msn');
    for (const line of raw) expect(line.split('"camera":').length).toBeLessThanOrEqual(2);
  });

  it('an API write about one camera names it; its query string is never logged', async () => {
    const { app, raw } = await gateway('info');
    await watch(app);
    raw.length = 0;
    const patched = await app.inject({
      method: 'PATCH',
      url: '/v1/cameras/door?token=q-s3cret',
      payload: { name: 'Back door' },
    });
    expect(patched.statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/v1/cameras/nope' })).statusCode).toBe(404);
    expect(parse(raw)).toMatchObject([
      { level: INFO, method: 'PATCH', path: '/v1/cameras/door', status: 200, camera: 'door' },
      { level: INFO, method: 'DELETE', path: '/v1/cameras/nope', status: 404, camera: 'nope' },
    ]);
    expect(raw.join('')).not.toContain('s3cret');
  });

  it('a wrong API key is a warn line with the address; the 429s after the tenth are debug', async () => {
    const { app, raw } = await gateway('debug', 'the-k3y');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await app.inject({ url: '/v1/cameras', headers: { authorization: 'Bearer wr0ng-s3cret' } });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429, 429]);
    const lines = parse(raw);
    expect(lines.map((line) => [line.level, line.status])).toEqual([
      ...Array<[number, number]>(10).fill([WARN, 401]),
      [DEBUG, 429],
      [DEBUG, 429],
    ]);
    expect(lines[0]).toMatchObject({ method: 'GET', path: '/v1/cameras', ip: '127.0.0.1' });
    expect(raw.join('')).not.toMatch(/s3cret|authorization/i);
    // A request about one camera answered before the route named it still names it, once.
    await app.inject({ method: 'DELETE', url: '/v1/cameras/door', headers: { authorization: 'Bearer x' } });
    expect(raw.at(-1)?.split('"camera":"door"')).toHaveLength(2);
  });

  it('a failed request is one error line that says which request; another 5xx, an error request line', async () => {
    const { app, raw } = await gateway('info');
    app.get('/test/bug', () => {
      throw new Error('a bug');
    });
    app.get('/test/store', () => {
      throw errors.storeUnavailable();
    });
    expect((await app.inject('/test/bug?x=1')).statusCode).toBe(500);
    expect((await app.inject('/test/store')).statusCode).toBe(503);
    expect(parse(raw)).toMatchObject([
      { level: ERROR, msg: 'request failed', method: 'GET', path: '/test/bug', err: { message: 'a bug' } },
      { level: ERROR, msg: 'request completed', method: 'GET', path: '/test/store', status: 503 },
    ]);
    expect(raw).toHaveLength(2);
  });

  it('logs no query string, header or body even at trace', async () => {
    const { app, raw } = await gateway('trace');
    const secret = { authorization: 'Bearer h-s3cret', cookie: 'c-s3cret' };
    await app.inject({ url: '/healthz?token=q-s3cret', headers: secret });
    await app.inject({ url: '/live/nope/index.m3u8?token=q-s3cret', headers: secret });
    await app.inject({
      method: 'POST',
      url: '/v1/cameras?token=q-s3cret',
      headers: secret,
      payload: { name: 'b-s3cret' },
    });
    expect(raw).toHaveLength(3);
    expect(raw.join('')).not.toMatch(/s3cret|incoming request/);
  });
});

describe('requestLogLevel', () => {
  it.each([
    ['POST', '/v1/cameras', 201, 'info'],
    ['PATCH', '/v1/cameras/door', 200, 'info'],
    ['DELETE', '/v1/cameras/door', 404, 'info'],
    ['POST', '/v1/cameras', 400, 'info'],
    ['PUT', '/v1', 204, 'info'],
    ['GET', '/v1/cameras', 200, 'debug'],
    ['HEAD', '/v1/cameras', 200, 'debug'],
    ['OPTIONS', '/v1/cameras', 204, 'debug'],
    ['GET', '/v1/cameras', 401, 'warn'],
    ['POST', '/v1/cameras', 401, 'warn'],
    ['POST', '/v1/cameras', 429, 'debug'],
    ['GET', '/v1/cameras', 503, 'error'],
    ['POST', '/v1/cameras', 500, 'debug'],
    ['GET', '/live/door/index.m3u8', 200, 'debug'],
    ['GET', '/live/door/part-1.m4s', 503, 'error'],
    ['POST', '/live/door/index.m3u8', 404, 'debug'],
    ['POST', '/v1x', 404, 'debug'],
    ['GET', '/healthz', 200, 'debug'],
    ['GET', '/metrics', 200, 'debug'],
  ])('%s %s %d: %s', (method, path, status, level) => {
    expect(requestLogLevel(method, path, status)).toBe(level);
  });
});

describe('pathOf: no query, and playback tokens masked (they are credentials)', () => {
  const JWT =
    'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJjYW0iLCJleHAiOjE4MDAwMDAwMDB9.MEUCIQDx1y2z3a4b5c6d7e8f9g0h';
  it.each([
    // [url, the route's token parameter ({}: a route without one, undefined: no route), logged path]
    ['/live/cam/index.m3u8?token=x', {}, '/live/cam/index.m3u8'],
    ['/live/cam/video-part-64000.m4s', {}, '/live/cam/video-part-64000.m4s'],
    ['/live/cam/video-1000.0.m4s', {}, '/live/cam/video-1000.0.m4s'],
    [`/live/cam/t/${JWT}/video.m3u8?_HLS_msn=1`, { token: JWT }, '/live/cam/t/***/video.m3u8'],
    [`/live/cam/t/${JWT}/status.json`, { token: JWT }, '/live/cam/t/***/status.json'],
    [`/embed/cam/t/${JWT}`, { token: JWT }, '/embed/cam/t/***'],
    // The router reads %74 as t, and %2E as a dot: masked by what the segment reads as.
    [`/live/cam/%74/${JWT}/index.m3u8`, { token: JWT }, '/live/cam/%74/***/index.m3u8'],
    [`/live/cam/t/${JWT.replaceAll('.', '%2E')}/index.m3u8`, { token: JWT }, '/live/cam/t/***/index.m3u8'],
    ['/live/cam/t/not-a-jwt/index.m3u8', { token: 'not-a-jwt' }, '/live/cam/t/***/index.m3u8'],
    // An absolute-form request line: the path only, masked all the same.
    [
      `http://127.0.0.1:8080/live/cam/t/${JWT.replaceAll('.', '%2E')}/index.m3u8`,
      { token: JWT },
      '/live/cam/t/***/index.m3u8',
    ],
    // A camera named t is no token.
    ['/live/t/index.m3u8', {}, '/live/t/index.m3u8'],
    ['/embed/t', {}, '/embed/t'],
    // No route: the segment after t (or %74, or T), and anything shaped like a JWT.
    [`/live/cam/t/${JWT}`, undefined, '/live/cam/t/***'],
    [`/live/cam/T/${JWT}/index.m3u8`, undefined, '/live/cam/T/***/index.m3u8'],
    [`/live//cam/t/${JWT}/x/y`, undefined, '/live//cam/t/***/x/y'],
    [`/${JWT}`, undefined, '/***'],
    [`/live/cam/x/${JWT.replace('e', '%65')}/index.m3u8`, undefined, '/live/cam/x/***/index.m3u8'],
    ['/healthz', {}, '/healthz'],
    ['/v1/cameras/door?x=1', {}, '/v1/cameras/door'],
  ])('%s (route %o): %s', (url, route, logged) => {
    expect(pathOf(url, route)).toBe(logged);
  });

  it('a signed camera played through its token path: no log line holds the token, at trace', async () => {
    const raw: string[] = [];
    const gateway = await SignedGateway.start({
      logger: createLogger('trace', { write: (line: string) => raw.push(line) }),
    });
    try {
      await gateway.addCamera('door');
      const { token } = await gateway.mint('door');
      const signature = token.slice(token.lastIndexOf('.') + 1);
      for (const path of [
        `/live/door/t/${token}/index.m3u8`,
        `/live/door/%74/${token}/index.m3u8`,
        `/live/door/t/${token}/status.json`,
        `/live/door/index.m3u8?token=${token}`,
        `/live/nope/t/${token}/video.m3u8`,
        `/live/door/T/${token}/index.m3u8`,
        `/embed/door/t/${token}`,
        `/embed/door?token=${token}`,
      ]) {
        await fetch(`${gateway.origin}${path}`);
      }
      await expect
        .poll(() => raw.filter((line) => line.includes('request completed')).length)
        .toBeGreaterThanOrEqual(8);
      const lines = parse(raw).filter(
        (line) => line.msg === 'request completed' && line.path?.startsWith('/live/door'),
      );
      expect(lines.map((line) => [line.path, line.status])).toEqual(
        expect.arrayContaining([
          ['/live/door/t/***/index.m3u8', 200],
          ['/live/door/%74/***/index.m3u8', 200],
          ['/live/door/t/***/status.json', 200],
          ['/live/door/index.m3u8', 200],
          ['/live/door/T/***/index.m3u8', 404],
        ]),
      );
      for (const line of raw) expect(line).not.toContain(signature);
    } finally {
      await gateway.close();
    }
  });
});
