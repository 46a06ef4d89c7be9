import type { BoxWriter } from '../box-writer.js';
import { writeUnityMatrix } from './matrix.js';

/** A version 0 TrackHeaderBox is 92 bytes (ISO/IEC 14496-12 §8.3.2.2). */
export const TKHD_SIZE = 92;

/** track_enabled | track_in_movie | track_in_preview (§8.3.2.3). */
const TKHD_FLAGS = 0x000007;

export interface TrackHeader {
  trackId: number;
  /** Presentation size in pixels (0 for audio), written as 16.16 fixed point. */
  width: number;
  height: number;
  /** 0x0100 (full volume) for audio tracks, 0 otherwise (§8.3.2.3). */
  audio: boolean;
}

/** TrackHeaderBox (ISO/IEC 14496-12 §8.3.2), version 0, duration 0 (fragmented). */
export function writeTkhd(w: BoxWriter, track: TrackHeader): void {
  const box = w.startFullBox('tkhd', 0, TKHD_FLAGS);
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(track.trackId);
  w.u32(0); // reserved
  w.u32(0); // duration
  w.zeros(8); // reserved
  w.u16(0); // layer
  w.u16(0); // alternate_group
  w.u16(track.audio ? 0x0100 : 0); // volume
  w.u16(0); // reserved
  writeUnityMatrix(w);
  w.u32(track.width * 0x10000);
  w.u32(track.height * 0x10000);
  w.endBox(box);
}
