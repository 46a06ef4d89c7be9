/** Signed distance from sequence number `from` to `to`, modulo 2^16 (RFC 3550 §A.1): in [-32768, 32767]. */
export function sequenceDistance(from: number, to: number): number {
  return ((to - from + 0x8000) & 0xffff) - 0x8000;
}
