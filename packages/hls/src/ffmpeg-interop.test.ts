import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEntryOf } from '@camgate/fmp4';
import {
  aacTestStream,
  type EncodedTrack,
  requireTools,
  runProcess,
  type TimedSample,
  videoTestStream,
} from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HlsStream } from './hls-stream.js';
import { bytesOf, expectPublishedMediaValid, listedSegments } from './test-published-media.js';
import type { HlsFrame, HlsTrack } from './types.js';

/**
 * ffmpeg (the truth about decodability) reads what the packager serves through its HLS demuxer,
 * from the multivariant playlist down, and decodes every frame with every error fatal. The input
 * is real encoder output (packages/codecs/testdata), looped so that segments, parts and the
 * open-GOP/B-frame reordering cross many boundaries.
 */

const LOOPS = 4;
/** 8 s of media in 1 s segments (the test streams have a key frame every second). */
const SEGMENT_MS = 1000;
const WALLCLOCK = Date.UTC(2026, 10, 23, 12, 0, 0);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-hls-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `samples` repeated back to back `times` times, each copy `period` ticks after the previous. */
function loop(samples: readonly TimedSample[], times: number, period: number): TimedSample[] {
  return Array.from({ length: times }, (_, n) =>
    samples.map((s) => ({ ...s, dts: s.dts + n * period, pts: s.pts + n * period })),
  ).flat();
}

function trackOf(kind: 'video' | 'audio', encoded: EncodedTrack): HlsTrack {
  const entry = sampleEntryOf(encoded.config);
  return kind === 'video'
    ? { kind, config: encoded.config, clockRate: encoded.timescale, width: entry.width, height: entry.height, fps: 25 }
    : {
        kind,
        config: encoded.config,
        clockRate: encoded.timescale,
        sampleRate: entry.sampleRate,
        channels: entry.channels,
      };
}

/** Frames of both tracks in arrival order (by time), as the RTSP client would hand them over. */
function framesOf(
  tracks: ReadonlyArray<{ kind: 'video' | 'audio'; timescale: number; samples: readonly TimedSample[] }>,
): HlsFrame[] {
  const frames = tracks.flatMap(({ kind, timescale, samples }) =>
    samples.map((s) => ({
      time: s.dts / timescale,
      frame: {
        kind,
        dts: s.dts,
        pts: s.pts,
        keyframe: s.sync,
        discontinuity: false,
        wallclock: WALLCLOCK + (s.dts / timescale) * 1000,
        data: s.data,
      } satisfies HlsFrame,
    })),
  );
  return frames.sort((a, b) => a.time - b.time).map((f) => f.frame);
}

/** Runs the packager over the tracks to the end (EXT-X-ENDLIST) and writes what it serves into a folder. */
async function publish(
  name: string,
  video: EncodedTrack | undefined,
  audio: EncodedTrack | undefined,
): Promise<{ folder: string; frames: { video: number; audio: number } }> {
  const stream = new HlsStream({ startMsn: 1000, segmentDurationMs: SEGMENT_MS, segmentCount: 100 });
  const tracks: Array<{ kind: 'video' | 'audio'; timescale: number; samples: TimedSample[] }> = [];
  if (video !== undefined) {
    stream.setTrack(trackOf('video', video));
    tracks.push({
      kind: 'video' as const,
      timescale: video.timescale,
      samples: loop(video.samples, LOOPS, 2 * video.timescale),
    });
  }
  if (audio !== undefined) {
    stream.setTrack(trackOf('audio', audio));
    // The 0.25 s AAC vectors, looped to cover the video. Audio renditions end where video ends
    // (end() publishes audio up to the last video part boundary), so audio past it is not sent.
    const period = audio.samples.length * 1024;
    const times = Math.ceil((LOOPS * 2 * audio.timescale) / period);
    const looped = loop(audio.samples, times, period).filter((s) => s.dts + 512 < LOOPS * 2 * audio.timescale);
    tracks.push({ kind: 'audio', timescale: audio.timescale, samples: looped });
  }
  for (const frame of framesOf(tracks)) stream.push(frame);
  stream.end();
  await expectPublishedMediaValid(stream);

  const folder = join(dir, name);
  await mkdir(folder);
  const names = ['index.m3u8', ...(video ? ['video.m3u8'] : []), ...(audio ? ['audio.m3u8'] : [])];
  for (const playlist of names) {
    const res = await stream.handle(playlist);
    expect(res.status).toBe(200);
    await writeFile(join(folder, playlist), res.body as string);
    if (playlist === 'index.m3u8') continue;
    const segments = listedSegments(res.body as string);
    for (const uri of new Set(
      segments.flatMap((s) => [s.mapUri, s.gap ? '' : (s.uri ?? '')]).filter((u) => u !== ''),
    )) {
      await writeFile(join(folder, uri), bytesOf(await stream.handle(uri)));
    }
  }
  stream.close();
  const count = (kind: string) => tracks.find((t) => t.kind === kind)?.samples.length ?? 0;
  return { folder, frames: { video: count('video'), audio: count('audio') } };
}

