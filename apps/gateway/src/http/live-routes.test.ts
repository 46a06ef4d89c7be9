import { HlsStream } from '@camgate/hls';
import { videoTestStream } from '@camgate/testkit';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { openSegment } from '@camgate/hls/testing';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { privateCacheControl, withTokenPaths } from './live-routes.js';
import { buildServer } from './server.js';
import { feedTestVector } from './test-live-stream.js';

let stream: HlsStream;
let app: ReturnType<typeof buildServer>;

/** A finished stream (EXT-X-ENDLIST) of the H.264 test vector: every answer is immediate. */
beforeEach(() => {
  const video = videoTestStream('h264-high-bpyramid');
  stream = new HlsStream({ startMsn: 1000, segmentDurationMs: 1000 });
  if (video.config.kind !== 'video' || video.config.codec !== 'h264') throw new Error('H.264 vector expected');
  stream.setTrack({
    kind: 'video',
    config: video.config,
    clockRate: video.timescale,
    width: 640,
    height: 360,
    fps: 25,
  });
  for (const sample of video.samples) {
    stream.push({
      kind: 'video',
      dts: sample.dts,
      pts: sample.pts,
      keyframe: sample.sync,
      discontinuity: false,
      wallclock: Date.UTC(2026, 10, 23) + sample.dts / 90,
      data: sample.data,
    });
  }
  stream.end();
  app = buildServer({ logger: pino({ level: 'silent' }), live: (id) => (id === 'cam1' ? stream : undefined) });
});

afterEach(async () => {
  stream.close();
  await app.close();
});

/** The answer is a problem with this status and code; returns its body. */
function expectProblem(response: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect([response.statusCode, response.headers['content-type']]).toEqual([
    status,
    expect.stringMatching(/^application\/problem\+json(;|$)/),
  ]);
  const body = response.json<Record<string, unknown>>();
  expect(body).toMatchObject({ status, code });
  return body;
}

