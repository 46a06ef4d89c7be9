/**
 * What a track's sample entry is made from: parameter sets and decoder configurations as the
 * camera sends them (SDP fmtp or in-band).
 */
export type TrackConfig =
  /** NAL units with their header byte, as sent (emulation prevention in place). */
  | { kind: 'video'; codec: 'h264'; sps: Uint8Array; pps: Uint8Array }
  | { kind: 'video'; codec: 'h265'; vps: Uint8Array; sps: Uint8Array; pps: Uint8Array }
  /** The raw AudioSpecificConfig bytes, from the SDP config= or in-band. */
  | { kind: 'audio'; codec: 'aac'; audioSpecificConfig: Uint8Array }
  /** RTP Opus (RFC 7587): 1 or 2 channels; `sampleRate` is the encoder's input rate (informational). */
  | { kind: 'audio'; codec: 'opus'; channels: number; sampleRate: number; preSkip?: number }
  /**
   * FLAC frames of 16-bit PCM (G.711 or L16 from the camera, expanded and encoded by camgate):
   * 1 or 2 channels; the block sizes default to the range camgate's encoder writes (16..4608).
   */
  | {
      kind: 'audio';
      codec: 'flac';
      channels: number;
      sampleRate: number;
      minBlockSize?: number;
      maxBlockSize?: number;
    };

/** A track of an init segment. */
export interface InitTrack {
  /** track_ID, 1 .. 2^32 - 1; the fragments' FragmentTrack.id refers to it. */
  id: number;
  /** Media timescale in ticks per second (e.g. 90000 for video, the sample rate for audio). */
  timescale: number;
  config: TrackConfig;
}
