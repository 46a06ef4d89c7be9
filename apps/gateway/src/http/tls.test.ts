import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type ClientHttp2Session } from 'node:http2';
import { get as httpsGet } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HlsStream } from '@camgate/hls';
import { openSegment } from '@camgate/hls/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { buildServer, closeAllConnections } from './server.js';
import { feedTestVector } from './test-live-stream.js';
import { loadTlsFiles } from './tls.js';

/** The test-only certificate for localhost and 127.0.0.1 (testdata/tls/README.md). */
const CERT = new URL('../../testdata/tls/localhost.crt', import.meta.url).pathname;
const KEY = new URL('../../testdata/tls/localhost.key', import.meta.url).pathname;

describe('loadTlsFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-tls-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a certificate and its key', () => {
    const { cert, key } = loadTlsFiles(CERT, KEY);
    expect(cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(key.toString()).toContain('PRIVATE KEY');
  });

  it('a missing file, a file that is not PEM, or a key of another certificate: INVALID_CONFIG naming the setting', async () => {
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a certificate\n');
    const otherKey = join(dir, 'other.key');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(otherKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const cases: Array<[cert: string, key: string, field: string]> = [
      [join(dir, 'missing.crt'), KEY, 'tlsCert'],
      [CERT, join(dir, 'missing.key'), 'tlsKey'],
      [garbage, KEY, 'tlsCert'],
      [CERT, garbage, 'tlsKey'],
      [CERT, otherKey, 'tlsKey'],
      [KEY, KEY, 'tlsCert'],
    ];
    for (const [cert, key, field] of cases) {
      let thrown: unknown;
      try {
        loadTlsFiles(cert, key);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: GatewayErrorCode.INVALID_CONFIG });
      expect((thrown as Error).message).toContain(field);
      // OpenSSL's reason, never the key itself.
      expect((thrown as Error).message).not.toContain('PRIVATE KEY');
    }
  });
});

describe('the gateway over HTTPS', () => {
  const tls = loadTlsFiles(CERT, KEY);
  let stream: HlsStream;
  let app: FastifyInstance;
  let origin: string;
  let sessions: ClientHttp2Session[];

  const liveStream = () => feedTestVector(stream);

  function session(): ClientHttp2Session {
    const client = connect(origin, { ca: tls.cert });
    sessions.push(client);
    return client;
  }

  function request(client: ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = client.request({ ':path': path });
      let status = 0;
      const chunks: Buffer[] = [];
      req.on('response', (headers) => (status = Number(headers[':status'])));
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
      req.on('error', reject);
      req.end();
    });
  }

  beforeEach(async () => {
    stream = new HlsStream({ startMsn: 1000, segmentDurationMs: 1000 });
    sessions = [];
    app = buildServer({ logger: pino({ level: 'silent' }), live: (id) => (id === 'cam1' ? stream : undefined), tls });
    origin = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http:', 'https:');
  });

  afterEach(async () => {
    for (const client of sessions) client.destroy();
    stream.close();
    await app.close();
  });

  it('speaks HTTP/2 (ALPN h2): 20 blocking reloads held at once on one connection, all answered', async () => {
    const { rest } = liveStream();
    const client = session();
    const first = await request(client, '/live/cam1/video.m3u8');
    expect(first.status).toBe(200);
    expect(client.alpnProtocol).toBe('h2');
    expect(client.remoteSettings.maxConcurrentStreams).toBe(256);
    // The next part: held until it is published (more requests than HTTP/1.1's 6 connections).
    const { msn, nextPart } = openSegment(first.body);
    const next = `/live/cam1/video.m3u8?_HLS_msn=${msn}&_HLS_part=${nextPart}`;
    const held = Array.from({ length: 20 }, () => request(client, next));
    await expect.poll(() => stream.stats.waiting).toBe(20);
    rest();
    const answers = await Promise.all(held);
    expect(answers.map((a) => a.status)).toEqual(Array<number>(20).fill(200));
    for (const answer of answers) expect(answer.body).toMatch(/#EXT-X-PART:/);
  });

  it('answers HTTP/1.1 clients on the same port', async () => {
    const url = new URL('/healthz', origin);
    const answer = await new Promise<{ status: number; version: string }>((resolve, reject) => {
      httpsGet(url, { ca: tls.cert }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion }));
      }).on('error', reject);
    });
    expect(answer).toEqual({ status: 200, version: '1.1' });
  });

  it('close() ends idle HTTP/2 sessions (Node 20 would keep them 72 s)', async () => {
    const idle = session();
    expect((await request(idle, '/healthz')).status).toBe(200);
    await app.close();
    if (!idle.destroyed) await once(idle, 'close');
  });

  it('close() lets an HTTP/1.1 request in flight finish, then ends its connection', async () => {
    const { rest } = liveStream();
    const client = session();
    const { msn, nextPart } = openSegment((await request(client, '/live/cam1/video.m3u8')).body);
    const url = new URL(`/live/cam1/video.m3u8?_HLS_msn=${msn}&_HLS_part=${nextPart}`, origin);
    const held = new Promise<number>((resolve, reject) => {
      httpsGet(url, { ca: tls.cert }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });
    await expect.poll(() => stream.stats.waiting).toBe(1);
    const closed = app.close();
    rest();
    expect(await held).toBe(200);
    await closed;
  });

  it('closeAllConnections ends a connection still in its TLS handshake', async () => {
    const socket = netConnect(Number(new URL(origin).port), '127.0.0.1');
    await once(socket, 'connect');
    // No ClientHello: the server waits for the handshake, and close() would wait with it.
    const ended = once(socket, 'close');
    const closed = app.close();
    closeAllConnections(app);
    await closed;
    await ended;
  });

  it('closeAllConnections ends a connection with a request held', async () => {
    const { rest } = liveStream();
    const busy = session();
    const { msn, nextPart } = openSegment((await request(busy, '/live/cam1/video.m3u8')).body);
    // Its status, or 0 when the connection ended without an answer.
    const held = request(busy, `/live/cam1/video.m3u8?_HLS_msn=${msn}&_HLS_part=${nextPart}`).then(
      (answer) => answer.status,
      () => 0,
    );
    await expect.poll(() => stream.stats.waiting).toBe(1);
    const closed = app.close();
    closeAllConnections(app);
    await closed;
    expect(await held).toBe(0);
    rest();
  });
});
