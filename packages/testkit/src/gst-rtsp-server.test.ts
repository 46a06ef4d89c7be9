import { createConnection } from 'node:net';
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

/** 16 KiB: far above a 401 answer; a peer sending more without a blank line is broken. */
const MAX_HEAD = 16 * 1024;

/** The head of the server's answer to an unauthenticated DESCRIBE. */
async function describeHead(port: number, path: string): Promise<string> {
  const socket = createConnection({ host: '127.0.0.1', port });
  try {
    return await new Promise<string>((resolve, reject) => {
      let buffered = '';
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`no answer head: ${JSON.stringify(buffered)}`)));
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        const end = buffered.indexOf('\r\n\r\n');
        if (end >= 0) resolve(buffered.slice(0, end));
        else if (buffered.length > MAX_HEAD) reject(new Error('answer head too large'));
      });
      socket.write(`DESCRIBE rtsp://127.0.0.1:${port}/${path} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: camgate-test\r\n\r\n`);
    });
  } finally {
    socket.destroy();
  }
}

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

  it('serves two H.264 mounts behind Digest auth only: 401 without or with wrong credentials', async (ctx) => {
    const { ffprobe } = requireTools(ctx, 'gst-rtsp-server', 'ffprobe');
    for (const path of ['cam1', 'cam2'] as const) {
      const withCredentials = await probe(ffprobe, server!.digestUrl(path));
      expect([path, withCredentials.code, withCredentials.streams]).toEqual([path, 0, [H264_320X240]]);
    }
    for (const url of [
      server!.digestUrl('cam1', null),
      server!.digestUrl('cam2', { user: 'camgate', password: 'wrong' }),
    ]) {
      const denied = await probe(ffprobe, url);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('401 Unauthorized');
    }
    // Digest is the only scheme offered: a client cannot fall back to Basic.
    const head = await describeHead(server!.digestPort, 'cam1');
    expect(head).toMatch(/^RTSP\/1\.0 401 /);
    const challenges = head.split('\r\n').filter((line) => /^www-authenticate:/i.test(line));
    expect(challenges).toHaveLength(1);
    expect(challenges[0]).toMatch(/^www-authenticate:\s*digest /i);
    expect(server!.digestPort).not.toBe(server!.authPort);
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
