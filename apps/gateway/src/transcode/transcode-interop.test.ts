import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import { checkMultivariantPlaylist } from '@camgate/hls/testing';
import { requireTools } from '@camgate/testkit';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraPipeline } from '../cameras/camera-pipeline.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { registerLiveRoutes } from '../http/live-routes.js';

/**
 * The H.264 variant of the simulated H.265 camera (640x360, 25 fps, 1 s GOP), served over HTTP as
 * players get it, read by ffprobe and checked against the original's timeline.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(ffmpeg: string, idleMs = 60_000) {
  return gatewayWith(new FfmpegBinary(ffmpeg), idleMs);
}

async function gatewayWith(binary: FfmpegBinary, idleMs = 60_000) {
  const camera = await CamsimServer.start();
  cleanups.push(() => camera.close());
  const pipeline = new CameraPipeline(
    'cam',
    {
      url: camera.url('/h265-aac'),
      transport: 'tcp',
      onDemand: false,
      audio: 'auto',
      enabled: true,
      transcode: 'h264',
    },
    {
      hls: { segmentDurationMs: 1000 },
      transcode: { ffmpeg: binary, idleMs, backoff: { initialMs: 200, maxMs: 1000 } },
    },
  );
  cleanups.push(() => pipeline.close());
  const app = Fastify();
  registerLiveRoutes(app, (id, viewer) => (id === 'cam' ? pipeline.touch(viewer) : undefined));
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  const get = async (path: string) => {
    const res = await fetch(`${origin}/live/cam/${path}`);
    return { status: res.status, text: res.ok ? '' : await res.text(), bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const text = async (path: string) => {
    const res = await fetch(`${origin}/live/cam/${path}`);
    expect(res.status, `${path}: ${res.status}`).toBe(200);
    return res.text();
  };
  return { pipeline, get, text, origin };
}

/** The init segment and complete segments a media playlist lists (URIs relative to it). */
function listed(playlist: string): { map: string; segments: string[] } {
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1] ?? '';
  const segments = playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return { map, segments };
}

interface ProbedFrame {
  pts: number;
  key: boolean;
}

