import type { BoxWriter } from '../box-writer.js';

/** TrackExtendsBox: full box header and five 32-bit fields (ISO/IEC 14496-12 §8.8.3.2). */
export const TREX_SIZE = 32;

export function mvexSize(trackCount: number): number {
  return 8 + TREX_SIZE * trackCount;
}

/**
 * MovieExtendsBox (§8.8.1) with one TrackExtendsBox (§8.8.3) per track: sample description 1 and
 * zero defaults, since every trun carries each sample's duration, size and flags.
 */
export function writeMvex(w: BoxWriter, trackIds: readonly number[]): void {
  const mvex = w.startBox('mvex');
  for (const trackId of trackIds) {
    const trex = w.startFullBox('trex', 0, 0);
    w.u32(trackId);
    w.u32(1); // default_sample_description_index
    w.u32(0); // default_sample_duration
    w.u32(0); // default_sample_size
    w.u32(0); // default_sample_flags
    w.endBox(trex);
  }
  w.endBox(mvex);
}
