import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer, loadClip } from '@camgate/camsim';
import { flacFrameBlockSize, linearToUlaw, ULAW_TO_LINEAR } from '@camgate/codecs';
import { HlsStream } from '@camgate/hls';
import { checkMultivariantPlaylist, openSegment } from '@camgate/hls/testing';
import { RtspSession } from '@camgate/rtsp';
import { requireTools, runProcess, startGstRtspServer } from '@camgate/testkit';
import { createFile, Log, MP4BoxBuffer, type Sample } from 'mp4box';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionBridge } from './session-bridge.js';

/** Real time: two complete 1 s segments of the simulated camera take about 3 s. */
const TIMEOUT_MS = 30_000;
/** Rendition samples looked up in the camera's own decoding to line the two up: 20 ms. */
const ALIGN_SAMPLES = 160;

/** The complaint mp4box 2.4.1 makes about every dfLa box (packages/fmp4/src/flac-audio.test.ts pins it). */
const MP4BOX_DFLA_BUG =
  "BoxParser: Parsing of box 'dfLa' read 38 more bytes than the indicated box data size, seeking backwards";

interface Published {
  multivariant: string;
  playlists: Record<string, string>;
  init: Uint8Array;
  /** The audio rendition's complete segments, in order. */
  segments: Uint8Array[];
}

/** Pulls the camera mount into a packager until the audio playlist lists `segments` complete segments. */
async function publish(camera: { url(mount: string): string }, mount: string, segments: number): Promise<Published> {
  const stream = new HlsStream({ partDurationMs: 200, segmentDurationMs: 1000, readyTimeoutMs: TIMEOUT_MS });
  const bridge = new SessionBridge(stream);
  const session = new RtspSession({ url: camera.url(mount), transport: 'tcp' });
  const text = async (name: string, query: Record<string, string> = {}): Promise<string> => {
    const response = await stream.handle(name, new URLSearchParams(query));
    expect(response.status, name).toBe(200);
    return response.body as string;
  };
  const bytes = async (name: string): Promise<Uint8Array> => {
    const response = await stream.handle(name);
    expect(response.status, name).toBe(200);
    const body = response.body;
    return Array.isArray(body) ? Buffer.concat(body as Uint8Array[]) : (body as Uint8Array);
  };
  try {
    bridge.attach(session);
    await session.connect();
    expect(await stream.whenReady()).toBe(true);
    let audio = await text('audio.m3u8');
    const complete = (playlist: string) => playlist.split('\n').filter((l) => /^audio-\d+\.m4s$/.test(l));
    // Blocking reloads (one per segment) until enough segments are complete.
    for (let i = 0; i < 20 && complete(audio).length < segments; i++) {
      audio = await text('audio.m3u8', { _HLS_msn: String(openSegment(audio).msn) });
    }
    expect(complete(audio).length).toBeGreaterThanOrEqual(segments);
    const playlists = { 'video.m3u8': await text('video.m3u8'), 'audio.m3u8': audio };
    const initUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(audio)?.[1] ?? '';
    return {
      multivariant: await text('index.m3u8'),
      playlists,
      init: await bytes(initUri),
      segments: await Promise.all(complete(audio).map(bytes)),
    };
  } finally {
    bridge.detach();
    await session.close();
    stream.close();
  }
}

/** mp4box's reading of a fLaC init segment and its fragments: problems, track codec and samples. */
function readWithMp4box(init: Uint8Array, fragments: readonly Uint8Array[]) {
  const problems: string[] = [];
  const samples: Sample[] = [];
  const file = createFile(true);
  file.onError = (module, message) => problems.push(`${module}: ${message}`);
  file.onReady = (info) => {
    for (const track of info.tracks) file.setExtractionOptions(track.id, undefined, { nbSamples: 1e9 });
    file.start();
  };
  file.onSamples = (_id, _user, raw) => samples.push(...raw);
  const saved = { ...Log };
  Log.warn = (module: string, message?: string) => problems.push(`${module}: ${message ?? ''}`);
  Log.error = (module: string, message?: string) => problems.push(`${module}: ${message ?? ''}`);
  try {
    let fileStart = 0;
    for (const part of [init, ...fragments]) {
      file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(new Uint8Array(part).buffer, fileStart));
      fileStart += part.length;
    }
    file.flush();
  } finally {
    Object.assign(Log, saved);
  }
  return { problems, codecs: file.getInfo().tracks.map((t) => t.codec), samples };
}

