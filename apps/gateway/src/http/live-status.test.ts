import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { GatewayErrorCode } from '../errors.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';
import type { LiveStatus } from './live-status.js';

let dir: string;
let camera: CamsimServer;
let cameras: CameraManager;
let app: FastifyInstance;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-status-'));
  camera = await CamsimServer.start({ auth: { username: 'admin', password: 'right' } });
  cameras = await CameraManager.open({
    store: await FileCameraStore.open(dir),
    pipeline: () => ({ backoff: { initialMs: 50, maxMs: 200 }, failAfter: 2 }),
  });
  app = buildServer({ logger: pino({ level: 'silent' }), cameras });
});

afterEach(async () => {
  await app.close();
  await cameras.close();
  await camera.close();
  await rm(dir, { recursive: true, force: true });
});

const status = async (id: string, query = '') =>
  (await app.inject(`/live/${id}/status.json${query}`)).json<LiveStatus>();

describe('GET /live/<id>/status.json: what a player may know', () => {
  it('a failed camera: its state and reason; `?while=failed` waits for the change, which a fix brings', async () => {
    await cameras.create({
      id: 'cam',
      name: 'Cam',
      url: camera.url('/h264-aac', { username: 'admin', password: 'wrong' }),
      transport: 'tcp',
    });
    await expect.poll(async () => (await status('cam')).state, { timeout: 15_000 }).toBe('failed');
    const failed = await status('cam');
    expect(failed.reason).toEqual({ code: 'RTSP_AUTH_FAILED', message: 'wrong user name or password' });
    // Held while the camera stays failed...
    let answered = false;
    const held = app.inject('/live/cam/status.json?while=failed').then((r) => {
      answered = true;
      return r.json<LiveStatus>();
    });
    const pipeline = cameras.pipeline('cam');
    await expect.poll(() => pipeline?.listenerCount('state')).toBeGreaterThan(0);
    expect(answered).toBe(false);
    // ...and answered the moment the camera is fixed.
    await cameras.update('cam', { password: 'right' });
    expect((await held).state).not.toBe('failed');
    await expect.poll(async () => (await status('cam')).state, { timeout: 15_000 }).toBe('streaming');
    expect((await status('cam')).reason).toBeNull();
    // Asking is not watching.
    expect(cameras.get('cam')?.status.viewers).toBe(0);
  }, 30_000);

  it('is no viewer: an on-demand camera stays idle; `?while=` another state answers at once', async () => {
    await cameras.create({ id: 'od', name: 'OD', url: camera.url('/h264-aac'), onDemand: true });
    expect(await status('od')).toMatchObject({ state: 'idle', reason: null, nextAttemptAt: null });
    expect((await status('od', '?while=failed')).state).toBe('idle');
    expect(camera.sessionCount).toBe(0);
  });

  it('an unknown camera: 404 problem', async () => {
    const response = await app.inject('/live/nope/status.json');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().code).toBe(GatewayErrorCode.NOT_FOUND);
  });

  it('a held answer does not hold up a shutdown: released at once with 503 and Retry-After', async () => {
    await cameras.create({ id: 'off', name: 'Off', url: camera.url('/h264-aac'), enabled: false });
    const origin = await app.listen({ host: '127.0.0.1', port: 0 });
    const held = fetch(`${origin}/live/off/status.json?while=disabled`);
    const pipeline = cameras.pipeline('off');
    await expect.poll(() => pipeline?.listenerCount('state')).toBeGreaterThan(0);
    const closed = app.close();
    const response = await held;
    await closed;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as { code: string }).code).toBe(GatewayErrorCode.SHUTTING_DOWN);
  });
});
