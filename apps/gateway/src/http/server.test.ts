import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HlsStream } from '@camgate/hls';
import { openSegment } from '@camgate/hls/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { GatewayErrorCode } from '../errors.js';
import { createLogger } from '../logger.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { VERSION } from '../version.js';
import { buildServer } from './server.js';
import { feedTestVector } from './test-live-stream.js';
import { RawConnection, type RawResponse } from './test-raw-http.js';

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

/** The response is a problem with this status and code, on a connection the server closes. */
function expectProblem(response: RawResponse, status: number, code: string): void {
  expect([response.status, response.headers['content-type']]).toEqual([
    status,
    expect.stringMatching(/^application\/problem\+json(;|$)/),
  ]);
  expect(JSON.parse(response.body)).toMatchObject({ status, code });
}

describe('what Node and its HTTP parser answer by themselves is a problem too (over a socket)', () => {
  let app: FastifyInstance;
  let port: number;
  const connections: RawConnection[] = [];
  beforeAll(async () => {
    app = buildServer({ logger: createLogger('silent') });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const connection of connections) connection.destroy();
    await app.close();
  });
  async function send(bytes: string): Promise<{ response: RawResponse; connection: RawConnection }> {
    const connection = await RawConnection.open(port);
    connections.push(connection);
    connection.write(bytes);
    return { response: await connection.response(), connection };
  }

  it.for([
    ['a Content-Length that is not a number', 'POST /v1/cameras HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    [
      'two different Content-Lengths',
      'POST /v1/cameras HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ],
    [
      'Transfer-Encoding with Content-Length',
      'POST /v1/cameras HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
    ],
    ['an unknown method', 'FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a bad chunk size', 'POST /v1/cameras HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a control character in a header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Test: a\u0001b\r\n\r\n'],
    ['a space in the URL', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('400 problem for %s, then the connection closes', async ([, bytes]) => {
    const { response, connection } = await send(bytes as string);
    expectProblem(response, 400, GatewayErrorCode.MALFORMED_REQUEST);
    expect(response.headers['connection']).toBe('close');
    await connection.whenClosed();
  });

  it.for([
    ['a header section over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['a request line over 16 KiB', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ])('431 problem for %s', async ([, bytes]) => {
    const { response, connection } = await send(bytes as string);
    expectProblem(response, 431, GatewayErrorCode.HEADERS_TOO_LARGE);
    expect(response.headers['connection']).toBe('close');
    await connection.whenClosed();
  });

  it("414 problem for a URL over 8 KiB (and under the parser's 16 KiB)", async () => {
    const { response } = await send(
      `GET /healthz?q=${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expectProblem(response, 414, GatewayErrorCode.URL_TOO_LONG);
    const unrouted = await send(`GET /nope/${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expectProblem(unrouted.response, 414, GatewayErrorCode.URL_TOO_LONG);
    const under = await send(`GET /healthz?q=${'a'.repeat(8000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(under.response.status).toBe(200);
  });

  it('400 problem for an HTTP/1.1 request without Host, or with two (RFC 9112 §3.2)', async () => {
    const none = await send('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expectProblem(none.response, 400, GatewayErrorCode.MALFORMED_REQUEST);
    const two = await send('GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n');
    expectProblem(two.response, 400, GatewayErrorCode.MALFORMED_REQUEST);
    const old = await send('GET /healthz HTTP/1.0\r\n\r\n');
    expect(old.response.status).toBe(200);
  });

  it('an Expect other than 100-continue is ignored (RFC 9110 §10.1.1), not a bare 417', async () => {
    const { response } = await send(
      'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: the-unexpected\r\nConnection: close\r\n\r\n',
    );
    expect(response.status).toBe(200);
  });

  it('CONNECT (the gateway is no proxy): 405 problem with Allow, not a dropped connection', async () => {
    const { response, connection } = await send('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expectProblem(response, 405, GatewayErrorCode.METHOD_NOT_ALLOWED);
    expect(response.headers['allow']).toMatch(/\bGET\b/);
    await connection.whenClosed();
  });

  it('408 problem for a request that took too long (Node reports it as a client error)', async () => {
    const accepted = new Promise<Socket>((resolve) => app.server.once('connection', resolve));
    const connection = await RawConnection.open(port);
    connections.push(connection);
    const socket = await accepted;
    connection.write('GET /healthz HTTP/1.1\r\nHo');
    const timeout = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    app.server.emit('clientError', timeout, socket);
    const response = await connection.response();
    expectProblem(response, 408, GatewayErrorCode.REQUEST_TIMEOUT);
    await connection.whenClosed();
  });
});

describe('while shutting down', () => {
  it('new requests get a 503 problem with Retry-After; /healthz and /readyz answer as ever', async () => {
    const live = new HlsStream({ startMsn: 1000, segmentDurationMs: 1000 });
    feedTestVector(live);
    const app = buildServer({ logger: createLogger('silent'), live: () => live });
    const connections: RawConnection[] = [];
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.address() as AddressInfo).port;
      const { msn, nextPart } = openSegment((await live.handle('video.m3u8')).body as string);
      const held = `GET /live/cam1/video.m3u8?_HLS_msn=${msn}&_HLS_part=${nextPart} HTTP/1.1\r\nHost: x\r\n\r\n`;
      // Each connection holds a blocking reload, so closing the server keeps it open; a second
      // request on it (pipelined) arrives while the gateway is closing.
      for (let i = 0; i < 3; i++) {
        const connection = await RawConnection.open(port);
        connections.push(connection);
        connection.write(held);
      }
      await expect.poll(() => live.stats.waiting).toBe(3);
      let arrived = 0;
      app.server.on('request', () => arrived++);
      const closed = app.close();
      const [first, second, third] = connections as [RawConnection, RawConnection, RawConnection];
      first.write('GET /v1/cameras HTTP/1.1\r\nHost: x\r\n\r\n');
      second.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      third.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
      await expect.poll(() => arrived).toBe(3);
      // The gateway closes the streams next: the held reloads are released (503, below).
      live.close();
      for (const connection of connections) {
        const released = await connection.response();
        expectProblem(released, 503, GatewayErrorCode.SHUTTING_DOWN);
      }
      const refused = await first.response();
      expectProblem(refused, 503, GatewayErrorCode.SHUTTING_DOWN);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      const health = await second.response();
      expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);
      const ready = await third.response();
      expect([ready.status, JSON.parse(ready.body)]).toEqual([503, { status: 'not ready' }]);
      await closed;
    } finally {
      for (const connection of connections) connection.destroy();
      live.close();
      await app.close();
    }
  });
});

describe('operator endpoints: /metrics behind the metrics token or the API key, the docs behind the API key', () => {
  const API_KEY = 'api-key-0123456789-abcdefghij-KLMNOPQRS';
  const METRICS_TOKEN = 'metrics-0123456789-abcdefghij-KLMNOPQR';
  const DOCS = ['/docs/', '/docs/json', '/docs/yaml', '/docs/static/swagger-initializer.js', '/openapi.json'];
  /** Under /docs/ the key is asked for as a Basic password (browsers prompt); elsewhere as a Bearer token. */
  const UI = DOCS.filter((url) => url.startsWith('/docs/'));
  const basic = (password: string, user = 'anyone') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  async function statuses(
    app: FastifyInstance,
    urls: readonly string[],
    authorization?: string,
  ): Promise<Array<[string, number, string | undefined]>> {
    const answers: Array<[string, number, string | undefined]> = [];
    for (const url of urls) {
      const response = await app.inject({ url, headers: authorization === undefined ? {} : { authorization } });
      if (response.statusCode === 401) {
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json()).toMatchObject({ code: GatewayErrorCode.UNAUTHORIZED });
      }
      answers.push([url, response.statusCode, response.headers['www-authenticate'] as string | undefined]);
    }
    return answers;
  }
  const each = (urls: readonly string[], status: number, challenge?: string) =>
    urls.map((url) => [url, status, challenge]);
  const BASIC = 'Basic realm="camgate", charset="UTF-8"';
  const BEARER = 'Bearer realm="camgate"';
  const WRONG = 'Bearer realm="camgate", error="invalid_token"';

  it('with neither an API key nor a metrics token, /metrics and the docs are open', async () => {
    const app = buildServer({ logger: createLogger('silent') });
    try {
      expect(await statuses(app, ['/metrics', ...DOCS])).toEqual(each(['/metrics', ...DOCS], 200));
    } finally {
      await app.close();
    }
  });

  it('with a metrics token only: /metrics needs it (Bearer or Basic); the docs stay open', async () => {
    const app = buildServer({ logger: createLogger('silent'), metricsToken: METRICS_TOKEN });
    try {
      expect(await statuses(app, ['/metrics'])).toEqual(each(['/metrics'], 401, BEARER));
      expect(await statuses(app, ['/metrics'], 'Bearer wrong-token')).toEqual(each(['/metrics'], 401, WRONG));
      expect(await statuses(app, ['/metrics'], basic('wrong-token'))).toEqual(each(['/metrics'], 401, WRONG));
      expect(await statuses(app, ['/metrics'], `Bearer ${METRICS_TOKEN}`)).toEqual(each(['/metrics'], 200));
      expect(await statuses(app, ['/metrics'], basic(METRICS_TOKEN))).toEqual(each(['/metrics'], 200));
      expect(await statuses(app, ['/metrics'], basic(METRICS_TOKEN, ''))).toEqual(each(['/metrics'], 200));
      expect(await statuses(app, DOCS)).toEqual(each(DOCS, 200));
    } finally {
      await app.close();
    }
  });

  it('with an API key: the docs need it (a Basic prompt under /docs/ only, for browsers), /metrics it or the metrics token; neither opens the other’s door', async () => {
    const app = buildServer({ logger: createLogger('silent'), apiKey: API_KEY, metricsToken: METRICS_TOKEN });
    try {
      // A browser keeps Basic credentials for the directory it was asked in: /docs is moved to /docs/ first.
      const bare = await app.inject('/docs');
      expect(bare.statusCode).toBe(302);
      expect(bare.headers.location).toBe('docs/');
      expect(await statuses(app, UI)).toEqual(each(UI, 401, BASIC));
      expect(await statuses(app, ['/metrics', '/openapi.json'])).toEqual(
        each(['/metrics', '/openapi.json'], 401, BEARER),
      );
      expect(await statuses(app, DOCS, basic(API_KEY))).toEqual(each(DOCS, 200));
      expect(await statuses(app, DOCS, `Bearer ${API_KEY}`)).toEqual(each(DOCS, 200));
      expect(await statuses(app, ['/metrics'], `Bearer ${API_KEY}`)).toEqual(each(['/metrics'], 200));
      expect(await statuses(app, ['/metrics'], basic(API_KEY))).toEqual(each(['/metrics'], 200));
      expect(await statuses(app, ['/metrics'], `Bearer ${METRICS_TOKEN}`)).toEqual(each(['/metrics'], 200));
      // The metrics token is for metrics only.
      expect(await statuses(app, ['/openapi.json'], `Bearer ${METRICS_TOKEN}`)).toEqual(
        each(['/openapi.json'], 401, WRONG),
      );
      expect(await statuses(app, ['/docs/json'], `Bearer ${METRICS_TOKEN}`)).toEqual(each(['/docs/json'], 401, BASIC));
      expect(await statuses(app, ['/openapi.json'], basic(METRICS_TOKEN))).toEqual(each(['/openapi.json'], 401, WRONG));
      // A Basic header that is not one: no key.
      expect(await statuses(app, ['/openapi.json'], 'Basic !!!')).toEqual(each(['/openapi.json'], 401, BEARER));
      const noColon = `Basic ${Buffer.from(API_KEY).toString('base64')}`;
      expect(await statuses(app, ['/openapi.json'], noColon)).toEqual(each(['/openapi.json'], 401, BEARER));
    } finally {
      await app.close();
    }
  });

  it('wrong keys are counted once per address, whichever door they knock on (/v1, /docs, /metrics)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'camgate-guard-'));
    const cameras = await CameraManager.open({ store: await FileCameraStore.open(dir) });
    const app = buildServer({ logger: createLogger('silent'), apiKey: API_KEY, cameras });
    try {
      const doors = ['/v1/cameras', '/metrics', '/openapi.json', '/docs/json'];
      const codes: number[] = [];
      for (let i = 0; i < 12; i++) {
        const url = doors[i % doors.length] as string;
        codes.push((await app.inject({ url, headers: { authorization: 'Bearer wrong-key' } })).statusCode);
      }
      expect(codes).toEqual([...Array<number>(10).fill(401), 429, 429]);
    } finally {
      await app.close();
      await cameras.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with an API key and no metrics token, /metrics needs the API key', async () => {
    const app = buildServer({ logger: createLogger('silent'), apiKey: API_KEY });
    try {
      expect(await statuses(app, ['/metrics'])).toEqual(each(['/metrics'], 401, BEARER));
      expect(await statuses(app, ['/metrics'], 'Bearer ')).toEqual(each(['/metrics'], 401, BEARER));
      expect(await statuses(app, ['/metrics'], `Bearer ${API_KEY}`)).toEqual(each(['/metrics'], 200));
    } finally {
      await app.close();
    }
  });
});