describe('live routes', () => {
  it('serves the multivariant and media playlists with the HLS content type', async () => {
    const multivariant = await app.inject('/live/cam1/index.m3u8');
    expect(multivariant.statusCode).toBe(200);
    expect(multivariant.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(multivariant.body).toContain('#EXT-X-STREAM-INF:');
    const media = await app.inject('/live/cam1/video.m3u8?_HLS_msn=1000&_HLS_part=0');
    expect(media.statusCode).toBe(200);
    expect(media.body).toContain('#EXT-X-ENDLIST');
  });

  it('sends a segment as its parts, byte for byte, with Content-Length', async () => {
    const playlist = (await app.inject('/live/cam1/video.m3u8')).body;
    const segment = /^(video-\d+\.m4s)$/m.exec(playlist)?.[1] as string;
    const parts = [...playlist.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1] as string);
    const response = await app.inject(`/live/cam1/${segment}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('video/mp4');
    expect(Number(response.headers['content-length'])).toBe(response.rawPayload.length);
    const served = await stream.handle(segment);
    const expected = Buffer.concat((served.body as Uint8Array[]).map((p) => Buffer.from(p)));
    expect(response.rawPayload.equals(expected)).toBe(true);
    expect(parts.length).toBeGreaterThan(0);
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1] as string;
    const initResponse = await app.inject(`/live/cam1/${init}`);
    expect(initResponse.statusCode).toBe(200);
    expect(initResponse.rawPayload.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('answers HEAD like GET without a body', async () => {
    const get = await app.inject('/live/cam1/index.m3u8');
    const head = await app.inject({ method: 'HEAD', url: '/live/cam1/index.m3u8' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.body).toBe('');
  });

  it.for([
    ['an unknown camera', '/live/nope/index.m3u8'],
    ['an unknown file', '/live/cam1/video-1.m4s'],
    ['a name outside the stream', '/live/cam1/..%2F..%2Fetc%2Fpasswd'],
  ])('404 problem for %s, with CORS and no-cache', async ([, url]) => {
    const response = await app.inject(url as string);
    expectProblem(response, 404, GatewayErrorCode.NOT_FOUND);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['cache-control']).toBe('no-cache');
    const head = await app.inject({ method: 'HEAD', url: url as string });
    expect([head.statusCode, head.headers['content-type'], head.body]).toEqual([
      404,
      response.headers['content-type'],
      '',
    ]);
  });

  it('passes the query to the stream: 400 problem for _HLS_part without _HLS_msn, its Cache-Control kept', async () => {
    const response = await app.inject('/live/cam1/video.m3u8?_HLS_part=1');
    const body = expectProblem(response, 400, GatewayErrorCode.HLS_BAD_REQUEST);
    expect(body['detail']).not.toBe('');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    const direct = await stream.handle('video.m3u8', new URLSearchParams('_HLS_part=1'));
    expect(response.headers['cache-control']).toBe(direct.headers['cache-control']);
  });

  it.for([
    ['a part number that is not a number', '_HLS_msn=1001&_HLS_part=x'],
    ['a media sequence number too far ahead (rfc8216bis §6.2.5.2)', '_HLS_msn=999999'],
    ['a bad _HLS_skip', '_HLS_skip=NO'],
  ])("a live stream: %s is a 400 problem with the stream's status and Cache-Control", async ([, search]) => {
    const live = new HlsStream({ startMsn: 1000, segmentDurationMs: 1000 });
    feedTestVector(live);
    const server = buildServer({ logger: pino({ level: 'silent' }), live: () => live });
    try {
      const response = await server.inject(`/live/cam1/video.m3u8?${search as string}`);
      const direct = await live.handle('video.m3u8', new URLSearchParams(search));
      expect(direct.status).toBe(400);
      expectProblem(response, 400, GatewayErrorCode.HLS_BAD_REQUEST);
      expect(response.headers['cache-control']).toBe(direct.headers['cache-control']);
    } finally {
      live.close();
      await server.close();
    }
  });

  it('a stream that has not started: 503 problem with its Cache-Control and CORS', async () => {
    const idle = new HlsStream({ readyTimeoutMs: 1 });
    const server = buildServer({ logger: pino({ level: 'silent' }), live: () => idle });
    try {
      for (const file of ['index.m3u8', 'standard.m3u8']) {
        const response = await server.inject(`/live/cam1/${file}`);
        const direct = await idle.handle(file);
        expect(direct.status).toBe(503);
        const body = expectProblem(response, 503, GatewayErrorCode.STREAM_UNAVAILABLE);
        expect(body['detail']).not.toBe('');
        expect(response.headers['cache-control']).toBe(direct.headers['cache-control']);
        expect(response.headers['access-control-allow-origin']).toBe('*');
      }
    } finally {
      idle.close();
      await server.close();
    }
  });

  it('CORS: any origin by default, never with credentials; a preflight answers', async () => {
    const response = await app.inject({ url: '/live/cam1/index.m3u8', headers: { origin: 'https://evil.example' } });
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    const preflight = await app.inject({ method: 'OPTIONS', url: '/live/cam1/video.m3u8' });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
  });

  it('CORS with a list: only listed origins get the header (S09)', async () => {
    const listed = buildServer({
      logger: pino({ level: 'silent' }),
      live: () => stream,
      corsOrigins: ['https://cams.example'],
    });
    try {
      const ok = await listed.inject({ url: '/live/cam1/index.m3u8', headers: { origin: 'https://cams.example' } });
      expect(ok.headers['access-control-allow-origin']).toBe('https://cams.example');
      expect(ok.headers.vary).toMatch(/Origin/);
      const other = await listed.inject({ url: '/live/cam1/index.m3u8', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await listed.close();
    }
  });

  it('gzips playlists for clients that accept it, byte-identical once inflated; never media', async () => {
    const plain = await app.inject('/live/cam1/video.m3u8');
    const zipped = await app.inject({ url: '/live/cam1/video.m3u8', headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/);
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(plain.body);
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    const refused = await app.inject({ url: '/live/cam1/video.m3u8', headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    const segment = /^(video-\d+\.m4s)$/m.exec(plain.body)?.[1] as string;
    const media = await app.inject({ url: `/live/cam1/${segment}`, headers: { 'accept-encoding': 'gzip' } });
    expect(media.headers['content-encoding']).toBeUndefined();
  });

  it('a client that leaves while its blocking reload is held frees its place at once', async () => {
    const live = new HlsStream({ startMsn: 1000, segmentDurationMs: 1000 });
    feedTestVector(live);
    const server = buildServer({ logger: pino({ level: 'silent' }), live: () => live });
    try {
      const origin = await server.listen({ host: '127.0.0.1', port: 0 });
      const { msn, nextPart } = openSegment((await live.handle('video.m3u8')).body as string);
      const request = httpGet(`${origin}/live/cam1/video.m3u8?_HLS_msn=${msn}&_HLS_part=${nextPart}`);
      request.on('error', () => undefined);
      await expect.poll(() => live.stats.waiting).toBe(1);
      request.destroy();
      // Long before the 3 target durations (3 s) a held request would otherwise wait.
      await expect.poll(() => live.stats.waiting, { timeout: 1000 }).toBe(0);
    } finally {
      live.close();
      await server.close();
    }
  });

  it.for([
    ['the gateway shuts down: 503 problem with Retry-After', true],
    ['its camera is deleted: 404 problem, as ever', false],
  ] as const)('a held blocking reload whose stream closes as %s', async ([, shuttingDown]) => {
    const live = new HlsStream({ startMsn: 1000, segmentDurationMs: 1000 });
    feedTestVector(live);
    const server = buildServer({ logger: pino({ level: 'silent' }), live: () => live });
    try {
      const origin = await server.listen({ host: '127.0.0.1', port: 0 });
      const { msn, nextPart } = openSegment((await live.handle('video.m3u8')).body as string);
      const answered = new Promise<{ response: IncomingMessage; body: string }>((resolve, reject) => {
        const request = httpGet(`${origin}/live/cam1/video.m3u8?_HLS_msn=${msn}&_HLS_part=${nextPart}`, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ response, body }));
        });
        request.on('error', reject);
      });
      await expect.poll(() => live.stats.waiting).toBe(1);
      // As the gateway shuts down: the server first, then the cameras and their streams.
      const closed = shuttingDown ? server.close() : Promise.resolve(undefined);
      live.close();
      const { response, body } = await answered;
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      if (shuttingDown) {
        expect([response.statusCode, JSON.parse(body).code]).toEqual([503, GatewayErrorCode.SHUTTING_DOWN]);
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      } else {
        expect([response.statusCode, JSON.parse(body).code]).toEqual([404, GatewayErrorCode.NOT_FOUND]);
      }
      await closed;
    } finally {
      live.close();
      await server.close();
    }
  });

  it('serves the hls.js player script bundled with the gateway', async () => {
    const response = await app.inject('/assets/hls.min.js');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/javascript/);
    expect(response.body.length).toBeGreaterThan(100_000);
  });
});

describe('withTokenPaths: a multivariant playlist answered to ?token= carries the token in every URI path', () => {
  const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjYW0ifQ.c2ln_-';
  const T = `t/${TOKEN}/`;
  const STREAM_INF =
    '#EXT-X-STREAM-INF:BANDWIDTH=140708,AVERAGE-BANDWIDTH=112567,CODECS="avc1.64000d",RESOLUTION=640x360,FRAME-RATE=25.000';
  it.for([
    [
      "the gateway's LL-HLS multivariant (video)",
      `#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n${STREAM_INF}\nvideo.m3u8\n`,
      `#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n${STREAM_INF}\n${T}video.m3u8\n`,
    ],
    [
      "the gateway's standard multivariant",
      `#EXTM3U\n${STREAM_INF}\nstandard-video.m3u8\n`,
      `#EXTM3U\n${STREAM_INF}\n${T}standard-video.m3u8\n`,
    ],
    [
      'audio as a rendition (EXT-X-MEDIA URI)',
      '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="audio",DEFAULT=YES,URI="audio.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="a"\nvideo.m3u8\n',
      `#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="audio",DEFAULT=YES,URI="${T}audio.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="a"\n${T}video.m3u8\n`,
    ],
    [
      'every URI attribute, several on a line',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="iframes.m3u8"\n#EXT-X-SESSION-DATA:DATA-ID="x",URI="data.json"\n#EXT-X-SESSION-KEY:METHOD=AES-128,URI="key.bin",KEYFORMAT="identity"\n#EXT-X-X:URI="a",OTHER-URI="b"\n',
      `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="${T}iframes.m3u8"\n#EXT-X-SESSION-DATA:DATA-ID="x",URI="${T}data.json"\n#EXT-X-SESSION-KEY:METHOD=AES-128,URI="${T}key.bin",KEYFORMAT="identity"\n#EXT-X-X:URI="${T}a",OTHER-URI="${T}b"\n`,
    ],
    [
      'absolute URIs and absolute paths left alone',
      '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",URI="https://cdn.example/a.m3u8"\n#EXT-X-SESSION-DATA:DATA-ID="x",URI="/abs/data.json"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://cdn.example/v.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\n/live/cam/video.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=3\nHTTPS://CDN.EXAMPLE/v.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=4\ndata:application/x-mpegurl,x\n',
      '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",URI="https://cdn.example/a.m3u8"\n#EXT-X-SESSION-DATA:DATA-ID="x",URI="/abs/data.json"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://cdn.example/v.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\n/live/cam/video.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=3\nHTTPS://CDN.EXAMPLE/v.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=4\ndata:application/x-mpegurl,x\n',
    ],
    [
      'blank lines, comments, tags without URIs and no final newline',
      '#EXTM3U\n\n# a comment with URI in it\n#EXT-X-START:TIME-OFFSET=-1\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvideo.m3u8',
      `#EXTM3U\n\n# a comment with URI in it\n#EXT-X-START:TIME-OFFSET=-1\n#EXT-X-STREAM-INF:BANDWIDTH=1\n${T}video.m3u8`,
    ],
    [
      'CRLF line ends',
      '#EXTM3U\r\n#EXT-X-STREAM-INF:BANDWIDTH=1\r\nvideo.m3u8\r\n',
      `#EXTM3U\r\n#EXT-X-STREAM-INF:BANDWIDTH=1\r\n${T}video.m3u8\r\n`,
    ],
    ['an empty playlist', '', ''],
  ] as const)('%s', ([, playlist, expected]) => {
    expect(withTokenPaths(playlist, TOKEN)).toBe(expected);
  });

  it.for([
    ['a slash', 'a/b.c.d'],
    ['a query', 'a.b.c?x=1'],
    ['a fragment', 'a.b.c#x'],
    ['percent-encoding', 'a.b.%2e%2e'],
    ['a quote', 'a.b.c"'],
    ['a space or a line break', 'a.b.c\n#EXT-X-ENDLIST'],
    ['nothing', ''],
  ] as const)('a token with %s is not put into a path: the playlist is left as it is', ([, token]) => {
    const playlist = `#EXTM3U\n${STREAM_INF}\nvideo.m3u8\n`;
    expect(withTokenPaths(playlist, token)).toBe(playlist);
  });
});

