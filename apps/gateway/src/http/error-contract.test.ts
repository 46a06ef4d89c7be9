import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtspErrorCode } from '@camgate/rtsp';
import { fuzzRuns, fuzzTimeout, repoRoot } from '@camgate/testkit';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { GatewayErrorCode } from '../errors.js';
import { PlaybackTokens } from '../playback/playback-tokens.js';
import { FileSigningKeyStore } from '../playback/signing-key-store.js';
import { SigningKeys } from '../playback/signing-keys.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';

/**
 * "Errors always follow the contract": every error of every route, Fastify's own included, is
 * application/problem+json (RFC 9457) with a CAMGATE_ERR_* code. Node's own answers (the HTTP
 * parser's) are tested over a socket in server.test.ts; /live's in live-routes.test.ts.
 */

let dir: string;
let cameras: CameraManager;
let keys: SigningKeys;
let app: FastifyInstance;
/** Tokens for the fuzz's token paths: valid for cam1 and for `signed`, and a forged one. */
const tokenSamples: string[] = [];
/** Every route of the built app, as Fastify registered it (HEAD twins included). */
const routes: Array<{ method: string; url: string }> = [];
/** Each request comes from its own address (a trusted proxy says so): the API's rate limit stays out of the way. */
let clientCount = 0;
/** The gateway's app without cameras, plus a route that echoes its JSON body (the body parser's tests). */
let echo: FastifyInstance;
const ECHO_BODY_LIMIT = 1024;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-contract-'));
  const store = await FileCameraStore.open(dir);
  const at = new Date(0).toISOString();
  const record = { transport: 'auto', onDemand: false, audio: 'auto', createdAt: at, updatedAt: at } as const;
  await store.create({ ...record, id: 'cam1', name: 'Camera 1', url: 'rtsp://192.0.2.1/stream1', enabled: true });
  await store.create({ ...record, id: 'off', name: 'Disabled', url: 'rtsp://192.0.2.2/stream1', enabled: false });
  await store.create({
    ...record,
    id: 'signed',
    name: 'Signed',
    url: 'rtsp://192.0.2.4/stream1',
    enabled: true,
    playback: 'signed',
  });
  cameras = await CameraManager.open({
    store,
    // Nothing connects anywhere: every session is refused before it opens a socket.
    pipeline: () => ({
      session: {
        beforeConnect: () => {
          throw new Error('this test reaches no camera');
        },
      },
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      // A stream that has not started answers 503 at once rather than after 10 s.
      hls: { readyTimeoutMs: 1 },
    }),
  });
  keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
  const tokens = new PlaybackTokens(keys);
  for (const id of ['cam1', 'signed']) tokenSamples.push((await tokens.mint(id, 600)).token);
  tokenSamples.push(`${tokenSamples[0]?.slice(0, -4)}AAAA`);
  app = buildServer({
    logger: pino({ level: 'silent' }),
    cameras,
    playback: { keys, tokens },
    trustProxy: ['127.0.0.1'],
  });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  await app.ready();
  echo = buildServer({ logger: pino({ level: 'silent' }) });
  echo.post('/echo', { bodyLimit: ECHO_BODY_LIMIT }, (req) => req.body);
});

afterAll(async () => {
  await echo.close();
  await app.close();
  await cameras.close();
  await keys.close();
  await rm(dir, { recursive: true, force: true });
});

function request(options: InjectOptions): Promise<LightMyRequestResponse> {
  clientCount++;
  const address = `10.${(clientCount >> 16) & 255}.${(clientCount >> 8) & 255}.${clientCount & 255}`;
  return app.inject({ ...options, headers: { 'x-forwarded-for': address, ...options.headers } });
}

/** The answer is a problem with this status and code; returns its body. */
function expectProblem(response: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect([response.statusCode, response.headers['content-type']]).toEqual([
    status,
    expect.stringMatching(PROBLEM_JSON),
  ]);
  const body = response.json<Record<string, unknown>>();
  expect(body).toMatchObject({ status, code, type: `urn:camgate:error:${code}` });
  return body;
}

/** application/problem+json, with a charset parameter or without. */
const PROBLEM_JSON = /^application\/problem\+json(;|$)/;

const validCamera = { name: 'Front door', url: 'rtsp://192.0.2.3/stream1' };