/** ffmpeg decodes every stream of the HLS presentation, every error fatal; frames per stream type. */
async function decode(
  ffmpeg: string,
  playlist: string,
): Promise<{ code: number | null; stderr: string; video: number; audio: number; videoPts: number[] }> {
  const result = await runProcess(
    ffmpeg,
    ['-v', 'error', '-err_detect', 'explode', '-xerror', '-i', playlist, '-map', '0', '-f', 'framemd5', '-'],
    { timeoutMs: 60_000 },
  );
  // framemd5 names each stream's type and time base in its header ("#media_type 0: video", "#tb 0: 1/25").
  const types = new Map([...result.stdout.matchAll(/^#media_type (\d+): (\w+)$/gm)].map((m) => [m[1], m[2]]));
  const timeBases = new Map(
    [...result.stdout.matchAll(/^#tb (\d+): (\d+)\/(\d+)$/gm)].map((m) => [m[1], Number(m[2]) / Number(m[3])]),
  );
  let audio = 0;
  const videoPts: number[] = [];
  for (const line of result.stdout.split('\n')) {
    // stream_index, dts, pts, duration, size, hash
    const [index, , pts] = line.split(',').map((field) => field.trim());
    const type = types.get(index ?? '');
    if (type === 'video') videoPts.push(Math.round(Number(pts) * (timeBases.get(index ?? '') ?? NaN) * 1000));
    else if (type === 'audio') audio++;
  }
  return { code: result.code, stderr: result.stderr, video: videoPts.length, audio, videoPts };
}

describe('ffmpeg decodes what the LL-HLS packager serves', () => {
  it.for<[name: string, video: string, audio: string | undefined]>([
    ['H.264 High with 3 B-frames in a pyramid + AAC-LC 48 kHz stereo', 'h264-high-bpyramid', 'aac-lc-48k-stereo'],
    ['H.264 Main with 2 B-frames + AAC-LC 16 kHz mono', 'h264-main-bf2', 'aac-lc-16k-mono'],
    ['H.265 Main, open GOP (CRA with RASL pictures), B-frames + AAC', 'h265-main', 'aac-lc-48k-stereo'],
    ['H.265 Main 10, video only', 'h265-main10', undefined],
  ])('%s', async ([, videoName, audioName], ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const video = videoTestStream(videoName);
    const audio = audioName === undefined ? undefined : aacTestStream(audioName);
    const { folder, frames } = await publish(videoName, video, audio);
    const decoded = await decode(ffmpeg, join(folder, 'index.m3u8'));
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);
    expect(decoded.video).toBe(frames.video);
    expect(decoded.audio).toBe(frames.audio);
    // Decoded pictures come out in presentation order 40 ms apart: the composition offsets of
    // B-frames and open-GOP leading pictures were written right.
    const steps = new Set(decoded.videoPts.slice(1).map((pts, i) => pts - (decoded.videoPts[i] as number)));
    expect([...steps]).toEqual([40]);
  });
});
