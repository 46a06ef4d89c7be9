import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCodedError } from '@camgate/bits';
import { fuzzRuns, inspectWithMp4box, requireTools, runProcess } from '@camgate/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fmp4ErrorCode } from '../errors.js';
import { writeFragment } from '../fragment.js';
import { writeInitSegment } from '../init-segment.js';
import { aacTestStream, cutIntoFragments, videoTestStream } from '../test-media.js';
import { readMoof } from './fragment-reader.js';
import { progressiveHeader, type ProgressiveChunk } from './progressive-header.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-progressive-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const video = videoTestStream('h264-high-bpyramid');
const audio = aacTestStream('aac-lc-48k-stereo');

/** A recording as the recorder writes it: an init of video (1) and audio (2), fragments holding both. */
function recording(): { init: Uint8Array; fragments: Uint8Array[] } {
  const init = writeInitSegment([
    { id: 1, timescale: video.timescale, config: video.config },
    { id: 2, timescale: audio.timescale, config: audio.config },
  ]);
  const v = cutIntoFragments(1, video.samples, 25);
  const a = cutIntoFragments(2, audio.samples, Math.ceil(audio.samples.length / v.length));
  const fragments = v.map((track, n) => writeFragment(n + 1, [track, ...a.slice(n, n + 1)]));
  return { init, fragments };
}

/** The fragments' chunks and mdat payloads (what the gateway streams after the header). */
function chunksOf(fragments: readonly Uint8Array[]): { chunks: ProgressiveChunk[]; payload: Uint8Array[] } {
  const chunks: ProgressiveChunk[] = [];
  const payload: Uint8Array[] = [];
  for (const fragment of fragments) {
    const moofSize = new DataView(fragment.buffer, fragment.byteOffset).getUint32(0);
    for (const run of readMoof(fragment.subarray(0, moofSize))) {
      chunks.push({ trackId: run.trackId, samples: run.samples });
      const bytes = run.samples.reduce((n, s) => n + s.size, 0);
      payload.push(fragment.subarray(run.dataOffset, run.dataOffset + bytes));
    }
  }
  return { chunks, payload };
}

describe('reading fragments back', () => {
  it('readMoof gives back what writeFragment wrote: timing, sizes, sync, where the bytes are', () => {
    const track = cutIntoFragments(1, video.samples, 25)[1]!;
    const fragment = writeFragment(7, [track]);
    const moofSize = new DataView(fragment.buffer, fragment.byteOffset).getUint32(0);
    const [run] = readMoof(fragment.subarray(0, moofSize));
    expect(run).toMatchObject({ trackId: 1, baseMediaDecodeTime: track.baseMediaDecodeTime });
    expect(run!.samples).toEqual(
      track.samples.map((s) => ({
        duration: s.duration,
        size: s.data.length,
        sync: s.sync,
        compositionOffset: s.compositionOffset,
      })),
    );
    expect(fragment.subarray(run!.dataOffset, run!.dataOffset + track.samples[0]!.data.length)).toEqual(
      track.samples[0]!.data,
    );
  });

  it('fuzz: damaged moofs are refused with FMP4_UNREADABLE_FRAGMENT, never another error', () => {
    const { fragments } = recording();
    const moof = fragments[0]!.subarray(0, new DataView(fragments[0]!.buffer, fragments[0]!.byteOffset).getUint32(0));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .array(fc.tuple(fc.nat({ max: moof.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
            .map((edits) => {
              const copy = moof.slice();
              for (const [at, value] of edits) copy[at] = value;
              return copy;
            }),
          fc.nat({ max: moof.length }).map((n) => moof.slice(0, n)),
        ),
        (bytes) => {
          try {
            readMoof(bytes);
          } catch (err) {
            expect(isCodedError(err, Fmp4ErrorCode.UNREADABLE_FRAGMENT), String(err)).toBe(true);
          }
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('progressive MP4 of a recording', () => {
  it('moov first with full sample tables: mp4box reads every sample, ffmpeg decodes every frame', async (ctx) => {
    const { ffmpeg, ffprobe } = requireTools(ctx, 'ffmpeg', 'ffprobe');
    const { init, fragments } = recording();
    const { chunks, payload } = chunksOf(fragments);
    const header = progressiveHeader(init, chunks);
    const file = Buffer.concat([header, ...payload]);
    const read = inspectWithMp4box(file);
    expect(read.isFragmented).toBe(false);
    expect(read.samples.get(1)).toHaveLength(video.samples.length);
    expect(read.samples.get(2)).toHaveLength(audio.samples.length);
    expect(read.samples.get(1)!.map((s) => s.data.length)).toEqual(video.samples.map((s) => s.data.length));
    const path = join(dir, 'clip.mp4');
    await writeFile(path, file);
    const probed = await runProcess(
      ffprobe,
      ['-v', 'error', '-show_entries', 'format=format_name,duration:stream=codec_name,nb_frames', '-of', 'json', path],
      { timeoutMs: 30_000 },
    );
    expect(probed.code, probed.stderr).toBe(0);
    const info = JSON.parse(probed.stdout) as {
      format: { duration: string };
      streams: Array<{ codec_name: string; nb_frames: string }>;
    };
    expect(info.streams.map((s) => [s.codec_name, Number(s.nb_frames)])).toEqual([
      ['h264', video.samples.length],
      ['aac', audio.samples.length],
    ]);
    expect(Number(info.format.duration)).toBeCloseTo(2, 1);
    // moov before mdat: a player starts before the download ends.
    expect(file.indexOf('moov')).toBeLessThan(file.indexOf('mdat'));
    const decoded = await runProcess(
      ffmpeg,
      ['-v', 'error', '-xerror', '-i', path, '-map', '0', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'],
      { timeoutMs: 60_000 },
    );
    expect(decoded.stderr).toBe('');
    expect(decoded.stdout.split('\n').filter((l) => l.startsWith('0,'))).toHaveLength(video.samples.length);
  });

  it('refuses an init segment that is not one', () => {
    expect(() => progressiveHeader(Uint8Array.of(0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65), [])).toThrow(
      expect.objectContaining({ code: Fmp4ErrorCode.UNREADABLE_FRAGMENT }),
    );
  });
});