describe('error contract', () => {
  it('an unknown route: 404 problem', async () => {
    expectProblem(await request({ url: '/nope' }), 404, GatewayErrorCode.NOT_FOUND);
    expectProblem(await request({ method: 'POST', url: '/v1/nope' }), 404, GatewayErrorCode.NOT_FOUND);
  });

  it.for([
    ['PUT', '/v1/cameras/cam1', ['DELETE', 'GET', 'HEAD', 'PATCH']],
    ['POST', '/v1/cameras/cam1', ['DELETE', 'GET', 'HEAD', 'PATCH']],
    ['DELETE', '/v1/cameras', ['GET', 'HEAD', 'POST']],
    ['POST', '/healthz', ['GET', 'HEAD']],
    ['DELETE', '/live/cam1/index.m3u8', ['GET', 'HEAD', 'OPTIONS']],
    ['PROPFIND', '/metrics', ['GET', 'HEAD']],
  ] as const)('%s %s: 405 problem with Allow listing the methods the path has', async ([method, url, allowed]) => {
    const response = await request({ method: method as NonNullable<InjectOptions['method']>, url });
    const body = expectProblem(response, 405, GatewayErrorCode.METHOD_NOT_ALLOWED);
    const allow = String(response.headers.allow).split(/,\s*/);
    // A route another engineer adds under the same path adds its method: the listed ones must be there.
    expect(allow).toEqual(expect.arrayContaining([...allowed]));
    expect(allow).not.toContain(method);
    expect(body['detail']).not.toContain('?');
  });

  it.for(['/v1/cameras/%zz', '/v1/cameras/%E0%A4%A', '/live/%zz/index.m3u8', '/live/cam1/%zz', '/embed/%zz'])(
    'malformed percent-encoding in the path %s: 400 problem',
    async (url) => {
      expectProblem(await request({ url }), 400, GatewayErrorCode.BAD_URL);
    },
  );

  it.for([
    ['page', '1e309'],
    ['page', 'Infinity'],
    ['page', '-1e309'],
    ['page', '-Infinity'],
    ['page', 'NaN'],
    ['perPage', '1e309'],
    ['perPage', 'Infinity'],
    ['perPage', 'NaN'],
  ])('GET /v1/cameras?%s=%s: 400 problem naming the field, never a crash', async ([field, value]) => {
    const response = await request({ url: `/v1/cameras?${field}=${value}` });
    const body = expectProblem(response, 400, GatewayErrorCode.VALIDATION);
    expect(body['errors']).toEqual([expect.objectContaining({ field: `query.${field}` })]);
  });

  it('a non-finite number in any numeric schema is refused, wherever the schema is (params, query, body)', async () => {
    const local = buildServer({ logger: pino({ level: 'silent' }) });
    const numeric = {
      type: 'object',
      properties: { n: { type: 'number' }, list: { type: 'array', items: { type: 'integer' } } },
    };
    local.post('/numbers/:n', { schema: { params: numeric, querystring: numeric, body: numeric } }, (req) => ({
      params: req.params,
      query: req.query,
      body: req.body,
    }));
    try {
      const ok = await local.inject({ method: 'POST', url: '/numbers/1?n=2&list=3', payload: { n: 4, list: [5] } });
      expect(ok.statusCode).toBe(200);
      for (const [url, payload, field] of [
        ['/numbers/1e309', { n: 1 }, 'params.n'],
        ['/numbers/1?n=-1e309', { n: 1 }, 'query.n'],
        ['/numbers/1?list=1&list=1e309', { n: 1 }, 'query.list.1'],
        ['/numbers/1', '{"n":1e309}', 'n'],
        ['/numbers/1', '{"list":[1,-1e400]}', 'list.1'],
      ] as const) {
        const response = await local.inject({
          method: 'POST',
          url,
          payload,
          headers: { 'content-type': 'application/json' },
        });
        const body = expectProblem(response, 400, GatewayErrorCode.VALIDATION);
        expect(body['errors']).toEqual([expect.objectContaining({ field })]);
      }
    } finally {
      await local.close();
    }
  });

  it('a body with 3 invalid fields: 400 naming all 3', async () => {
    const response = await request({
      method: 'POST',
      url: '/v1/cameras',
      payload: { ...validCamera, name: '', transport: 'carrier-pigeon', audio: 'loud' },
    });
    const body = expectProblem(response, 400, GatewayErrorCode.VALIDATION);
    const fields = (body['errors'] as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['audio', 'name', 'transport']);
  });

  it('a JSON body that is not valid UTF-8: 400 problem for the field body, never U+FFFD', async () => {
    const payload = Buffer.concat([Buffer.from('{"name":"Front '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const response = await echo.inject({
      method: 'POST',
      url: '/echo',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    const body = expectProblem(response, 400, GatewayErrorCode.VALIDATION);
    expect(body['errors']).toEqual([expect.objectContaining({ field: 'body' })]);
  });

  it.for([
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16',
    'application/json;charset=latin1',
  ])('a JSON body in another charset (%s): 415 problem', async (contentType) => {
    const response = await echo.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"name":"x"}',
      headers: { 'content-type': contentType },
    });
    expectProblem(response, 415, GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it.for([
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset="UTF-8"',
    'Application/JSON;charset=utf8',
  ])('a UTF-8 JSON body (%s) is accepted, with a byte order mark too', async (contentType) => {
    for (const bom of [[], [0xef, 0xbb, 0xbf]]) {
      const response = await echo.inject({
        method: 'POST',
        url: '/echo',
        payload: Buffer.concat([Buffer.from(bom), Buffer.from('{"name":"Caméra 🎥"}')]),
        headers: { 'content-type': contentType },
      });
      expect([response.statusCode, response.json()]).toEqual([200, { name: 'Caméra 🎥' }]);
    }
  });

  it('keeps protection against prototype poisoning, and body limits per route', async () => {
    const poisoned = await echo.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"name":"x","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(poisoned, 400, GatewayErrorCode.VALIDATION);
    const constructor = await echo.inject({
      method: 'POST',
      url: '/echo',
      payload: '{"constructor":{"prototype":{"admin":true}}}',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(constructor, 400, GatewayErrorCode.VALIDATION);
    const large = await echo.inject({ method: 'POST', url: '/echo', payload: { name: 'x'.repeat(ECHO_BODY_LIMIT) } });
    expectProblem(large, 413, GatewayErrorCode.BODY_TOO_LARGE);
    const api = await request({
      method: 'POST',
      url: '/v1/cameras',
      payload: { ...validCamera, name: 'x'.repeat(70 * 1024) },
    });
    expectProblem(api, 413, GatewayErrorCode.BODY_TOO_LARGE);
  });

  it("docs/api.md lists every error code an answer can carry (the gateway's and the RTSP client's)", async () => {
    const text = await readFile(join(repoRoot, 'docs/api.md'), 'utf8');
    const rows = text.split('\n').filter((line) => line.startsWith('|'));
    // The RTSP client's codes reach users too: in a camera's lastError and a failed probe's cameraError.
    const codes = [...Object.values(GatewayErrorCode), ...Object.values(RtspErrorCode)];
    const missing = codes.filter((code) => !rows.some((row) => row.includes(`\`${code}\``)));
    expect(missing).toEqual([]);
  });
});

// ------------------------------------------------------------------ fuzz

/** The methods the app's routes answer, more often than the rest. */
const method = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE') },
  { weight: 1, arbitrary: fc.constantFrom('HEAD', 'PUT', 'OPTIONS', 'PROPFIND', 'SEARCH', 'TRACE') },
);
/** Pieces of paths and queries that broke, or might break, a parser or a handler. */
const NASTY = [
  'cam1',
  'off',
  'nope',
  'index.m3u8',
  'video.m3u8',
  'standard.m3u8',
  'video-1.m4s',
  'video-init.mp4',
  '..',
  '.',
  '%zz',
  '%',
  '%2',
  '%2F',
  '%00',
  '%FF',
  '%C3%A9',
  '%E0%A4%A',
  'é',
  '1e309',
  '-1e309',
  'Infinity',
  'NaN',
  '-1',
  '0',
  '1.5',
  '9007199254740993',
  '',
  'true',
  'YES',
  'v2',
  '__proto__',
  'constructor',
  'x'.repeat(101),
] as const;

const piece = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(encodeURIComponent),
);
const queryKey = fc.oneof(
  fc.constantFrom(
    'page',
    'perPage',
    'durationMs',
    '_HLS_msn',
    '_HLS_part',
    '_HLS_skip',
    'autoplay',
    'muted',
    'controls',
  ),
  piece,
);
const query = fc
  .array(fc.tuple(queryKey, piece), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json;charset="UTF-8"',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'garbage',
  '',
] as const;

const settingValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  // Any UTF-16, lone surrogates included (JSON carries them as \ud800).
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(
    'rtsp://192.0.2.9/x',
    'rtsps://u:p@192.0.2.9:322/x?y=1',
    'http://x',
    'tcp',
    'udp',
    'auto',
    'off',
    '***',
  ),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);
const cameraLike = fc
  .record(
    {
      id: fc.oneof(fc.constantFrom('cam1', 'new-cam', 'Bad Id', ''), fc.string({ maxLength: 8 })),
      name: settingValue,
      url: settingValue,
      transport: settingValue,
      onDemand: settingValue,
      audio: settingValue,
      enabled: settingValue,
      username: settingValue,
      password: settingValue,
      allowDuplicateSource: settingValue,
    },
    { requiredKeys: [] },
  )
  .map((body) => Buffer.from(JSON.stringify(body)));
/** A camera the API may accept: created, changed, probed. */
const plausibleCamera = fc
  .record(
    {
      id: fc.constantFrom('cam1', 'new-cam', 'other'),
      name: fc.constantFrom('Garage', 'Front door', ' ', 'é'),
      url: fc.constantFrom(
        'rtsp://192.0.2.9/x',
        'rtsps://u:p@192.0.2.9:322/x?y=1',
        'rtsp://***@192.0.2.9/x',
        'rtsp://localhost/x',
      ),
      transport: fc.constantFrom('auto', 'tcp', 'udp'),
      onDemand: fc.boolean(),
      enabled: fc.boolean(),
    },
    { requiredKeys: ['name', 'url'] },
  )
  .map((body) => Buffer.from(JSON.stringify(body)));
const ownKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
/** A body for /v1/signing-keys or /v1/cameras/:id/playback-tokens. */
const playbackLike = fc
  .record(
    {
      algorithm: fc.oneof(fc.constantFrom('ES256', 'RS256', 'HS256', 'none', 'es256'), settingValue),
      name: settingValue,
      publicKey: fc.oneof(
        fc.constantFrom(
          ownKey.publicKey.export({ type: 'spki', format: 'pem' }),
          ownKey.publicKey.export({ format: 'jwk' }),
          ownKey.privateKey.export({ type: 'pkcs8', format: 'pem' }),
          ownKey.privateKey.export({ format: 'jwk' }),
          { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
          { kty: 'oct', k: 'c2VjcmV0' },
          '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
        ),
        settingValue,
      ),
      ttlSeconds: fc.oneof(fc.constantFrom(9, 10, 3600, 604_800, 604_801, 1.5, -1), settingValue),
    },
    { requiredKeys: [] },
  )
  .map((body) => Buffer.from(JSON.stringify(body)));
const invalidUtf8Json = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => [0xff, ...b]),
  )
  .map(([text, bytes]) =>
    Buffer.concat([Buffer.from(`{"name":"${text.replace(/["\\]/g, '')}`), Buffer.from(bytes), Buffer.from('"}')]),
  );
const body = fc.option(
  fc.oneof(
    plausibleCamera,
    cameraLike,
    playbackLike,
    fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)),
    fc
      .constantFrom('{"n":1e309}', '[1e309]', '{', '', 'null', '{"__proto__":{"x":1}}')
      .map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    invalidUtf8Json,
  ),
  { nil: undefined },
);

/**
 * Host and X-Forwarded-Host (believed: the fuzz's gateway trusts its proxy), which links are built
 * on: plain hosts, garbage, and long runs a backtracking pattern would take forever to refuse.
 */
const hostText = fc.oneof(
  fc.constantFrom('gateway.lan:8080', '[::1]:8080', 'a.b.c', 'evil"><script>'),
  fc.string({ maxLength: 40 }),
  fc
    .tuple(
      fc.constantFrom('a', 'a-', 'a.', 'ab-c.'),
      fc.integer({ min: 20, max: 300 }),
      fc.constantFrom('!', ':', '..'),
    )
    .map(([run, n, end]) => run.repeat(n) + end),
);
const hostHeaders = fc.record(
  { host: hostText, 'x-forwarded-host': hostText, 'x-forwarded-proto': fc.constantFrom('https', 'http', 'gopher') },
  { requiredKeys: [] },
);

/** What a camera's stream serves, or would. */
const HLS_FILES = [
  'index.m3u8',
  'video.m3u8',
  'audio.m3u8',
  'standard.m3u8',
  'standard-video.m3u8',
  'video-init.mp4',
  'video-1000.m4s',
  'video-1000.0.m4s',
] as const;

/** A path parameter: one the app knows (a camera, a stream file) half the time. */
const parameter = fc.oneof(
  fc.constantFrom('cam1', 'off', 'index.m3u8', 'video.m3u8', 'standard.m3u8', 'video-1.m4s', 'hls.min.js'),
  piece,
);

/** A path a route of the app matches, its parameters random; or random pieces. */
function pathArbitrary(): fc.Arbitrary<string> {
  const patterns = [...new Set(routes.map((route) => route.url))];
  // Token paths get tokens some of the time: valid ones, for their camera or another, and forged.
  const withTokens = fc.oneof(parameter, fc.constantFrom(...tokenSamples));
  const fromPattern = fc
    .tuple(fc.constantFrom(...patterns), fc.array(withTokens, { minLength: 4, maxLength: 4 }))
    .map(([pattern, values]) => {
      let i = 0;
      return pattern.replace(/:[A-Za-z0-9_]+|\*/g, () => values[i++ % values.length] as string);
    });
  const random = fc.array(piece, { minLength: 1, maxLength: 4 }).map((pieces) => `/${pieces.join('/')}`);
  const live = fc
    .tuple(
      fc.constantFrom('cam1', 'off', 'nope', 'signed'),
      fc.option(fc.oneof(fc.constantFrom(...tokenSamples), piece), { nil: undefined }),
      fc.oneof(fc.constantFrom(...HLS_FILES, 'status.json'), piece),
    )
    .map(([id, token, file]) => (token === undefined ? `/live/${id}/${file}` : `/live/${id}/t/${token}/${file}`));
  return fc.oneof(
    { weight: 4, arbitrary: fromPattern },
    { weight: 1, arbitrary: live },
    { weight: 1, arbitrary: random },
  );
}

/**
 * 5xx a healthy gateway may answer: a camera that is not streaming (none of these is), so it has
 * no stream and no keyframe for a snapshot; a machine without ffmpeg (snapshots, 501).
 */
const EXPECTED_5XX: readonly string[] = [
  GatewayErrorCode.STREAM_UNAVAILABLE,
  GatewayErrorCode.SNAPSHOT_UNAVAILABLE,
  GatewayErrorCode.FFMPEG_NOT_FOUND,
  // A gateway built without a recordings directory (as here): recordings answer 503 with the reason.
  GatewayErrorCode.RECORDING_UNAVAILABLE,
];

/** A request of the fuzz: its URL a string. */
type Case = Omit<InjectOptions, 'url'> & { url: string };

/** Inputs the fuzz found before the contract held everywhere, kept as regression cases. */
const REGRESSIONS: readonly Case[] = [
  // 500: Infinity passed the integer schema and crashed the serializer.
  { method: 'GET', url: '/v1/cameras?page=1e309' },
  // text/plain from /live: an unknown file, an unknown camera (HEAD too), a stream not started (503).
  { method: 'GET', url: '/live/cam1/video-1000.m4s', headers: { 'content-type': 'text/plain' } },
  { method: 'HEAD', url: '/live/nope/%40%5EzB.4Ko?page=-1' },
  { method: 'GET', url: '/live/cam1/standard.m3u8', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  // Fastify's own FST_ERR_BAD_URL JSON, for malformed percent-encoding anywhere in a path.
  { method: 'PATCH', url: '/live/%2/?_HLS_part=%E2%A6%89', headers: { 'content-type': 'application/json' } },
  {
    method: 'POST',
    url: '/%FF//__proto__?perPage=%E1%B8%A7',
    headers: { 'content-type': 'application/merge-patch+json' },
  },
  { method: 'GET', url: '/docs/static/%E0%A4%A' },
  { method: 'PATCH', url: '/%' },
  { method: 'OPTIONS', url: '/v1/cameras/%2?page=&muted=index.m3u8', headers: { 'content-type': 'garbage' } },
  // 404 "no route" for a path that has other methods.
  { method: 'PUT', url: '/v1/cameras/cam1' },
  // Signed playback's routes, by hand before the fuzz reaches them.
  { method: 'POST', url: '/v1/signing-keys', payload: { publicKey: 'not a key' } },
  { method: 'POST', url: '/v1/signing-keys', payload: { publicKey: { kty: 'EC' } } },
  { method: 'POST', url: '/v1/signing-keys', payload: { publicKey: ['x'] } },
  { method: 'POST', url: '/v1/signing-keys', payload: { algorithm: 'HS256' } },
  { method: 'POST', url: '/v1/signing-keys', payload: '[]', headers: { 'content-type': 'application/json' } },
  { method: 'GET', url: `/v1/signing-keys/${'k'.repeat(65)}` },
  { method: 'GET', url: '/v1/signing-keys/%zz' },
  { method: 'DELETE', url: '/v1/signing-keys/__proto__' },
  { method: 'POST', url: '/v1/cameras/nope/playback-tokens', payload: {} },
  {
    method: 'POST',
    url: '/v1/cameras/cam1/playback-tokens',
    payload: '{"ttlSeconds":1e309}',
    headers: { 'content-type': 'application/json' },
  },
  {
    method: 'POST',
    url: '/v1/cameras/cam1/playback-tokens',
    payload: 'null',
    headers: { 'content-type': 'application/json' },
  },
  { method: 'POST', url: '/v1/cameras/cam1/playback-tokens', payload: { ttlSeconds: '60' } },
  { method: 'GET', url: '/live/signed/t/a.b.c/index.m3u8' },
  { method: 'GET', url: '/live/signed/t/%zz/index.m3u8' },
  { method: 'GET', url: `/live/signed/t/${'a'.repeat(4097)}/index.m3u8` },
  { method: 'GET', url: '/live/signed/t/a.b.c/status.json?while=failed' },
  { method: 'DELETE', url: '/live/signed/t/a.b.c/status.json' },
  { method: 'GET', url: '/live/signed/index.m3u8?token=a.b.c' },
];

/**
 * The one error that is a page, by design (docs/api.md): an unknown camera's embed page is an HTML
 * 404, shown in the iframe of the site that embeds it.
 */
function documentedPage(options: Case, response: LightMyRequestResponse): boolean {
  return (
    options.url.startsWith('/embed/') &&
    response.statusCode === 404 &&
    /^text\/html(;|$)/.test(String(response.headers['content-type']))
  );
}

async function checkContract(options: Case): Promise<void> {
  const response = await request(options);
  const status = response.statusCode;
  const context = `${String(options.method)} ${options.url} -> ${status} ${response.body.slice(0, 200)}`;
  if (status < 400) return;
  if (documentedPage(options, response)) return;
  expect(response.headers['content-type'], context).toMatch(PROBLEM_JSON);
  if (options.method !== 'HEAD') {
    const problem = response.json<{ status: number; code: string }>();
    expect(problem.status, context).toBe(status);
    expect(problem.code, context).toMatch(/^CAMGATE_ERR_[A-Z_]+$/);
    if (status >= 500) expect(EXPECTED_5XX, context).toContain(problem.code);
  } else {
    expect(status === 500, context).toBe(false);
  }
}

describe('error contract, fuzzed', () => {
  it('enumerates the routes of the app', () => {
    const urls = routes.map((route) => `${route.method} ${route.url}`);
    expect(urls).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'POST /v1/cameras',
        'PATCH /v1/cameras/:id',
        'GET /live/:id/:file',
        'POST /v1/signing-keys',
        'GET /v1/signing-keys',
        'GET /v1/signing-keys/:id',
        'DELETE /v1/signing-keys/:id',
        'POST /v1/cameras/:id/playback-tokens',
        'GET /live/:id/t/:token/:file',
        'GET /live/:id/t/:token/status.json',
      ]),
    );
  });

  it.for(REGRESSIONS.map((options) => [`${String(options.method)} ${options.url.slice(0, 80)}`, options] as const))(
    'regression: %s',
    async ([, options]) => {
      await checkContract(options);
    },
  );

  const runs = fuzzRuns();
  it(
    'fuzz: random methods, paths, queries, headers and bodies to every route: never a crash, every error a coded problem',
    { timeout: fuzzTimeout(runs * 5) },
    async () => {
      await fc.assert(
        fc.asyncProperty(
          method,
          pathArbitrary(),
          query,
          fc.oneof(
            { weight: 2, arbitrary: fc.constant('application/json') },
            { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
            { weight: 1, arbitrary: fc.constant(undefined) },
          ),
          body,
          hostHeaders,
          async (verb, path, search, contentType, payload, hosts) => {
            const headers: Record<string, string> = { ...hosts };
            if (contentType !== undefined) headers['content-type'] = contentType;
            await checkContract({
              method: verb as NonNullable<InjectOptions['method']>,
              url: `${path}${search}`,
              headers,
              ...(payload === undefined || verb === 'GET' || verb === 'HEAD' ? {} : { payload }),
            });
          },
        ),
        { numRuns: runs },
      );
    },
  );
});
