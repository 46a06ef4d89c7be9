import { joinLengthPrefixed } from '@camgate/codecs';
import { HlsStream, type HlsFrame, type HlsTrack } from '@camgate/hls';
import { requireTools } from '@camgate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { ALREADY_H264_NOTE, VideoTranscoder, type TranscodeSource } from './video-transcoder.js';

/**
 * VideoTranscoder's bookkeeping around ffmpeg, with a real HlsStream as the camera's main stream:
 * which variant is listed and how it is priced, discontinuity numbers that follow the main
 * stream's, answers while ffmpeg fails, stop() racing a new request, counters that never go back.
 * What ffmpeg turns out is transcode-interop.test.ts's.
 */

/** SPS/PPS of a real x264 stream (Main, 320x240; packages/hls/src/test-frames.ts). */
const SPS = Buffer.from('674d400de880a0fd80880000030008000003019078a14890', 'hex');
const PPS = Buffer.from('68ebe0e4b2', 'hex');
const VIDEO: HlsTrack = {
  kind: 'video',
  config: { kind: 'video', codec: 'h264', sps: SPS, pps: PPS },
  clockRate: 90_000,
  width: 320,
  height: 240,
  fps: 25,
};
const audioTrack = (asc: Uint8Array): HlsTrack => ({
  kind: 'audio',
  config: { kind: 'audio', codec: 'aac', audioSpecificConfig: asc },
  clockRate: 48_000,
  sampleRate: 48_000,
  channels: 2,
});
/** AAC-LC 48 kHz stereo, and the same with 44.1 kHz signalled: another configuration (a discontinuity). */
const ASC = Uint8Array.of(0x11, 0x90);
const OTHER_ASC = Uint8Array.of(0x12, 0x10);
const WALLCLOCK = Date.UTC(2026, 11, 6, 5, 0, 0);