/** ffprobe's reading of an init segment followed by segments: codec, picture size and frame times (90 kHz). */
function probe(
  ffprobe: string,
  bytes: Uint8Array[],
): { codec: string; width: number; height: number; frames: ProbedFrame[] } {
  const dir = mkdtempSync(join(tmpdir(), 'camgate-transcode-'));
  try {
    const file = join(dir, 'media.mp4');
    writeFileSync(file, Buffer.concat(bytes));
    const run = spawnSync(
      ffprobe,
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,width,height:frame=pts,key_frame',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as {
      streams: Array<{ codec_name: string; width: number; height: number }>;
      frames: Array<{ pts: number; key_frame: number }>;
    };
    const stream = json.streams[0];
    if (stream === undefined) throw new Error('no video stream');
    return {
      codec: stream.codec_name,
      width: stream.width,
      height: stream.height,
      frames: json.frames.map((f) => ({ pts: f.pts, key: f.key_frame === 1 })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('H.264 transcoding (camsim /h265-aac)', () => {
  it('serves the H.264 variant beside the H.265 original, on the same timeline, decodable by ffprobe', async (ctx) => {
    const { ffmpeg, ffprobe } = requireTools(ctx, 'ffmpeg', 'ffprobe');
    const { pipeline, text, get } = await gateway(ffmpeg);

    const multivariant = await text('index.m3u8');
    const variants = multivariant.split('\n').filter((line) => line.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants).toHaveLength(2);
    expect(variants[0]).toMatch(/CODECS="hvc1\.[^"]+,mp4a\.40\.2"/);
    // 640x360 at 25 fps: level 3.0, High profile.
    expect(variants[1]).toContain('CODECS="avc1.64001e,mp4a.40.2"');
    expect(variants[1]).toContain('RESOLUTION=640x360');
    expect(variants[1]).toContain('AUDIO="audio"');
    expect(multivariant).toContain('\nh264/video.m3u8\n');
    // Listed while nothing runs: only a request for the variant starts ffmpeg.
    expect(pipeline.status().transcode?.state).toBe('idle');

    // The first request waits until the variant has parts, like an on-demand camera's.
    const h264Playlist = await text('h264/video.m3u8');
    expect(pipeline.status().transcode?.state).toBe('running');
    // Three complete segments of each, to compare.
    const deadline = Date.now() + 20_000;
    let h264 = listed(h264Playlist);
    while (h264.segments.length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      h264 = listed(await text('h264/video.m3u8'));
    }
    expect(h264.segments.length).toBeGreaterThanOrEqual(3);
    const main = listed(await text('video.m3u8'));
    const fetchAll = async (prefix: string, files: string[]) =>
      Promise.all(files.map(async (f) => (await get(prefix + f)).bytes));

    const transcoded = probe(ffprobe, await fetchAll('h264/', [h264.map, ...h264.segments.slice(-3)]));
    const original = probe(ffprobe, await fetchAll('', [main.map, ...main.segments.slice(-5)]));
    expect([transcoded.codec, transcoded.width, transcoded.height]).toEqual(['h264', 640, 360]);
    expect(original.codec).toBe('hevc');
    // Continuous: one frame every 40 ms (3600 ticks). ffmpeg may drop a frame of the first GOP it
    // is given (timestamp-pairing.ts): one gap of one frame, before a keyframe, at most.
    const steps = transcoded.frames
      .slice(1)
      .map((f, i) => ({ step: f.pts - (transcoded.frames[i]?.pts ?? 0), key: f.key }));
    expect(Math.min(...steps.map((s) => s.step))).toBeGreaterThan(3000);
    const gaps = steps.filter((s) => s.step > 4200);
    expect(gaps.length).toBeLessThanOrEqual(1);
    for (const gap of gaps) expect([gap.step, gap.key]).toEqual([7200, true]);
    // The same timeline: every transcoded frame within the original's segments has the time of an original frame.
    const times = original.frames.map((f) => f.pts);
    const overlap = transcoded.frames.filter((f) => f.pts >= (times[0] ?? 0) && f.pts <= (times.at(-1) ?? 0));
    expect(overlap.length).toBeGreaterThan(25);
    for (const frame of overlap) expect(Math.min(...times.map((t) => Math.abs(t - frame.pts)))).toBeLessThanOrEqual(90);
    // Keyframes where the original has them.
    const originalKeys = new Set(original.frames.filter((f) => f.key).map((f) => f.pts));
    for (const frame of overlap.filter((f) => f.key))
      expect([...originalKeys].some((t) => Math.abs(t - frame.pts) <= 90)).toBe(true);

    // The playlists together pass the rule checker.
    const mediaPlaylists = {
      'video.m3u8': await text('video.m3u8'),
      'audio.m3u8': await text('audio.m3u8'),
      'h264/video.m3u8': await text('h264/video.m3u8'),
    };
    const violations = checkMultivariantPlaylist(await text('index.m3u8'), { mediaPlaylists });
    expect(violations.filter((v) => v.level === 'must')).toEqual([]);
    const status = pipeline.status().transcode;
    expect(status?.codecString).toBe('avc1.64001e');
    expect(status?.framesOut).toBeGreaterThan(50);
    process.stdout.write(
      `transcode: ${status?.framesOut} frames out, ${status?.framesDropped} dropped, CPU ${status?.cpuPercent}%; ` +
        `rule notes: ${violations.map((v) => v.rule).join(', ') || 'none'}\n`,
    );
  }, 60_000);

  it('stops ffmpeg after the idle time without requests for the variant', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const { pipeline, text } = await gateway(ffmpeg, 1500);
    await text('h264/video.m3u8');
    const pid = pipeline.transcoder?.pid;
    expect(pid).toBeDefined();
    const deadline = Date.now() + 10_000;
    while (pipeline.status().transcode?.state !== 'idle' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pipeline.status().transcode?.state).toBe('idle');
    // The process is gone (signal 0 only checks it exists).
    expect(() => process.kill(pid as number, 0)).toThrow();
    // The main stream went on.
    expect(pipeline.state).toBe('streaming');
  }, 30_000);

  it('restarts a crashed ffmpeg with backoff and says why meanwhile', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const { pipeline, text } = await gateway(ffmpeg);
    await text('h264/video.m3u8');
    const first = pipeline.transcoder?.pid;
    expect(first).toBeDefined();
    process.kill(first as number, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const status = pipeline.status().transcode;
      if (status?.state === 'running' && pipeline.transcoder?.pid !== first) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const status = pipeline.status().transcode;
    expect(status?.state).toBe('running');
    expect(pipeline.transcoder?.pid).not.toBe(first);
    expect(status?.lastError).toMatchObject({
      code: 'CAMGATE_ERR_TRANSCODE_FAILED',
      message: expect.stringContaining('SIGKILL'),
    });
    // The variant goes on: its playlist still answers.
    expect(await text('h264/video.m3u8')).toContain('#EXT-X-PART');
  }, 40_000);

  it('without ffmpeg: the main stream plays, the transcoder says FFMPEG_NOT_FOUND', async () => {
    const { pipeline, origin } = await gatewayWith(new FfmpegBinary('/nonexistent/ffmpeg'));
    const leave = new AbortController();
    const held = fetch(`${origin}/live/cam/h264/video.m3u8`, { signal: leave.signal }).catch(() => undefined);
    const deadline = Date.now() + 15_000;
    while ((pipeline.status().transcode?.lastError ?? null) === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    leave.abort();
    await held;
    expect(pipeline.status().transcode).toMatchObject({
      state: 'failed',
      lastError: { code: 'CAMGATE_ERR_FFMPEG_NOT_FOUND' },
    });
    expect(pipeline.state).toBe('streaming');
  }, 30_000);
});
