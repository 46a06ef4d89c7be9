import { describe, expect, it } from 'vitest';
import { TimestampUnwrapper } from './timestamp-unwrapper.js';

describe('TimestampUnwrapper', () => {
  it('continues across the 2^32 wrap (fault F09: 13 h at 90 kHz)', () => {
    const u = new TimestampUnwrapper();
    const start = 2 ** 32 - 2 * 3600;
    expect([start, start + 3600, 0, 3600].map((t) => u.unwrap(t % 2 ** 32))).toEqual([
      start,
      start + 3600,
      2 ** 32,
      2 ** 32 + 3600,
    ]);
  });

  it('keeps B-frame PTS steps backward', () => {
    const u = new TimestampUnwrapper();
    expect([10_000, 20_800, 13_600, 17_200].map((t) => u.unwrap(t))).toEqual([10_000, 20_800, 13_600, 17_200]);
  });

  it('handles a backward step across the wrap', () => {
    const u = new TimestampUnwrapper();
    expect([1800, 2 ** 32 - 1800].map((t) => u.unwrap(t))).toEqual([1800, -1800]);
  });

  it('stays exact over many wraps', () => {
    const u = new TimestampUnwrapper();
    let value = 0;
    for (let i = 0; i < 1000; i++) value = u.unwrap(((i * 2 ** 30) % 2 ** 32) >>> 0);
    expect(value).toBe(999 * 2 ** 30);
  });

  it('starts over after reset()', () => {
    const u = new TimestampUnwrapper();
    u.unwrap(5);
    u.reset();
    expect(u.unwrap(2 ** 32 - 1)).toBe(2 ** 32 - 1);
  });
});
