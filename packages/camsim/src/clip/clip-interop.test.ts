// The bundled clips against a real decoder: ffmpeg decodes two loops of each
// track, back to back as the simulated camera sends them, without an error.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitLengthPrefixed } from '@camgate/codecs';
import { requireTools, runProcess } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClipTrack } from './clip.js';
import { loadClip } from './load-clip.js';

const LOOPS = 2;

/** Annex-B byte stream (H.264 §B.1): a 4-byte start code before each NAL unit. */
function annexB(track: ClipTrack): Uint8Array {
  const nals = track.frames.flatMap((f) => splitLengthPrefixed(f.data));
  const one = Buffer.concat(nals.flatMap((nal) => [Buffer.of(0, 0, 0, 1), nal]));
  return Buffer.concat(Array.from({ length: LOOPS }, () => one));
}

/** ADTS (ISO 14496-3 §1.A.2): a 7-byte header without CRC before each AU, from a 2-byte AudioSpecificConfig. */
function adts(track: ClipTrack): Uint8Array {
  const asc = track.config.audioSpecificConfig!;
  const profile = (asc[0]! >>> 3) - 1;
  const frequencyIndex = ((asc[0]! & 0x07) << 1) | (asc[1]! >>> 7);
  const channels = (asc[1]! >>> 3) & 0x0f;
  const frames = track.frames.flatMap((f) => {
    const length = f.data.length + 7;
    const header = Buffer.of(
      0xff,
      0xf1,
      (profile << 6) | (frequencyIndex << 2) | (channels >>> 2),
      ((channels & 3) << 6) | (length >>> 11),
      (length >>> 3) & 0xff,
      ((length & 7) << 5) | 0x1f,
      0xfc,
    );
    return [header, f.data];
  });
  const one = Buffer.concat(frames);
  return Buffer.concat(Array.from({ length: LOOPS }, () => one));
}

describe('bundled clips decode with ffmpeg', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camclip-interop-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Decodes `input` with ffmpeg, failing on any error; returns the number of decoded frames. */
  async function decode(ffmpeg: string, format: string, input: Uint8Array, name: string): Promise<number> {
    const path = join(dir, name);
    await writeFile(path, input);
    const result = await runProcess(ffmpeg, [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-err_detect',
      'explode',
      '-f',
      format,
      '-i',
      path,
      '-f',
      'framecrc',
      '-',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout.split('\n').filter((line) => /^\d+,/.test(line)).length;
  }

  it.for([
    ['h264-aac', 'h264'],
    ['h265-aac', 'hevc'],
    ['h264-pcma', 'h264'],
  ] as const)('%s: two loops of video, every frame', async ([name, format], ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const video = (await loadClip(name)).tracks[0]!;
    expect(await decode(ffmpeg, format, annexB(video), `${name}.${format}`)).toBe(LOOPS * video.frames.length);
  });

  it.for(['h264-aac', 'h265-aac'] as const)('%s: two loops of AAC, every AU', async (name, ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const audio = (await loadClip(name)).tracks[1]!;
    expect(await decode(ffmpeg, 'aac', adts(audio), `${name}.aac`)).toBe(LOOPS * audio.frames.length);
  });

  it('AAC loops without a click: the signal is as smooth across the loop point as inside the loop', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const audio = (await loadClip('h264-aac')).tracks[1]!;
    const input = join(dir, 'seam.aac');
    const output = join(dir, 'seam.s16');
    await writeFile(input, adts(audio));
    const result = await runProcess(ffmpeg, [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'aac',
      '-i',
      input,
      '-f',
      's16le',
      output,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const pcm = await readFile(output);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    /**
     * Largest second difference around `frame`, both channels (interleaved): a 660 Hz tone
     * at amplitude 0.2 curves by ~50 per sample and AAC adds a little; a discontinuity at
     * the loop point (the click a primed or unprimed loop edge makes) more than doubles it.
     */
    const curvature = (frame: number) => {
      let largest = 0;
      for (let i = frame - 1024; i < frame + 1024; i++) {
        for (const c of [0, 1]) {
          const at = (k: number) => samples[2 * k + c]!;
          largest = Math.max(largest, Math.abs(at(i + 1) - 2 * at(i) + at(i - 1)));
        }
      }
      return largest;
    };
    const seam = audio.durationTicks; // the first sample of the second loop
    const inside = Math.max(...[0.25, 0.5, 0.75, 1.25, 1.5, 1.75].map((f) => curvature(Math.round(seam * f))));
    expect(curvature(seam)).toBeLessThanOrEqual(inside * 1.25);
  });
});
