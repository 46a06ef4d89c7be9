import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CamsimServer } from '@camgate/camsim';
import { describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { createLogger } from '../logger.js';
import { SIGNING_KEYS_FILE_NAME } from '../playback/signing-key-store.js';
import { SignedGateway } from '../playback/test-signed-gateway.js';
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

function headersOf(response: Response): string {
  const headers: string[] = [];
  response.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  return headers.join('\n');
}

/** The secret parts of a private key: its PEM body lines and its JWK's private members. */
function secretsOf(pem: string): string[] {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  const members = ['d', 'p', 'q', 'dp', 'dq', 'qi'].flatMap((m) => (typeof jwk[m] === 'string' ? [jwk[m]] : []));
  const lines = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  return [...members, ...lines, lines.join('')];
}

describe('signing keys and playback tokens never leave where they belong', () => {
  it('private keys are in no log line, metric or API answer after their creation; tokens in no log line', async () => {
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const metricsToken = 'metrics-token-0123456789-abcdefghij';
    const gateway = await SignedGateway.start({ logger: createLogger('trace', sink), metricsToken });
    const bodies: string[] = [];
    const tokens: string[] = [];
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await gateway.api(method, path, body);
      const text = await response.text();
      bodies.push(`${method} ${path} ${response.status}\n${headersOf(response)}\n${text}`);
      return { status: response.status, text };
    };
    const play = async (path: string) => {
      const response = await fetch(`${gateway.origin}${path}`);
      bodies.push(`${path}\n${headersOf(response)}\n${await response.text()}`);
      return response.status;
    };
    try {
      await gateway.addCamera('cam');
      // Created through the API: the answer that creates a key is the one place its private key is.
      const [es, rs] = await Promise.all([gateway.createKey('ES256'), gateway.createKey('RS256')]);
      const created = [es, rs];
      const secrets = created.flatMap((key) => secretsOf(key.privateKey));
      // A client's own public keys, as PEM and JWK: their private parts never sent.
      const own = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      secrets.push(...secretsOf(own.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string));
      expect(
        (await call('POST', '/v1/signing-keys', { publicKey: own.publicKey.export({ format: 'jwk' }) })).status,
      ).toBe(201);
      expect(
        (await call('POST', '/v1/signing-keys', { publicKey: own.publicKey.export({ type: 'spki', format: 'pem' }) }))
          .status,
      ).toBe(201);
      // Private keys sent where a public one goes, in every shape: refused, never quoted.
      const ownPrivatePem = own.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      for (const body of [
        { publicKey: ownPrivatePem },
        { publicKey: own.privateKey.export({ format: 'jwk' }) },
        { publicKey: es.privateKey },
        { publicKey: rs.privateKey, algorithm: 'RS256' },
        { publicKey: createPrivateKey(rs.privateKey).export({ format: 'jwk' }), algorithm: 'RS256' },
        { publicKey: ownPrivatePem, algorithm: 'HS256' },
        { publicKey: ownPrivatePem, name: 7 },
        { publicKey: { ...own.privateKey.export({ format: 'jwk' }), extra: 'x'.repeat(20_000) } },
      ]) {
        expect((await call('POST', '/v1/signing-keys', body)).status).toBeGreaterThanOrEqual(400);
      }
      // A body that is not JSON, holding a private key.
      const broken = await fetch(`${gateway.origin}/v1/signing-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
        body: `{"publicKey": ${JSON.stringify(ownPrivatePem)}`,
      });
      expect(broken.status).toBe(400);
      bodies.push(await broken.text());

      // Tokens minted by the gateway's own key, and by the keys made above, played every way.
      for (const ttlSeconds of [60, 600]) {
        const minted = await call('POST', '/v1/cameras/cam/playback-tokens', { ttlSeconds });
        tokens.push((JSON.parse(minted.text) as { token: string }).token);
      }
      for (const token of tokens) {
        expect(await play(`/live/cam/t/${token}/index.m3u8`)).toBe(200);
        expect(await play(`/live/cam/index.m3u8?token=${token}`)).toBe(200);
        expect(await play(`/live/cam/t/${token}/status.json`)).toBe(200);
        expect(await play(`/live/nope/t/${token}/video.m3u8`)).toBe(404);
        await play(`/embed/cam?token=${token}`);
        await play(`/embed/cam/t/${token}`);
      }
      const stored = JSON.parse(await readFile(join(gateway.dataDir, SIGNING_KEYS_FILE_NAME), 'utf8')) as {
        keys: Array<{ managed: boolean; privateJwk?: Record<string, string> }>;
      };
      const managed = stored.keys.find((key) => key.managed);
      expect(managed?.privateJwk?.['d']).toEqual(expect.any(String));
      secrets.push(managed?.privateJwk?.['d'] as string);

      const list = await call('GET', '/v1/signing-keys');
      const ids = (JSON.parse(list.text) as { items: Array<{ id: string }> }).items.map((key) => key.id);
      expect(ids).toHaveLength(5);
      for (const id of ids) expect((await call('GET', `/v1/signing-keys/${id}`)).status).toBe(200);
      await call('GET', '/v1/signing-keys/nope');
      await call('GET', '/v1/cameras/cam');
      await call('GET', '/v1/cameras');
      await call('GET', '/openapi.json');
      const metrics = await fetch(`${gateway.origin}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      expect(metrics.status).toBe(200);
      bodies.push(await metrics.text());
      // Deleting a key: its answer and its revocation's log lines hold nothing either; other keys' tokens play on.
      expect((await call('DELETE', `/v1/signing-keys/${es.id}`)).status).toBe(204);
      expect(await play(`/live/cam/t/${tokens[0]}/index.m3u8`)).toBe(200);

      expect(secrets.length).toBeGreaterThan(20);
      for (const text of [...bodies, ...logs]) for (const secret of secrets) expect(text).not.toContain(secret);
      // A token is a credential: request lines name its path masked.
      expect(logs.some((line) => line.includes('/live/cam/t/***/index.m3u8'))).toBe(true);
      for (const token of tokens) {
        const signature = token.slice(token.lastIndexOf('.') + 1);
        for (const line of logs) expect(line).not.toContain(signature);
      }
    } finally {
      await gateway.close();
    }
    const secretsAfter = logs.join('');
    for (const token of tokens) expect(secretsAfter).not.toContain(token.slice(token.lastIndexOf('.') + 1));
  }, 40_000);
});
