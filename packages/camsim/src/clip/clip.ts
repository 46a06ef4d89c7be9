/** The codecs of the bundled clips. */
export type Codec = 'h264' | 'h265' | 'aac' | 'pcma' | 'pcmu' | 'l16';

/** Codec configuration, as an SDP announces it (sprop-parameter-sets, sprop-vps/sps/pps, config=). */
export interface ClipConfig {
  /** H.264 or H.265 sequence parameter set NAL unit. */
  sps?: Uint8Array;
  /** H.264 or H.265 picture parameter set NAL unit. */
  pps?: Uint8Array;
  /** H.265 video parameter set NAL unit. */
  vps?: Uint8Array;
  /** AAC AudioSpecificConfig (ISO 14496-3 §1.6.2.1), raw bytes. */
  audioSpecificConfig?: Uint8Array;
}

export interface ClipFrame {
  /** Presentation time in clock ticks from the loop start: 0 <= pts < durationTicks. */
  pts: number;
  /** Decode time in clock ticks; increasing, <= pts, negative for frames decoded before the first is shown. */
  dts: number;
  keyframe: boolean;
  /** Video: NAL units, each after a 4-byte big-endian length, parameter sets in-band before keyframes. Audio: one raw AAC AU, or one 20 ms G.711 frame. */
  data: Uint8Array;
}

export interface ClipTrack {
  kind: 'video' | 'audio';
  codec: Codec;
  /** RTP clock rate: 90 000 for video, the sampling rate for audio. */
  clockRate: number;
  /** Audio only. */
  channels?: number;
  config: ClipConfig;
  /** Loop length in clock ticks: the same duration for every track of a clip. */
  durationTicks: number;
  /** In decode order. */
  frames: ClipFrame[];
}

export interface Clip {
  name: string;
  durationMs: number;
  tracks: ClipTrack[];
}
