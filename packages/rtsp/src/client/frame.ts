/**
 * One frame of one track, on the session timeline.
 *
 * Contract: `data` is valid only while the session's 'frame' listeners run. The
 * receive path reuses that memory afterwards, without allocating: audio frames
 * are views on the connection's socket read buffer (overwritten by the next
 * read), video frames views on the track's access-unit slab (overwritten when
 * the slab wraps around). A consumer that keeps bytes after its listener
 * returns copies them, into memory it reuses where it can. The frame object
 * itself and its other fields may be kept.
 */
export interface Frame {
  trackId: number;
  /** Decode time in the track's clock (64-bit, exact as a JavaScript integer). */
  dts: number;
  /** Presentation time in the track's clock; differs from dts for B-frames. */
  pts: number;
  /** A random-access point: video IDR/IRAP with its parameter sets in front; every audio frame. */
  keyframe: boolean;
  /** The timeline was re-based before this frame (timestamp jump, SSRC change, transport switch). */
  discontinuity: boolean;
  /** Wall-clock time in ms since the epoch: from the camera's RTCP sender reports when known, else arrival. */
  wallclock: number;
  /**
   * Video: 4-byte length-prefixed NAL units. Audio: one raw frame (AAC without ADTS, G.711, Opus).
   * Valid only during the 'frame' listeners: copy to keep (see above).
   */
  data: Uint8Array;
}
