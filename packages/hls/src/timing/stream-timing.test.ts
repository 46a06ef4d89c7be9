import { describe, expect, it } from 'vitest';
import { advancePartLimit, computeStreamTiming } from './stream-timing.js';

describe('computeStreamTiming', () => {
  it('25 fps video + 48 kHz AAC, 200 ms parts, 2 s segments, 1.6 s GOP', () => {
    const t = computeStreamTiming({
      segmentDuration: 2,
      partDuration: 0.2,
      firstGop: 1.6,
      videoFrame: 0.04,
      audioFrame: 1024 / 48_000,
    });
    expect(t).toMatchObject({
      targetDuration: 2,
      framesPerPart: 5,
      partTarget: 0.218,
      partHoldBack: 0.654,
      holdBack: 6,
      canSkipUntil: 12,
    });
    // Audio parts of 9 or 10 AAC frames and video parts of 200 ms all fit the 85% floor and the target.
    expect((9 * 1024) / 48_000).toBeGreaterThanOrEqual(0.85 * t.partTarget);
    expect((10 * 1024) / 48_000).toBeLessThanOrEqual(t.partTarget);
  });

  it('a GOP longer than the configured segment sets TD (4.5 s -> 5)', () => {
    expect(
      computeStreamTiming({ segmentDuration: 2, partDuration: 0.2, firstGop: 4.5, videoFrame: 0.04 }).targetDuration,
    ).toBe(5);
  });

  it('29.97 fps: 6 frames per part', () => {
    const t = computeStreamTiming({
      segmentDuration: 2,
      partDuration: 0.2,
      firstGop: 2.002,
      videoFrame: 1001 / 30_000,
    });
    expect([t.framesPerPart, t.targetDuration, t.partTarget]).toEqual([6, 3, 0.205]);
  });

  it('slow video (1 fps): one frame per part', () => {
    const t = computeStreamTiming({ segmentDuration: 2, partDuration: 0.2, firstGop: 4, videoFrame: 1 });
    expect([t.framesPerPart, t.partTarget]).toEqual([1, 1.02]);
  });

  it('audio only: parts of whole AAC frames', () => {
    const t = computeStreamTiming({ segmentDuration: 2, partDuration: 0.2, audioFrame: 1024 / 48_000 });
    expect([t.framesPerPart, t.targetDuration, t.partTarget]).toEqual([9, 2, 0.196]);
  });

  it('Advance Part Limit (§6.2.5.2)', () => {
    expect([advancePartLimit(0.218), advancePartLimit(0.5), advancePartLimit(1), advancePartLimit(2)]).toEqual([
      13, 6, 3, 3,
    ]);
  });
});
