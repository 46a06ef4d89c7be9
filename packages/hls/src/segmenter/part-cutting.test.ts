import { describe, expect, it } from 'vitest';
import { computeStreamTiming } from '../timing/stream-timing.js';
import {
  audioOnlyPartsPerSegment,
  clampPartEnd,
  closesBeforeFrame,
  completePartEnd,
  cutsAtKeyframe,
  MAX_PART_BYTES,
  MAX_PART_SAMPLES,
  mustForceCut,
  partTargetTicks,
} from './part-cutting.js';

const CLOCK = 90_000;
/** 25 fps with 48 kHz AAC, 200 ms parts, 2 s segments: 5 frames a part, PART-TARGET 0.218 s (10 AAC frames), TD 2. */
const T25 = computeStreamTiming({
  segmentDuration: 2,
  partDuration: 0.2,
  firstGop: 2,
  videoFrame: 0.04,
  audioFrame: 1024 / 48_000,
});
/** 29.97 fps: 6 frames of 3003 ticks a part. */
const T2997 = computeStreamTiming({
  segmentDuration: 2,
  partDuration: 0.2,
  firstGop: 2.002,
  videoFrame: 1001 / 30_000,
});

describe('cutsAtKeyframe', () => {
  const base = { segmentDuration: 2, frame: 0.04, videoPart: 0.2, targetDuration: 2 };
  it.each<[number, number | undefined, boolean, string]>([
    // length, lastGop, cuts, why
    [2.0, 2.0, true, 'the configured duration reached'],
    [1.98, 2.0, true, 'within half a frame of it'],
    [1.96, undefined, true, 'one more GOP as long as this one would pass TD'],
    [1.0, 1.0, false, 'two 1 s GOPs make one 2 s segment'],
    [0.4, 1.6, false, 'a short GOP after it still fits TD'],
    [0.5, 1.6, true, 'the next GOP (as the last) would not fit TD'],
    [0.16, 4.0, false, 'less than a part: never a segment of a frame or two'],
    [0.9, undefined, false, 'the first GOP so far: 0.9 + 0.9 fits'],
    [1.2, undefined, true, 'the first GOP so far: 1.2 + 1.2 does not fit'],
  ])('length %s s, last GOP %s s: %s (%s)', (length, lastGop, cuts) => {
    expect(cutsAtKeyframe({ ...base, length, lastGop })).toBe(cuts);
  });
});

describe('mustForceCut (TD 2: never TD + 0.5 s)', () => {
  it.each([
    [2.4, 0.04, false],
    [2.44, 0.04, false],
    [2.46, 0.04, true],
    [2.5, 0.04, true],
    [2.3, 0.2, true],
  ])('a frame at %s s lasting %s s: %s', (length, frame, cut) => {
    expect(mustForceCut(length, frame, 2)).toBe(cut);
  });
});

describe('completePartEnd: a part closes with its last frame, not one frame later', () => {
  it('the timings', () => {
    expect([T25.framesPerPart, T25.videoPart, T25.partTarget]).toEqual([5, 0.2, 0.218]);
    expect([T2997.framesPerPart, T2997.partTarget]).toEqual([6, 0.205]);
  });
  it.each([
    // timing, part start, frame dts, end or undefined
    ['25 fps, 4th frame', T25, 0, 10_800, undefined],
    ['25 fps, 5th frame', T25, 0, 14_400, 18_000],
    ['25 fps, 5th frame 5 ms early (jitter)', T25, 0, 13_950, 17_550],
    ['25 fps, 5th frame 15 ms early: under 85% of PART-TARGET, it takes another', T25, 0, 13_050, undefined],
    ['25 fps, a part started late by jitter', T25, 500, 14_400, 18_000],
    ['29.97 fps, 5th frame', T2997, 0, 12_012, undefined],
    ['29.97 fps, 6th frame', T2997, 0, 15_015, 18_018],
  ])('%s', (_name, timing, partStart, dts, end) => {
    expect(completePartEnd(dts, partStart, timing, CLOCK)).toBe(end);
  });
});

describe('closesBeforeFrame: a frame that would start past PART-TARGET, or a full part', () => {
  const target = partTargetTicks(T25, CLOCK);
  it.each([
    ['PART-TARGET in ticks', target === 19_620, true],
    ['one tick before PART-TARGET', closesBeforeFrame(target - 1, T25, CLOCK, 3, 1000, 100), false],
    ['at PART-TARGET (a late frame)', closesBeforeFrame(target, T25, CLOCK, 3, 1000, 100), true],
    ['a stall of a second', closesBeforeFrame(CLOCK, T25, CLOCK, 3, 1000, 100), true],
    ['the samples bound', closesBeforeFrame(0, T25, CLOCK, MAX_PART_SAMPLES, 0, 1), true],
    ['the bytes bound', closesBeforeFrame(0, T25, CLOCK, 1, MAX_PART_BYTES - 10, 11), true],
    ['exactly the bytes bound', closesBeforeFrame(0, T25, CLOCK, 1, MAX_PART_BYTES - 10, 10), false],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe('clampPartEnd', () => {
  it.each([
    ['the nominal end', 18_000, 0, 14_400, 18_000],
    ['a last frame followed by a stall: up to PART-TARGET', 90_000, 0, 14_400, 19_620],
    ['never before the last frame', 10_000, 0, 14_400, 14_401],
  ])('%s', (_name, end, first, last, expected) => {
    expect(clampPartEnd(end, first, last, T25, CLOCK)).toBe(expected);
  });
  it('without part timing, only the last frame bounds it', () => {
    expect(clampPartEnd(90_000, 0, 14_400, undefined, CLOCK)).toBe(90_000);
  });
});

describe('audioOnlyPartsPerSegment', () => {
  it.each([
    [2, 10],
    [0.1, 1],
    [4, 20],
  ])('%s s segments of 200 ms parts: %s parts', (segmentDuration, parts) => {
    expect(audioOnlyPartsPerSegment(segmentDuration, T25)).toBe(parts);
  });
});
