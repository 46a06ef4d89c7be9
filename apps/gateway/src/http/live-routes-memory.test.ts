import { HlsStream } from '@camgate/hls';
import { videoTestStream } from '@camgate/testkit';
import { get as httpGet, type IncomingMessage } from 'node:http';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildServer } from './server.js';

/**
 * 80 KB frames at 25 fps (parts of 400 KB, carved from the stream's reused chunks), 4 s GOPs and
 * segments: a segment (8 MB) is more than loopback TCP buffers hold for a reader that reads nothing.
 */
const FRAME_BYTES = 80_000;
const FPS = 25;
const GOP = 4 * FPS;

describe('live routes: media memory the stream reuses', () => {
  it('a slow reader of a segment gets its exact bytes while the stream runs on and expires it', async () => {
    const video = videoTestStream('h264-high-bpyramid');
    if (video.config.kind !== 'video' || video.config.codec !== 'h264') throw new Error('H.264 vector expected');
    const live = new HlsStream({ startMsn: 1000, segmentDurationMs: 4000, segmentCount: 3 });
    live.setTrack({ kind: 'video', config: video.config, clockRate: 90_000, width: 640, height: 360, fps: FPS });
    // One frame buffer, overwritten for every frame (as the RTSP client reuses its memory).
    const data = new Uint8Array(FRAME_BYTES);
    let n = 0;
    const pushSeconds = (seconds: number) => {
      for (let i = 0; i < seconds * FPS; i++, n++) {
        const keyframe = n % GOP === 0;
        new DataView(data.buffer).setUint32(0, FRAME_BYTES - 4);
        data[4] = keyframe ? 0x65 : 0x41;
        data.fill(n & 0xff, 5);
        live.push({
          kind: 'video',
          dts: n * (90_000 / FPS),
          pts: n * (90_000 / FPS),
          keyframe,
          discontinuity: false,
          wallclock: Date.UTC(2026, 10, 24) + (n * 1000) / FPS,
          data,
        });
      }
    };
    pushSeconds(8.2);
    const segment = /^(video-\d+\.m4s)$/m.exec((await live.handle('video.m3u8')).body as string)?.[1] as string;
    const direct = await live.handle(segment);
    const expected = Buffer.concat(direct.body as readonly Uint8Array[]);
    direct.release?.();
    expect(expected.length).toBeGreaterThan(GOP * FRAME_BYTES);

    const server = buildServer({ logger: pino({ level: 'silent' }), live: () => live });
    try {
      const origin = await server.listen({ host: '127.0.0.1', port: 0 });
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const request = httpGet(`${origin}/live/cam1/${segment}`, (res) => {
          res.pause();
          resolve(res);
        });
        request.on('error', reject);
      });
      expect(response.statusCode).toBe(200);
      // The stream runs on while the reader reads nothing: the segment leaves the playlist, expires
      // (media time), and its memory would be reused many times over.
      pushSeconds(40);
      expect((await live.handle(segment)).status).toBe(404);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = new Promise((resolve) => response.once('end', resolve));
      response.resume();
      await ended;
      const received = Buffer.concat(chunks);
      expect(received.length).toBe(expected.length);
      expect(received.equals(expected)).toBe(true);
    } finally {
      await server.close();
      live.close();
    }
    // Every lease was released: with the stream closed, nothing is reserved any more.
    await expect.poll(() => live.stats.bytesReserved).toBe(0);
  });
});