/** `seconds` of 25 fps video (a keyframe each second) from `start` s, with AAC frames, in time order. */
function frames(start: number, seconds: number, options: { audio?: boolean; bytes?: number } = {}): HlsFrame[] {
  const out: Array<HlsFrame & { time: number }> = [];
  for (let i = 0; i < seconds * 25; i++) {
    const key = i % 25 === 0;
    const dts = Math.round((start + i / 25) * 90_000);
    const slice = new Uint8Array(options.bytes ?? 5).fill(0x10);
    slice.set([key ? 0x65 : 0x41, 0x88, i & 0xff]);
    const nals = key ? [SPS, PPS, slice] : [slice];
    const data = joinLengthPrefixed(nals);
    const wallclock = WALLCLOCK + (dts / 90_000) * 1000;
    out.push({
      kind: 'video',
      dts,
      pts: dts,
      keyframe: key,
      discontinuity: false,
      wallclock,
      data,
      time: dts / 90_000,
    });
  }
  if (options.audio !== false) {
    for (let i = 0; i * 1024 < seconds * 48_000; i++) {
      const dts = Math.round(start * 48_000) + i * 1024;
      const data = new Uint8Array(200).fill(0x21);
      const wallclock = WALLCLOCK + (dts / 48_000) * 1000;
      out.push({
        kind: 'audio',
        dts,
        pts: dts,
        keyframe: true,
        discontinuity: false,
        wallclock,
        data,
        time: dts / 48_000,
      });
    }
  }
  return out.sort((a, b) => a.time - b.time).map(({ time: _, ...frame }) => frame);
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const H265_SOURCE: TranscodeSource = { codec: 'h265', width: 320, height: 240, fps: 25 };

/** A started main stream and a transcoder of it (ffmpeg at `ffmpegPath`, none by default). */
function setup(options: { source?: TranscodeSource; ffmpegPath?: string } = {}) {
  const source = options.source ?? H265_SOURCE;
  const ffmpeg = new FfmpegBinary(options.ffmpegPath ?? '/nonexistent/ffmpeg');
  const listed = { transcoder: undefined as VideoTranscoder | undefined };
  const main = new HlsStream({ segmentDurationMs: 1000, extraVariants: () => listed.transcoder?.variants() ?? [] });
  main.setTrack(VIDEO);
  main.setTrack(audioTrack(ASC));
  const transcoder = new VideoTranscoder(
    () => main,
    () => source,
    { ffmpeg, hls: { segmentDurationMs: 1000 }, backoff: { initialMs: 60_000, maxMs: 60_000 } },
  );
  listed.transcoder = transcoder;
  const t = transcoder;
  cleanups.push(async () => {
    await t.close();
    main.close();
  });
  /** Frames into the main stream, and its video on to the transcoder (as camera-pipeline.ts does). */
  const feed = (list: HlsFrame[]) => {
    for (const frame of list) {
      main.push(frame);
      if (frame.kind === 'video') t.push(frame);
    }
  };
  return { main, transcoder: t, ffmpeg, feed };
}

const discontinuityOf = (playlist: string) => Number(/#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? 0);
/** Discontinuity number of the last segment listed (the sequence plus the tags after it). */
const lastDiscontinuity = (playlist: string) =>
  discontinuityOf(playlist) + playlist.split('\n').filter((line) => line === '#EXT-X-DISCONTINUITY').length;

describe('VideoTranscoder', () => {
  it.for([
    { codec: 'h265' as const, variants: 1, codecString: 'avc1.64001e', note: undefined },
    // A camera sending H.264 already: no second avc1 variant for hls.js to switch to and fro.
    { codec: 'h264' as const, variants: 0, codecString: null, note: ALREADY_H264_NOTE },
  ])('an $codec camera: $variants H.264 variant(s) listed', async ({ codec, variants, codecString, note }) => {
    const { main, transcoder, feed } = setup({ source: { ...H265_SOURCE, codec } });
    feed(frames(0, 3));
    expect(transcoder.variants()).toHaveLength(variants);
    const multivariant = String((await main.handle('index.m3u8')).body);
    expect(multivariant.split('\n').filter((line) => line.startsWith('#EXT-X-STREAM-INF'))).toHaveLength(1 + variants);
    const status = transcoder.status();
    expect(status.state).toBe('idle');
    expect(status.codecString).toBe(codecString);
    expect(status.note).toBe(note);
  });

  it('the H.264 variant is never advertised cheaper than the original (hls.js starts on the cheapest codec set)', async () => {
    // 30 kB frames: far above the planned 0.1 bit per pixel of 320x240 at 25 fps.
    const { main, feed } = setup();
    feed(frames(0, 4, { bytes: 30_000 }));
    const multivariant = String((await main.handle('index.m3u8')).body);
    const rates = [...multivariant.matchAll(/[:,]BANDWIDTH=(\d+),AVERAGE-BANDWIDTH=(\d+)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(rates).toHaveLength(2);
    const [original, h264] = rates as [[number, number], [number, number]];
    expect(original[0]).toBeGreaterThan(4_000_000);
    expect(h264[0]).toBeGreaterThanOrEqual(original[0]);
    expect(h264[1]).toBeGreaterThanOrEqual(original[1]);
  });

  it('follows a discontinuity of the main stream without a new session (an audio or SPS change)', async () => {
    const { main, transcoder, feed } = setup();
    feed(frames(0, 2));
    expect((await transcoder.handle('video.m3u8', new URLSearchParams(), AbortSignal.timeout(10))).status).toBe(503);
    const created = transcoder.stream;
    expect(created).toBeDefined();
    // Before the variant has output: it is made again, numbered as the main stream now is.
    main.setTrack(audioTrack(OTHER_ASC));
    feed(frames(2, 1));
    expect(main.position?.discontinuity).toBe(1);
    const remade = transcoder.stream as HlsStream;
    expect(remade).not.toBe(created);
    // ffmpeg's output, as #onFrame hands it on (there is no ffmpeg here).
    const output = (list: HlsFrame[]) => {
      for (const frame of list) if (frame.kind === 'video') remade.push(frame);
    };
    remade.setTrack(VIDEO);
    output(frames(2, 2, { audio: false }));
    feed(frames(3, 1));
    // Once it has output: the same discontinuity as the main stream's at its next keyframe.
    main.setTrack(audioTrack(ASC));
    feed(frames(4, 2));
    output(frames(4, 3, { audio: false }));
    feed(frames(6, 1));
    expect(main.position?.discontinuity).toBe(2);
    const audio = String((await main.handle('audio.m3u8')).body);
    const h264 = String((await remade.handle('video.m3u8')).body);
    expect(h264).toContain('#EXTINF');
    expect(lastDiscontinuity(h264)).toBe(lastDiscontinuity(audio));
    expect(lastDiscontinuity(h264)).toBe(2);
    expect(transcoder.stream).toBe(remade);
  });

  it('while ffmpeg is missing, a request for the variant gets 503 with why at once, not after 10 s', async () => {
    const { transcoder, ffmpeg, feed } = setup();
    feed(frames(0, 2));
    const answer = transcoder.handle('video.m3u8', new URLSearchParams());
    await ffmpeg.lookup();
    await new Promise((resolve) => setImmediate(resolve));
    // The next keyframe would start ffmpeg: it is not found.
    feed(frames(2, 1));
    const response = await answer;
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(String(response.body)).toContain('CAMGATE_FFMPEG');
    expect(transcoder.status()).toMatchObject({ state: 'failed', lastError: { code: 'CAMGATE_ERR_FFMPEG_NOT_FOUND' } });
    // And the next one at once too.
    expect((await transcoder.handle('video.m3u8', new URLSearchParams())).status).toBe(503);
  }, 5_000);

  it('a request while stop() waits for its process starts the variant again, and stop() leaves it so', async () => {
    const { transcoder, feed } = setup();
    feed(frames(0, 2));
    await transcoder.handle('video.m3u8', new URLSearchParams(), AbortSignal.timeout(10));
    expect(transcoder.state).toBe('starting');
    const stopped = transcoder.stop();
    expect(transcoder.stream).toBeUndefined();
    const again = transcoder.handle('video.m3u8', new URLSearchParams(), AbortSignal.timeout(10));
    await stopped;
    expect(transcoder.stream).toBeDefined();
    expect(transcoder.state).toBe('starting');
    await again;
  });

  it('frame counters do not go back while a stopped ffmpeg exits', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const { transcoder, ffmpeg: binary, feed } = setup({ ffmpegPath: ffmpeg });
    feed(frames(0, 1));
    await transcoder.handle('video.m3u8', new URLSearchParams(), AbortSignal.timeout(10));
    await binary.lookup();
    await new Promise((resolve) => setImmediate(resolve));
    feed(frames(1, 1));
    expect(transcoder.pid).toBeDefined();
    const before = transcoder.status().framesIn;
    expect(before).toBeGreaterThan(0);
    const stopped = transcoder.stop();
    expect(transcoder.status().framesIn).toBe(before);
    await stopped;
    expect(transcoder.status().framesIn).toBe(before);
  });
});
