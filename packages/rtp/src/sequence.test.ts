import { describe, expect, it } from 'vitest';
import { sequenceDistance } from './sequence.js';

describe('sequenceDistance (RFC 3550 §A.1)', () => {
  it.each([
    [1, 2, 1],
    [2, 1, -1],
    [65535, 0, 1],
    [0, 65535, -1],
    [65530, 4, 10],
    [100, 100, 0],
    [0, 32767, 32767],
    [0, 32768, -32768],
  ])('%i -> %i is %i', (from, to, want) => {
    expect(sequenceDistance(from, to)).toBe(want);
  });
});
