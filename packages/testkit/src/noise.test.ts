import { describe, expect, it } from 'vitest';
import { noiseBytes } from './noise.js';

describe('noiseBytes', () => {
  it('is the same for the same seed and differs between seeds', () => {
    expect(noiseBytes(64)).toEqual(noiseBytes(64));
    expect(noiseBytes(64, 1)).not.toEqual(noiseBytes(64, 2));
  });

  it('spreads over all byte values', () => {
    expect(new Set(noiseBytes(4096)).size).toBe(256);
  });
});