describe('without access control (no camera registry): every stream is public', () => {
  it('a token, in the path or ?token=, is refused as an unknown camera', async () => {
    const unknown = await app.inject('/live/nope/index.m3u8');
    for (const url of ['/live/cam1/t/a.b.c/index.m3u8', '/live/cam1/index.m3u8?token=a.b.c']) {
      const response = await app.inject(url);
      expect([response.statusCode, response.headers['cache-control']]).toEqual([404, 'no-cache']);
      expect(response.body).toBe(unknown.body.replace('\\"nope\\"', '\\"cam1\\"'));
    }
    expect((await app.inject('/live/cam1/index.m3u8?other=1')).statusCode).toBe(200);
    // An empty ?token= is no token: a public stream plays.
    expect((await app.inject('/live/cam1/index.m3u8?token=')).statusCode).toBe(200);
  });
});

describe('privateCacheControl: what a token opened stays the token holder’s', () => {
  const now = 1_800_000_000_000;
  it.each<[string | undefined, number | undefined, string]>([
    // [the stream's Cache-Control, token expiry, answered]
    ['public, max-age=31536000, immutable', now + 600_000, 'private, max-age=600, immutable'],
    ['public, max-age=31536000, immutable', now + 1_500, 'private, max-age=1, immutable'],
    ['public, max-age=31536000, immutable', now - 1_000, 'private, max-age=0, immutable'],
    ['max-age=1', now + 600_000, 'private, max-age=1'],
    ['no-cache', now + 600_000, 'private, no-cache'],
    ['private, no-cache', now + 600_000, 'private, no-cache'],
    [undefined, now + 600_000, 'private, no-cache'],
    ['max-age=6', undefined, 'private, max-age=0'],
  ])('%s, expiring at %d: %s', (given, expiresAt, answered) => {
    expect(privateCacheControl(given, expiresAt, now)).toBe(answered);
  });
});
