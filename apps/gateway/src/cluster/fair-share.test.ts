import { describe, expect, it } from 'vitest';
import { fairShare } from './fair-share.js';

describe('fairShare', () => {
  it.each([
    { why: 'even split', wanted: 30, capacities: [100, 100, 100], capacity: 100, share: 10 },
    {
      why: 'rounds up, so the shares cover every camera',
      wanted: 31,
      capacities: [100, 100, 100],
      capacity: 100,
      share: 11,
    },
    { why: 'a fourth node lowers the share', wanted: 30, capacities: [100, 100, 100, 100], capacity: 100, share: 8 },
    { why: 'alone: everything up to capacity', wanted: 30, capacities: [20], capacity: 20, share: 20 },
    { why: 'a small node pulls what it can', wanted: 30, capacities: [5, 100, 100], capacity: 5, share: 5 },
    { why: '...and the others make up for it', wanted: 30, capacities: [5, 100, 100], capacity: 100, share: 13 },
    { why: 'more wanted than room: all at capacity', wanted: 500, capacities: [100, 50], capacity: 50, share: 50 },
    { why: 'a node of capacity 0 pulls nothing', wanted: 30, capacities: [0, 100], capacity: 0, share: 0 },
    { why: 'and does not count as a node', wanted: 30, capacities: [0, 100], capacity: 100, share: 30 },
    { why: 'nothing wanted', wanted: 0, capacities: [100, 100], capacity: 100, share: 0 },
  ])('$why', ({ wanted, capacities, capacity, share }) => {
    expect(fairShare(wanted, capacities, capacity)).toBe(share);
  });

  it('never leaves a camera unpulled while the nodes have room', () => {
    for (const capacities of [
      [5, 100, 100],
      [1, 2, 3, 50],
      [7, 7, 7],
      [0, 0, 9],
      [3, 1000],
    ]) {
      const room = capacities.reduce((a, b) => a + b, 0);
      for (let wanted = 0; wanted <= room; wanted++) {
        const total = capacities.reduce((sum, c) => sum + fairShare(wanted, capacities, c), 0);
        expect(total).toBeGreaterThanOrEqual(wanted);
        for (const c of capacities) expect(fairShare(wanted, capacities, c)).toBeLessThanOrEqual(c);
      }
    }
  });
});
