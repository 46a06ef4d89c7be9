/**
 * Deterministic pseudo-random bytes (xorshift32) for benchmarks and synthetic media: payloads that
 * cost what real compressed pictures cost to move (they are never decoded), the same every run.
 */
export function noiseBytes(length: number, seed = 0x2545f491): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
