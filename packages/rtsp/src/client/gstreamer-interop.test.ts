import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTools, requireTools, runProcess, startGstRtspServer, type GstRtspServer } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import type { Frame } from './frame.js';
import type { SessionLogger } from './logger.js';
import { RtspSession, type TransportMode } from './rtsp-session.js';

/** Length-prefixed access units -> an Annex-B elementary stream (what ffmpeg reads as raw h264/hevc). */
function annexB(frames: readonly Frame[]): Buffer {
  const parts: Buffer[] = [];
  for (const frame of frames) {
    const view = new DataView(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
    for (let at = 0; at + 4 <= frame.data.length;) {
      const size = view.getUint32(at);
      parts.push(Buffer.from([0, 0, 0, 1]), Buffer.from(frame.data.subarray(at + 4, at + 4 + size)));
      at += 4 + size;
    }
  }
  return Buffer.concat(parts);
}

/** Raw AAC access units -> ADTS (ISO/IEC 14496-3 §1.A.2), from the stream's AudioSpecificConfig. */
function adts(frames: readonly Frame[], asc: Uint8Array): Buffer {
  const objectType = (asc[0] as number) >> 3;
  const frequencyIndex = (((asc[0] as number) & 0x07) << 1) | ((asc[1] as number) >> 7);
  const channels = ((asc[1] as number) >> 3) & 0x0f;
  return Buffer.concat(
    frames.map((f) => {
      const length = f.data.length + 7;
      const header = Buffer.from([
        0xff,
        0xf1,
        ((objectType - 1) << 6) | (frequencyIndex << 2) | (channels >> 2),
        ((channels & 3) << 6) | (length >> 11),
        (length >> 3) & 0xff,
        ((length & 7) << 5) | 0x1f,
        0xfc,
      ]);
      return Buffer.concat([header, f.data]);
    }),
  );
}

/** ffmpeg decodes the file with every error fatal; returns ffmpeg's exit code, stderr and frame count. */
async function decode(
  ffmpeg: string,
  file: string,
  format: string,
): Promise<{ code: number | null; stderr: string; frames: number }> {
  const result = await runProcess(
    ffmpeg,
    ['-v', 'error', '-err_detect', 'explode', '-xerror', '-f', format, '-i', file, '-f', 'framemd5', '-'],
    { timeoutMs: 60_000 },
  );
  const frames = result.stdout.split('\n').filter((line) => /^\d+,/.test(line)).length;
  return { code: result.code, stderr: result.stderr, frames };
}

async function receive(
  url: string,
  transport: TransportMode,
  videoFrames: number,
  logger?: SessionLogger,
): Promise<{ session: RtspSession; frames: Frame[] }> {
  const session = new RtspSession({ url, transport, ...(logger === undefined ? {} : { logger }) });
  const frames: Frame[] = [];
  const enough = new Promise<void>((resolve) => {
    session.on('frame', (frame) => {
      // Frame contract: data is valid only during the listener.
      frames.push({ ...frame, data: new Uint8Array(frame.data) });
      if (frames.filter((f) => f.trackId === 0).length >= videoFrames) resolve();
    });
  });
  await session.connect();
  await enough;
  await session.close();
  return { session, frames };
}

describe('RTSP client vs GStreamer RTSP server (interop)', () => {
  let server: GstRtspServer | undefined;
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-gst-'));
    if (hasTools('gst-rtsp-server', 'ffmpeg')) server = await startGstRtspServer({ gop: 25 });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const transport of ['tcp', 'udp'] as const) {
    it(`H.264 + AAC over ${transport}: ffmpeg decodes every frame with zero errors`, async (ctx) => {
      const { ffmpeg } = requireTools(ctx, 'gst-rtsp-server', 'ffmpeg');
      const { session, frames } = await receive(server!.url('h264aac'), transport, 60);
      expect(session.transport).toBe(transport);
      const [video, audio] = session.tracks;
      expect(video).toMatchObject({ codec: 'h264', codecString: 'avc1.42c014', width: 320, height: 240 });
      expect(audio).toMatchObject({ codec: 'aac', codecString: 'mp4a.40.2', sampleRate: 48_000, channels: 2 });

      const videoFrames = frames.filter((f) => f.trackId === 0);
      expect(videoFrames[0]?.keyframe).toBe(true);
      await writeFile(join(dir, `h264-${transport}.h264`), annexB(videoFrames));
      const v = await decode(ffmpeg, join(dir, `h264-${transport}.h264`), 'h264');
      expect([v.code, v.stderr]).toEqual([0, '']);
      expect(v.frames).toBe(videoFrames.length);

      const audioFrames = frames.filter((f) => f.trackId === 1);
      await writeFile(join(dir, `aac-${transport}.aac`), adts(audioFrames, audio!.config.audioSpecificConfig!));
      const a = await decode(ffmpeg, join(dir, `aac-${transport}.aac`), 'aac');
      expect([a.code, a.stderr]).toEqual([0, '']);
      expect(a.frames).toBe(audioFrames.length);
      expect(session.stats.lost).toBe(0);
    }, 60_000);

    it(`H.265 over ${transport}: ffmpeg decodes every frame with zero errors`, async (ctx) => {
      const { ffmpeg } = requireTools(ctx, 'gst-rtsp-server', 'ffmpeg');
      const { session, frames } = await receive(server!.url('h265'), transport, 60);
      expect(session.tracks[0]).toMatchObject({ codec: 'h265', width: 320, height: 240 });
      expect(session.tracks[0]?.codecString).toBe('hvc1.1.6.L60.90');
      await writeFile(join(dir, `h265-${transport}.h265`), annexB(frames));
      const v = await decode(ffmpeg, join(dir, `h265-${transport}.h265`), 'hevc');
      expect([v.code, v.stderr]).toEqual([0, '']);
      expect(v.frames).toBe(frames.length);
    }, 60_000);
  }

  it('H.264 behind Basic auth: plays with the password, coded errors without or with a wrong one', async (ctx) => {
    requireTools(ctx, 'gst-rtsp-server', 'ffmpeg');
    const { session } = await receive(server!.authUrl(), 'auto', 10);
    expect(session.tracks[0]?.codec).toBe('h264');

    const missing = new RtspSession({ url: server!.authUrl(null) });
    await expect(missing.connect()).rejects.toMatchObject({ code: RtspErrorCode.AUTH_REQUIRED });
    const wrong = new RtspSession({ url: server!.authUrl({ user: 'camgate', password: 'wrong' }) });
    const error = await wrong.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: RtspErrorCode.AUTH_FAILED });
    expect(error?.message).not.toContain('wrong');
  }, 60_000);

  it('H.264 behind Digest auth only: both mounts play with the password, coded errors without or with a wrong one', async (ctx) => {
    requireTools(ctx, 'gst-rtsp-server', 'ffmpeg');
    for (const path of ['cam1', 'cam2'] as const) {
      const schemes: unknown[] = [];
      const logger: SessionLogger = {
        debug: (fields) => schemes.push((fields as { scheme?: unknown }).scheme),
        info: () => undefined,
        warn: () => undefined,
      };
      const { session } = await receive(server!.digestUrl(path), 'tcp', 10, logger);
      expect([path, session.tracks[0]?.codec]).toEqual([path, 'h264']);
      expect(schemes).toContain('Digest MD5');
    }

    const missing = new RtspSession({ url: server!.digestUrl('cam1', null) });
    await expect(missing.connect()).rejects.toMatchObject({ code: RtspErrorCode.AUTH_REQUIRED });
    const wrong = new RtspSession({ url: server!.digestUrl('cam2', { user: 'camgate', password: 'canary-Wr0ng' }) });
    const error = await wrong.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: RtspErrorCode.AUTH_FAILED });
    expect(error?.message).not.toContain('canary-Wr0ng');
  }, 60_000);
});
