import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from 1 s to 30 s without jitter', () => {
    const backoff = new Backoff({ jitter: 0 });
    expect(Array.from({ length: 8 }, () => backoff.next())).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(backoff.attempts).toBe(8);
  });

  it.for([
    [0, 800],
    [0.5, 1_000],
    [0.999_999, 1_200],
  ])('jitters ±20%%: random %f gives %i ms', ([random, delay]) => {
    expect(new Backoff({ random: () => random as number }).next()).toBe(delay);
  });

  it('never exceeds the maximum, even with jitter', () => {
    const backoff = new Backoff({ random: () => 0.999 });
    for (let i = 0; i < 20; i++) expect(backoff.next()).toBeLessThanOrEqual(30_000);
  });

  it('starts again from 1 s after a session that streamed for a minute, not after a short one', () => {
    const backoff = new Backoff({ jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.sessionEnded(5_000);
    expect(backoff.next()).toBe(4_000);
    backoff.sessionEnded(60_000);
    expect(backoff.next()).toBe(1_000);
  });
});
