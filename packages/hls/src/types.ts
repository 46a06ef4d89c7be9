import type { TrackConfig } from '@camgate/fmp4';

/** The two renditions a camera stream has: video and audio are separate CMAF tracks. */
export type RenditionName = 'video' | 'audio';

/** What the packager needs to know about a track (the gateway maps the RTSP client's tracks to this). */
export interface HlsTrack {
  kind: RenditionName;
  /** Codec configuration for the init segment (parameter sets, AudioSpecificConfig). */
  config: TrackConfig;
  /** Unit of the frames' dts and pts. */
  clockRate: number;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  channels?: number;
}

/** One frame in, in arrival order (the RTSP client's Frame, with the rendition instead of a track id). */
export interface HlsFrame {
  kind: RenditionName;
  /** Decode time in the track's clock. */
  dts: number;
  /** Presentation time in the track's clock (>= dts). */
  pts: number;
  keyframe: boolean;
  /** The input timeline was re-based before this frame (camera reconnect, timestamp jump). */
  discontinuity: boolean;
  /** Wall-clock time of the frame, ms since the epoch (for PROGRAM-DATE-TIME). */
  wallclock: number;
  /** Video: 4-byte length-prefixed NAL units. Audio: one raw frame. */
  data: Uint8Array;
}

/**
 * What takes a camera's frames: the live packager (HlsStream), a recorder. The same calls in the
 * same order reach every sink of a camera (SessionBridge in the gateway fans them out): tracks
 * first, then frames in arrival order, and markDiscontinuity() before the frames of each new
 * connection. A frame's data is the caller's again once push() returns (the RTSP client reuses
 * that memory): a sink copies what it keeps.
 */
export interface FrameSink {
  /** A track before its first frame, or its changed codec configuration; throws a coded error to refuse it. */
  setTrack(track: HlsTrack): void;
  push(frame: HlsFrame): void;
  /** The following frames come from a new connection (a new epoch of input timestamps). */
  markDiscontinuity(): void;
}

/** An HTTP-shaped answer, independent of any HTTP library. */
export interface HlsResponse {
  status: number;
  headers: Record<string, string>;
  /** A playlist as text, or media bytes; a segment is its parts' bytes in order (sent without joining them). */
  body: string | Uint8Array | readonly Uint8Array[];
  /**
   * Present on media answers whose body is memory the stream reuses (parts, segments): the sender
   * calls it exactly once, when the body has been written out or abandoned (the HTTP response's
   * 'close'). Until then the bytes are never overwritten; after it they may be at any time. A call
   * after the first does nothing. Not calling it costs the reuse of that memory, not a leak.
   */
  release?: () => void;
}
