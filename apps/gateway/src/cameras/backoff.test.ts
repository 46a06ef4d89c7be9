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

  it('starts again from the shortest delay after reset(), whatever came before', () => {
    const backoff = new Backoff({ jitter: 0 });
    for (let i = 0; i < 10; i++) backoff.next();
    expect(backoff.next()).toBe(30_000);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(Array.from({ length: 3 }, () => backoff.next())).toEqual([1_000, 2_000, 4_000]);
  });
});
