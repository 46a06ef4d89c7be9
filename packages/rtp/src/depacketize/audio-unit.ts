/** One audio frame: an AAC access unit (raw, no ADTS), a G.711 block, or an Opus packet. */
export interface AudioUnit {
  /** RTP timestamp (32-bit) of this frame: the packet's, plus the frames before it in the packet. */
  timestamp: number;
  data: Uint8Array;
}

/** Reads `bits` (<= 32) bits MSB-first at bit offset `at` of `data`, which the caller has bounds-checked. */
export function readBitsAt(data: Uint8Array, at: number, bits: number): number {
  let value = 0;
  for (let i = 0; i < bits; i++) {
    const bit = ((data[(at + i) >>> 3] as number) >>> (7 - ((at + i) & 7))) & 1;
    value = value * 2 + bit;
  }
  return value;
}
