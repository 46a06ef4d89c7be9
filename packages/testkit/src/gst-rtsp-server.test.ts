import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGstRtspServer, type GstRtspServer } from './gst-rtsp-server.js';
import { hasTools, requireTools } from './interop.js';
import { runProcess } from './run-process.js';

interface ProbedStream {
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
}

/** ffprobe's view of an RTSP URL. */
async function probe(
  ffprobe: string,
  url: string,
): Promise<{ code: number | null; streams: ProbedStream[]; stderr: string }> {
  const result = await runProcess(
    ffprobe,
    [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-show_entries',
      'stream=codec_name,width,height,sample_rate',
      '-of',
      'json',
      url,
    ],
    { timeoutMs: 30_000 },
  );
  const streams = result.code === 0 ? (JSON.parse(result.stdout) as { streams: ProbedStream[] }).streams : [];
  return { code: result.code, streams, stderr: result.stderr };
}

const H264_320X240 = { codec_name: 'h264', width: 320, height: 240 };

describe('GStreamer RTSP server fixture', () => {
  let server: GstRtspServer | undefined;

  beforeAll(async () => {
    if (hasTools('gst-rtsp-server', 'ffprobe')) server = await startGstRtspServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves H.264 + AAC', async (ctx) => {
    const { ffprobe } = requireTools(ctx, 'gst-rtsp-server', 'ffprobe');
    const { code, streams } = await probe(ffprobe, server!.url('h264aac'));
    expect(code).toBe(0);
    expect(streams).toEqual([H264_320X240, { codec_name: 'aac', sample_rate: '48000' }]);
  });

  it('serves H.265', async (ctx) => {
    const { ffprobe } = requireTools(ctx, 'gst-rtsp-server', 'ffprobe');
    const { code, streams } = await probe(ffprobe, server!.url('h265'));
    expect(code).toBe(0);
    expect(streams).toEqual([{ codec_name: 'hevc', width: 320, height: 240 }]);
  });

  it('serves H.264 behind Basic auth: 401 without or with wrong credentials', async (ctx) => {
    const { ffprobe } = requireTools(ctx, 'gst-rtsp-server', 'ffprobe');
    const withCredentials = await probe(ffprobe, server!.authUrl());
    expect(withCredentials.code).toBe(0);
    expect(withCredentials.streams).toEqual([H264_320X240]);

    for (const url of [server!.authUrl(null), server!.authUrl({ user: 'camgate', password: 'wrong' })]) {
      const denied = await probe(ffprobe, url);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('401 Unauthorized');
    }
  });

  it('stops its process on close', async (ctx) => {
    const { ffprobe } = requireTools(ctx, 'gst-rtsp-server', 'ffprobe');
    const other = await startGstRtspServer();
    await other.close();
    await other.close(); // idempotent
    const { code } = await probe(ffprobe, other.url('h264'));
    expect(code).not.toBe(0);
  });
});
