/** One frame of one track, on the session timeline. */
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
  /** Video: 4-byte length-prefixed NAL units. Audio: one raw frame (AAC without ADTS, G.711, Opus). */
  data: Uint8Array;
}
