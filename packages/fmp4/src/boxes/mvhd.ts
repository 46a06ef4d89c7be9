import type { BoxWriter } from '../box-writer.js';
import { writeUnityMatrix } from './matrix.js';

/** A version 0 MovieHeaderBox is 108 bytes (ISO/IEC 14496-12 §8.2.2.2). */
export const MVHD_SIZE = 108;

/**
 * MovieHeaderBox (ISO/IEC 14496-12 §8.2.2), version 0. Times and duration are 0: a fragmented
 * movie's duration is unknown up front and mvex carries no mehd (CMAF ISO/IEC 23000-19 §7.5.1).
 */
export function writeMvhd(w: BoxWriter, movie: { timescale: number; nextTrackId: number }): void {
  const box = w.startFullBox('mvhd', 0, 0);
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(movie.timescale);
  w.u32(0); // duration
  w.u32(0x00010000); // rate 1.0
  w.u16(0x0100); // volume 1.0
  w.zeros(2 + 8); // reserved
  writeUnityMatrix(w);
  w.zeros(24); // pre_defined
  w.u32(movie.nextTrackId);
  w.endBox(box);
}
