import { describe, expect, it } from 'vitest';
import { CamsimErrorCode } from './errors.js';
import { RtpClock } from './rtp-clock.js';

describe('RtpClock', () => {
  it('stamps 25 fps video at 3600 ticks per frame', () => {
    const clock = new RtpClock(90_000, { num: 25, den: 1 }, 1000);
    expect([0, 1, 2, 25].map((i) => clock.timestampAt(i))).toEqual([1000, 4600, 8200, 91_000]);
    expect(clock.millisecondsAt(25)).toBe(1000);
  });

  it('does not drift at 29.97 fps: 30000 frames are exactly 1001 seconds', () => {
    const clock = new RtpClock(90_000, { num: 30_000, den: 1001 });
    expect(clock.ticksAt(1)).toBe(3003);
    expect(clock.ticksAt(30_000)).toBe(1001 * 90_000);
    expect(clock.millisecondsAt(30_000)).toBe(1_001_000);
  });

  it('stamps AAC at 1024 samples per frame', () => {
    const clock = new RtpClock(48_000, { num: 48_000, den: 1024 });
    expect([clock.timestampAt(1), clock.timestampAt(3)]).toEqual([1024, 3072]);
  });

  it('wraps at 2^32 (starting 5 s before the wrap, as fault test F09 does)', () => {
    const start = 2 ** 32 - 5 * 90_000;
    const clock = new RtpClock(90_000, { num: 25, den: 1 }, start);
    expect(clock.timestampAt(124)).toBe(2 ** 32 - 3600);
    expect(clock.timestampAt(125)).toBe(0);
    expect(clock.timestampAt(126)).toBe(3600);
  });

  it('stays exact a year into the stream', () => {
    const framesPerYear = 365 * 24 * 3600 * 30;
    const clock = new RtpClock(90_000, { num: 30_000, den: 1001 });
    expect(clock.ticksAt(framesPerYear)).toBe(framesPerYear * 3003);
  });

  it.each([
    ['a zero clock rate', () => new RtpClock(0, { num: 25, den: 1 })],
    ['a zero frame-rate denominator', () => new RtpClock(90_000, { num: 25, den: 0 })],
    ['an initial timestamp of 2^32', () => new RtpClock(90_000, { num: 25, den: 1 }, 2 ** 32)],
  ])('rejects %s with CAMSIM_INVALID_CONFIG', (_name, make) => {
    expect(make).toThrow(expect.objectContaining({ code: CamsimErrorCode.INVALID_CONFIG }));
  });
});
