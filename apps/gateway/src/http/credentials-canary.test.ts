import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CamsimServer } from '@camgate/camsim';
import { describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { createLogger } from '../logger.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';

/** S05: a password planted in camera URLs must appear in no API body, log line, metric or playlist. */
const CANARY = 'Canary-Pw-5f3e9a';

describe('credentials never leave the registry (S05)', () => {
  it('a canary password is in no API answer, log line, metric, playlist or error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'camgate-canary-'));
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('trace', sink);
    const camera = await CamsimServer.start({ auth: { username: 'admin', password: CANARY } });
    const cameras = await CameraManager.open({
      store: await FileCameraStore.open(dir),
      pipeline: (id) => ({ logger: logger.child({ camera: id }), backoff: { initialMs: 50, maxMs: 200 } }),
    });
    const app = buildServer({ logger, cameras });
    const bodies: string[] = [];
    const get = async (url: string) => {
      const response = await app.inject(url);
      bodies.push(`${url}\n${JSON.stringify(response.headers)}\n${response.body}`);
      return response;
    };
    try {
      const good = `rtsp://admin:${CANARY}@127.0.0.1:${camera.port}/h264-aac`;
      const wrong = `rtsp://admin:${CANARY}x@127.0.0.1:${camera.port}/h264-aac`;
      for (const [id, url] of [
        ['good', good],
        ['wrong', wrong],
      ]) {
        const created = await app.inject({
          method: 'POST',
          url: '/v1/cameras',
          payload: { id, name: id, url, transport: 'tcp', allowDuplicateSource: true },
        });
        expect(created.statusCode).toBe(201);
        bodies.push(created.body);
      }
      // Credentials as write-only fields, in a query string and in a path (Xiongmai), never shown.
      for (const [id, payload] of [
        ['fields', { url: `rtsp://127.0.0.1:${camera.port}/h265-aac`, username: 'admin', password: CANARY }],
        ['query', { url: `rtsp://127.0.0.1:${camera.port}/q?user=admin&password=${CANARY}` }],
        ['path', { url: `rtsp://127.0.0.1:${camera.port}/user=admin&password=${CANARY}&channel=1&stream=0.sdp` }],
      ] as const) {
        const created = await app.inject({
          method: 'POST',
          url: '/v1/cameras',
          payload: { id, name: id, enabled: false, ...payload },
        });
        expect(created.statusCode).toBe(201);
        bodies.push(created.body);
      }
      // A duplicate, a masked password refused, a connection test that fails: none repeats it.
      for (const [url, payload] of [
        ['/v1/cameras', { name: 'again', url: good }],
        ['/v1/cameras/good', { password: '***' }],
        ['/v1/cameras/probe', { url: wrong }],
        ['/v1/cameras/good/probe', { url: `rtsp://admin:***@127.0.0.1:${camera.port}/nope` }],
      ] as const) {
        const method = url === '/v1/cameras/good' ? 'PATCH' : 'POST';
        const answer = await app.inject({ method, url, payload });
        expect(answer.statusCode).toBeGreaterThanOrEqual(400);
        bodies.push(answer.body);
      }
      // Invalid input that carries the password: the error must not echo it.
      const invalid = await app.inject({
        method: 'POST',
        url: '/v1/cameras',
        payload: { name: 'bad', url: `http://admin:${CANARY}@cam/x` },
      });
      expect(invalid.statusCode).toBe(400);
      bodies.push(invalid.body);
      const patched = await app.inject({ method: 'PATCH', url: '/v1/cameras/wrong', payload: { name: 'still wrong' } });
      bodies.push(patched.body);

      // The good camera streams; the wrong one fails with the auth reason.
      for (const file of ['index.m3u8', 'video.m3u8', 'audio.m3u8'])
        expect((await get(`/live/good/${file}`)).statusCode).toBe(200);
      await expect
        .poll(async () => (await get('/v1/cameras/wrong')).json<{ status: { state: string } }>().status.state, {
          timeout: 20_000,
        })
        .toBe('failed');
      expect((await get('/v1/cameras/wrong')).json()).toMatchObject({
        status: { lastError: { code: 'RTSP_AUTH_FAILED', message: 'wrong user name or password' } },
      });
      await get('/v1/cameras');
      await get('/v1/cameras/good');
      const metrics = await get('/metrics');
      expect(metrics.body).toContain('camgate_cameras{state="streaming"} 1');
      expect(metrics.body).toContain('camgate_hls_requests_total{camera="good"}');
      expect(metrics.body).toMatch(/camgate_camera_bytes_in_total\{camera="good"\} [1-9]/);
      await get('/openapi.json');
      // A deleted camera's series leave the metrics.
      expect((await app.inject({ method: 'DELETE', url: '/v1/cameras/good' })).statusCode).toBe(204);
      const after = await get('/metrics');
      expect(after.body).not.toContain('camera="good"');
      expect(after.body).toContain('camera="wrong"');

      expect(logs.length).toBeGreaterThan(0);
      // Request log lines about a camera name it, the completion line of an HLS request included.
      expect(logs.some((line) => line.includes('"camera":"good"') && line.includes('request completed'))).toBe(true);
      expect(logs.some((line) => line.includes('"camera":"wrong"') && line.includes('request completed'))).toBe(true);
      // The camera's own lines (sessions and supervision) name it once: no duplicate keys.
      expect(logs.some((line) => line.includes('"camera":"wrong"') && line.includes('camera failed'))).toBe(true);
      await get('/live/wrong/status.json');
      for (const line of logs) expect(line.split('"camera":').length).toBeLessThanOrEqual(2);
      for (const text of [...bodies, ...logs]) expect(text).not.toContain(CANARY);
    } finally {
      await app.close();
      await cameras.close();
      await camera.close();
      await rm(dir, { recursive: true, force: true });
    }
    // And once more after shutdown: the closing log lines too.
    for (const line of logs) expect(line).not.toContain(CANARY);
  }, 40_000);
});
