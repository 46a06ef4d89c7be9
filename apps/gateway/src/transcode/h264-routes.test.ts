import { HlsStream } from '@camgate/hls';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerLiveRoutes } from '../http/live-routes.js';

/** `/live/<id>/h264/<file>`: the stream's `h264/` variant answers, through the same route logic. */

const asked: string[] = [];
const stream = new HlsStream({
  extraVariants: () => [
    {
      path: 'h264',
      codec: 'avc1.64001e',
      bandwidth: 600_000,
      handle: (name) => {
        asked.push(name);
        // As VideoTranscoder answers while ffmpeg fails before its first parts.
        if (name === 'failing.m3u8') {
          return Promise.resolve({
            status: 503,
            headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=1', 'retry-after': '1' },
            body: 'ffmpeg was not found\n',
          });
        }
        return Promise.resolve({
          status: 200,
          headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-cache' },
          body: `#EXTM3U\n# ${name}\n`,
        });
      },
    },
  ],
});
const app = Fastify();
/** Snapshot requests answered (the camera's own `snapshot.jpg`). */
const snapshots: string[] = [];
registerLiveRoutes(app, (id) => (id === 'cam' ? stream : undefined), {
  snapshot: async (_request, reply, cameraId) => {
    snapshots.push(cameraId);
    await reply.code(200).type('image/jpeg').send(Buffer.from('jpeg'));
    return true;
  },
});
afterAll(async () => {
  stream.close();
  await app.close();
});

describe('H.264 variant routes', () => {
  it.each([
    ['/live/cam/h264/video.m3u8', 200, 'video.m3u8'],
    ['/live/cam/h264/standard-video.m3u8?x=1', 200, 'standard-video.m3u8'],
    ['/live/other/h264/video.m3u8', 404, undefined],
    // A public gateway refuses token paths (as for the main stream).
    ['/live/cam/t/a.b.c/h264/video.m3u8', 404, undefined],
    ['/live/cam/h264/..%2Fvideo.m3u8', 404, undefined],
  ])('%s: %i', async (url, status, name) => {
    asked.length = 0;
    const response = await app.inject(url);
    expect(response.statusCode).toBe(status);
    expect(asked).toEqual(name === undefined ? [] : [name]);
    if (status === 200) expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it.each([
    ['/live/cam/snapshot.jpg', 200, 1],
    // A variant's folder holds no snapshot: the stream's own answer (the variant's), never the picture.
    ['/live/cam/h264/snapshot.jpg', 200, 0],
  ])('%s: %i, snapshot handler asked %i time(s)', async (url, status, asked) => {
    snapshots.length = 0;
    const response = await app.inject(url);
    expect(response.statusCode).toBe(status);
    expect(snapshots).toHaveLength(asked);
    if (asked === 0) expect(response.headers['content-type']).not.toContain('image/jpeg');
  });

  it('a failing variant: 503 with its reason and Retry-After', async () => {
    const response = await app.inject('/live/cam/h264/failing.m3u8');
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({ code: 'CAMGATE_ERR_STREAM_UNAVAILABLE', detail: 'ffmpeg was not found' });
  });

  it('answers CORS preflights', async () => {
    const response = await app.inject({ method: 'OPTIONS', url: '/live/cam/h264/video.m3u8' });
    expect(response.statusCode).toBe(204);
  });
});
