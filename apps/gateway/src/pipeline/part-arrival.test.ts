import { describe, expect, it } from 'vitest';
import { PartArrival } from './part-arrival.js';

/** Closing frames every 200 ms of media, arriving 1000 ms + `late[i]` after their media time. */
function observed(late: readonly number[]): PartArrival {
  const arrival = new PartArrival();
  late.forEach((ms, i) => arrival.observe(i * 200, 1000 + i * 200 + ms));
  return arrival;
}

describe('PartArrival', () => {
  it.each([
    { what: 'on time', late: [0, 0, 0], next: 1000 + 600 },
    { what: 'jitter: the earliest arrival counts', late: [3, 1, 4], next: 1000 + 600 + 1 },
    {
      what: 'read late in batches (up to 50 ms): not carried into the next deadline',
      late: [0, 50, 45, 50, 38],
      next: 1000 + 1000,
    },
    { what: 'a run of late reads after one on time', late: [0, 40, 40, 40, 40, 40, 40, 40], next: 1000 + 1600 },
  ])('predicts the next closing frame from the camera clock: $what', ({ late, next }) => {
    expect(observed(late).nextArrival(200)).toBe(next);
  });

  it('knows nothing before the first part, and after a reset', () => {
    const arrival = new PartArrival();
    expect(arrival.nextArrival(200)).toBeUndefined();
    arrival.observe(0, 1000);
    arrival.reset();
    expect(arrival.nextArrival(200)).toBeUndefined();
  });

  it('forgets samples older than its window (the clocks drift apart)', () => {
    // 16 parts on a clock 5 ms earlier, then 16 on time: only the latter remain.
    const late = [...Array.from({ length: 16 }, () => -5), ...Array.from({ length: 16 }, () => 0)];
    expect(observed(late).nextArrival(200)).toBe(1000 + 32 * 200);
  });

  it.each([
    { what: 'media time going back', second: -200 },
    { what: 'a jump of more than 5 s', second: 10_000 },
  ])('starts over on a new timeline: $what', ({ second }) => {
    const arrival = new PartArrival();
    arrival.observe(0, 900); // 100 ms earlier than the next: would be the minimum if kept
    arrival.observe(second, 1000 + second);
    expect(arrival.nextArrival(200)).toBe(1000 + second + 200);
  });
});
