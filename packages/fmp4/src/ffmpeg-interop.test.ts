import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, runProcess, inspectWithMp4box } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFragment } from './fragment.js';
import { writeInitSegment } from './init-segment.js';
import { aacTestStream, cutIntoFragments, type TimedSample, videoTestStream } from './test-media.js';
import type { TrackConfig } from './track-config.js';

/** Tracks of one file: their encoded samples, the part length in samples, and tfdt's origin. */
interface TrackPlan {
  /** A test stream, or any other track (Opus, encoded by the test). */
  track: { config: TrackConfig; timescale: number; samples: readonly TimedSample[] };
  samplesPerPart: number;
  base: number;
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-fmp4-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Init + fragments (one per part, every track's part in it, several trafs per moof) into a file. */
async function writeMp4(name: string, plans: readonly TrackPlan[]): Promise<string> {
  const init = writeInitSegment(
    plans.map((p, i) => ({ id: i + 1, timescale: p.track.timescale, config: p.track.config })),
  );
  const parts = plans.map((p, i) => cutIntoFragments(i + 1, p.track.samples, p.samplesPerPart, p.base));
  const count = Math.max(...parts.map((p) => p.length));
  const fragments: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    fragments.push(
      writeFragment(
        n + 1,
        parts.flatMap((p) => p.slice(n, n + 1)),
      ),
    );
  }
  // The same bytes must satisfy the oracle too.
  inspectWithMp4box(init, fragments);
  const path = join(dir, `${name}.mp4`);
  await writeFile(path, Buffer.concat([init, ...fragments]));
  return path;
}

/** ffmpeg decodes every stream with every error fatal; returns its exit code, stderr and frames per stream. */
async function decode(
  ffmpeg: string,
  file: string,
): Promise<{ code: number | null; stderr: string; frames: number[] }> {
  const result = await runProcess(
    ffmpeg,
    ['-v', 'error', '-err_detect', 'explode', '-xerror', '-i', file, '-map', '0', '-f', 'framemd5', '-'],
    { timeoutMs: 60_000 },
  );
  const frames: number[] = [];
  for (const line of result.stdout.split('\n')) {
    const stream = /^(\d+),/.exec(line)?.[1];
    if (stream !== undefined) frames[Number(stream)] = (frames[Number(stream)] ?? 0) + 1;
  }
  return { code: result.code, stderr: result.stderr, frames };
}

/** ffprobe's per-packet [pts, dts] of each stream, in file order. */
async function probePackets(ffprobe: string, file: string): Promise<Array<Array<[number, number]>>> {
  const result = await runProcess(ffprobe, [
    '-v',
    'error',
    '-show_entries',
    'packet=stream_index,pts,dts',
    '-of',
    'csv=p=0',
    file,
  ]);
  expect(result.stderr).toBe('');
  const streams: Array<Array<[number, number]>> = [];
  for (const line of result.stdout.trim().split('\n')) {
    const [stream, pts, dts] = line.split(',').map(Number) as [number, number, number];
    (streams[stream] ??= []).push([pts, dts]);
  }
  return streams;
}

/**
 * The [pts, dts] we wrote. ffmpeg's MP4 demuxer presents negative composition offsets by adding
 * the largest of them to every PTS (mov.c dts_shift), so ffprobe's PTS is ours plus that shift.
 */
function written(plan: TrackPlan): Array<[number, number]> {
  const shift = Math.max(0, ...plan.track.samples.map((s: TimedSample) => -s.compositionOffset));
  return plan.track.samples.map((s) => [plan.base + s.pts + shift, plan.base + s.dts]);
}

describe('ffmpeg decodes our fragments of real encoded media (interop)', () => {
  const cases: Array<[string, () => TrackPlan[]]> = [
    [
      'H.264 Main with B-frames (negative composition offsets) + AAC-LC 48 kHz stereo, tfdt above 2^33',
      () => [
        {
          track: videoTestStream('h264-main-bf2', { negativeCompositionOffsets: true }),
          samplesPerPart: 5,
          base: 2 ** 33 + 123,
        },
        { track: aacTestStream('aac-lc-48k-stereo'), samplesPerPart: 10, base: 2 ** 33 },
      ],
    ],
    [
      'H.264 High with b-pyramid (encoder timestamps as they are)',
      () => [{ track: videoTestStream('h264-high-bpyramid'), samplesPerPart: 5, base: 0 }],
    ],
    [
      'H.265 Main, open GOP with RASL pictures (negative offsets) + AAC-LC 16 kHz mono',
      () => [
        { track: videoTestStream('h265-main', { negativeCompositionOffsets: true }), samplesPerPart: 5, base: 90000 },
        { track: aacTestStream('aac-lc-16k-mono'), samplesPerPart: 3, base: 16000 },
      ],
    ],
    ['H.265 Main 10, closed GOPs', () => [{ track: videoTestStream('h265-main10'), samplesPerPart: 8, base: 0 }]],
    [
      'H.264 Constrained Baseline, one fragment per frame',
      () => [{ track: videoTestStream('h264-baseline'), samplesPerPart: 1, base: 0 }],
    ],
  ];

  it.for(cases)('%s: decodes with no error, every frame, at the timestamps we wrote', async ([name, plansOf], ctx) => {
    const { ffmpeg, ffprobe } = requireTools(ctx, 'ffmpeg', 'ffprobe');
    const plans = plansOf();
    const file = await writeMp4(name.replace(/\W+/g, '-').slice(0, 40), plans);
    const decoded = await decode(ffmpeg, file);
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);
    expect(decoded.frames).toEqual(plans.map((p) => p.track.samples.length));
    expect(await probePackets(ffprobe, file)).toEqual(plans.map(written));
  });

  it('Opus from libopus: decodes with no error at the timestamps we wrote', async (ctx) => {
    const { ffmpeg, ffprobe } = requireTools(ctx, 'ffmpeg', 'ffprobe');
    const encoders = await runProcess(ffmpeg, ['-hide_banner', '-encoders']);
    if (!/\blibopus\b/.test(encoders.stdout)) ctx.skip('this ffmpeg has no libopus encoder');
    // 1 s of stereo Opus in 20 ms packets, then its packets as mp4box reads them from ffmpeg's MP4.
    const source = join(dir, 'libopus.mp4');
    const encode = await runProcess(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-ac',
      '2',
      '-t',
      '1',
      '-c:a',
      'libopus',
      '-b:a',
      '64k',
      '-y',
      source,
    ]);
    expect(encode.stderr).toBe('');
    const packets = inspectWithMp4box(new Uint8Array(await readFile(source))).samples.get(1) ?? [];
    expect(packets.length).toBeGreaterThan(40);
    let dts = 0;
    const samples = packets.map((p): TimedSample => {
      const sample = { dts, pts: dts, duration: p.duration, compositionOffset: 0, sync: true, data: p.data };
      dts += p.duration;
      return sample;
    });
    const plan: TrackPlan = {
      track: {
        config: { kind: 'audio', codec: 'opus', channels: 2, sampleRate: 48000, preSkip: 312 },
        timescale: 48000,
        samples,
      },
      samplesPerPart: 10,
      base: 48000,
    };
    const file = await writeMp4('opus', [plan]);
    const decoded = await decode(ffmpeg, file);
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);
    expect(decoded.frames).toEqual([samples.length]);
    expect(await probePackets(ffprobe, file)).toEqual([written(plan)]);
  });
});
