import { describe, expect, it } from 'vitest';
import type { HlsTrack } from '../types.js';
import { audioFrameTicks, audioReached, continueAudio, continuedDts, splitAtBoundary } from './audio-alignment.js';
import type { PendingSample } from './staged-samples.js';

/** 48 kHz AAC: 1024 ticks a frame. The video part 10.0-10.2 s is 480000-489600 ticks. */
const CLOCK = 48_000;
const AAC = 1024;
/** PART-TARGET 0.218 s in ticks. */
const LIMIT = Math.floor(0.218 * CLOCK);

const frames = (first: number, count: number, step = AAC): PendingSample[] =>
  Array.from({ length: count }, (_, i) => ({
    dts: first + i * step,
    pts: first + i * step,
    keyframe: true,
    wallclock: 0,
    data: new Uint8Array(1),
  }));

describe('splitAtBoundary: which audio frames make the part beside a video part', () => {
  const part = { start: 10, end: 10.2 };
  it.each([
    // name, frames, audio published so far, boundary, expected
    ['frames whose midpoint is before the end', frames(480_000, 13), -1, part, { late: 0, count: 9 }],
    ['none yet', [], -1, part, { late: 0, count: 0 }],
    [
      'from a stall in the video: more than a frame before the part starts',
      frames(470_000, 20),
      -1,
      part,
      { late: 9, count: 10 },
    ],
    ['one frame moved on from the previous part is kept', frames(478_900, 13), -1, part, { late: 0, count: 10 }],
    ['already published (a GAP covered them)', frames(480_000, 13), 484_000, part, { late: 4, count: 5 }],
    [
      'never longer than PART-TARGET after a long video part',
      frames(480_000, 20),
      -1,
      { start: 10, end: 10.3 },
      { late: 0, count: 10 },
    ],
  ])('%s', (_name, samples, lastEnd, boundary, expected) => {
    expect(splitAtBoundary(samples, { lastEnd, cadence: AAC }, boundary, CLOCK, LIMIT)).toEqual(expected);
  });

  it('measures PART-TARGET from where continueAudio will start the part', () => {
    // The first frame is 400 ticks after the audio before: the part will start there, so one frame fewer fits.
    const samples = frames(480_400, 12);
    const boundary = { start: 10, end: 10.25 };
    expect(splitAtBoundary(samples, { lastEnd: -1, cadence: AAC }, boundary, CLOCK, LIMIT).count).toBe(10);
    expect(splitAtBoundary(samples, { lastEnd: 480_000, cadence: AAC }, boundary, CLOCK, LIMIT).count).toBe(9);
  });
});

describe('audioReached', () => {
  it.each([
    [undefined, false],
    [frames(480_000, 1)[0], false],
    [frames(480_000 + 8 * AAC, 1)[0], true],
    [frames(489_600 - AAC - AAC / 2, 1)[0], true],
    [frames(489_600 - AAC - AAC / 2 - 1, 1)[0], false],
  ])('latest frame %o: %s', (last, reached) => {
    expect(audioReached(last, AAC, 489_600)).toBe(reached);
  });
});

describe('continueAudio', () => {
  it.each([
    ['within half a frame after: moved back', 1000, [1300, 2324], [1000, 2324]],
    ['within half a frame before: moved forward, a frame now behind it dropped', 1000, [900, 950, 1924], [1000, 1924]],
    ['exactly half a frame: moved', 1000, [1512], [1000]],
    ['more than half a frame away: a gap stays', 1000, [1513, 2537], [1513, 2537]],
    ['nothing published before', -1, [300], [300]],
  ])('%s', (_name, lastEnd, dts, expected) => {
    const samples = dts.map((d) => ({ dts: d, pts: d, keyframe: true, wallclock: 0, data: new Uint8Array(1) }));
    const kept = continueAudio({ lastEnd, cadence: AAC }, samples);
    expect(kept.map((s) => s.dts)).toEqual(expected);
    expect(kept.map((s) => s.pts)).toEqual(expected);
  });

  it('continuedDts: bounds included', () => {
    expect(continuedDts({ lastEnd: 1000, cadence: AAC }, 488)).toBe(1000);
    expect(continuedDts({ lastEnd: 1000, cadence: AAC }, 487)).toBe(487);
  });
});

describe('audioFrameTicks', () => {
  const track = (config: HlsTrack['config'], clockRate: number): HlsTrack => ({ kind: 'audio', config, clockRate });
  it.each([
    ['AAC-LC', track({ kind: 'audio', codec: 'aac', audioSpecificConfig: new Uint8Array([0x11, 0x90]) }, 48_000), 1024],
    [
      'AAC-LC, frameLengthFlag (960)',
      track({ kind: 'audio', codec: 'aac', audioSpecificConfig: new Uint8Array([0x11, 0x94]) }, 48_000),
      960,
    ],
    [
      'HE-AAC (SBR object type 5: the flag is not there)',
      track({ kind: 'audio', codec: 'aac', audioSpecificConfig: new Uint8Array([0x2b, 0x94]) }, 48_000),
      1024,
    ],
    [
      'FLAC of G.711 at 8 kHz: 20 ms until its first block says',
      track({ kind: 'audio', codec: 'flac', channels: 1, sampleRate: 8000 }, 8000),
      160,
    ],
  ])('%s', (_name, t, ticks) => {
    expect(audioFrameTicks(t)).toBe(ticks);
  });
});
