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