describe('G.711 and L16 cameras as a FLAC rendition, checked by real peers', () => {
  let dir = '';
  let camera: CamsimServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-g711-flac-'));
    camera = await CamsimServer.start({
      streams: { '/h264-pcma': 'h264-pcma', '/h264-pcmu': 'h264-pcmu', '/h264-l16': 'h264-l16' },
    });
  });
  afterAll(async () => {
    await camera.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.for<{ law: string; clip: 'h264-pcma' | 'h264-pcmu' | 'h264-l16'; ffmpegFormat: string }>([
    { law: 'pcma', clip: 'h264-pcma', ffmpegFormat: 'alaw' },
    { law: 'pcmu', clip: 'h264-pcmu', ffmpegFormat: 'mulaw' },
    { law: 'l16', clip: 'h264-l16', ffmpegFormat: 's16be' },
  ])(
    '$law: ffmpeg decodes the rendition bit-exact to its own decoding of the camera audio; mp4box and the playlist rules agree',
    { timeout: TIMEOUT_MS },
    async ({ law, clip, ffmpegFormat }, ctx) => {
      const { ffmpeg } = requireTools(ctx, 'ffmpeg');
      const published = await publish(camera, `/${clip}`, 2);

      // (d) The playlist rule checker, over the multivariant playlist and both media playlists.
      expect(published.multivariant).toMatch(/CODECS="avc1\.\w+,fLaC"/);
      // `min-segments`: a stream seconds old cannot list the six segments Apple asks for yet.
      const rules = { mediaPlaylists: published.playlists, allow: ['min-segments'] };
      expect(checkMultivariantPlaylist(published.multivariant, rules)).toEqual([]);

      // (c) mp4box: the one known dfLa complaint, then the fLaC track and every FLAC frame as a sample
      // lasting exactly its block size (the packager's durations match the frames).
      const read = readWithMp4box(published.init, published.segments);
      expect(read.problems).toEqual([MP4BOX_DFLA_BUG]);
      expect(read.codecs).toEqual(['fLaC']);
      expect(read.samples.length).toBeGreaterThan(50);
      const wrong = read.samples.filter((s) => flacFrameBlockSize(s.data as Uint8Array) !== s.duration);
      expect(wrong.map((s) => [s.number, s.duration])).toEqual([]);

      // (b) ffmpeg decodes init + segments; the camera's G.711 decoded by ffmpeg holds the same samples.
      const rendition = join(dir, `${law}.mp4`);
      await writeFile(rendition, Buffer.concat([published.init, ...published.segments]));
      const decoded = join(dir, `${law}.s16le`);
      const run = await runProcess(ffmpeg, ['-v', 'error', '-xerror', '-i', rendition, '-f', 's16le', '-y', decoded]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const audio = (await loadClip(clip)).tracks[1]!;
      // Two loops of the clip: the rendition may run across the loop point.
      const source = join(dir, `${law}.g711`);
      const loop = Buffer.concat(audio.frames.map((f) => f.data));
      await writeFile(source, Buffer.concat([loop, loop]));
      const reference = join(dir, `${law}-reference.s16le`);
      const ref = await runProcess(ffmpeg, [
        ...['-v', 'error', '-f', ffmpegFormat, '-ar', '8000', '-ac', '1', '-i', source],
        ...['-f', 's16le', '-y', reference],
      ]);
      expect(ref.code).toBe(0);
      const got = await readFile(decoded);
      const want = await readFile(reference);
      const totalDuration = read.samples.reduce((sum, s) => sum + s.duration, 0);
      expect(got.length).toBe(2 * totalDuration);
      const at = want.indexOf(got.subarray(0, 2 * ALIGN_SAMPLES));
      expect(at, 'the first rendition samples are in the camera audio').toBeGreaterThanOrEqual(0);
      expect(at % 2).toBe(0);
      expect(got.equals(want.subarray(at, at + got.length))).toBe(true);
      const summary = `${law}: ${got.length / 2} samples in ${read.samples.length} FLAC frames, bit-exact`;
      await ctx.annotate(summary);
      process.stdout.write(`FLAC rendition: ${summary}\n`);
    },
  );

  it(
    "PCMU from GStreamer's RTSP server (a real peer): ffmpeg decodes its 440 Hz tone from the FLAC rendition, every sample a µ-law value",
    { timeout: TIMEOUT_MS },
    async (ctx) => {
      const { ffmpeg } = requireTools(ctx, 'ffmpeg', 'gst-rtsp-server');
      const gst = await startGstRtspServer();
      try {
        const published = await publish({ url: () => gst.url('h264pcmu') }, '', 2);
        expect(published.multivariant).toMatch(/CODECS="avc1\.\w+,fLaC"/);
        const rendition = join(dir, 'gst-pcmu.mp4');
        await writeFile(rendition, Buffer.concat([published.init, ...published.segments]));
        const decoded = join(dir, 'gst-pcmu.s16le');
        const run = await runProcess(ffmpeg, ['-v', 'error', '-xerror', '-i', rendition, '-f', 's16le', '-y', decoded]);
        expect(run.code).toBe(0);
        const bytes = await readFile(decoded);
        const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
        expect(samples.length).toBeGreaterThan(8000);
        // Lossless: each sample is one of the 256 values a µ-law code expands to.
        const notUlaw = samples.filter((s) => ULAW_TO_LINEAR[linearToUlaw(s)] !== s);
        expect(notUlaw.length).toBe(0);
        // The tone: 880 zero crossings a second (440 Hz), within 2 %.
        let crossings = 0;
        for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
        const hz = crossings / 2 / (samples.length / 8000);
        expect(Math.abs(hz - 440)).toBeLessThan(9);
        await ctx.annotate(`GStreamer PCMU: ${samples.length} samples, a ${hz.toFixed(1)} Hz tone`);
      } finally {
        await gst.close();
      }
    },
  );
});
