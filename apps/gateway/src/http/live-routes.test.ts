import { HlsStream } from '@camgate/hls';
import { videoTestStream } from '@camgate/testkit';
import { get as httpGet } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { openSegment } from '@camgate/hls/testing';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
  ])('404 for %s', async ([, url]) => {
    const response = await app.inject(url as string);
    expect(response.statusCode).toBe(404);
  });

  it('passes the query to the stream: 400 for _HLS_part without _HLS_msn', async () => {
    const response = await app.inject('/live/cam1/video.m3u8?_HLS_part=1');
    expect(response.statusCode).toBe(400);
    expect(response.headers['cache-control']).toMatch(/max-age=/);
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

  it('serves the hls.js player script bundled with the gateway', async () => {
    const response = await app.inject('/assets/hls.min.js');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/javascript/);
    expect(response.body.length).toBeGreaterThan(100_000);
  });
});
