import { packetizeAac, packetizeH264, packetizeH265, packetizeRaw, type RtpPayload } from '@camgate/rtp';
import type { Clip, ClipTrack } from '../clip/index.js';

export interface PacketizeOptions {
  /** RTP payload size limit: 1400 by default; Tapo cameras send 10000-byte packets (go2rtc). */
  maxPayloadSize?: number;
  /** Aggregate small NAL units (STAP-A / AP), default true. */
  aggregate?: boolean;
}

export interface PacketizedFrame {
  /** Send time from the loop start, in ms (decode order for video). */
  sendMs: number;
  /** RTP timestamp offset from the loop start (the presentation time). */
  rtpOffset: number;
  keyframe: boolean;
  packets: RtpPayload[];
}

export interface PacketizedTrack {
  track: ClipTrack;
  payloadType: number;
  frames: PacketizedFrame[];
  /** Loop length in RTP ticks and in ms. */
  durationTicks: number;
  durationMs: number;
}

/** Payload types camsim announces: dynamic for H.264/H.265/AAC, static 8 for PCMA and 0 for PCMU (RFC 3551 table 4). */
export function payloadTypeOf(track: ClipTrack): number {
  if (track.codec === 'pcma') return 8;
  if (track.codec === 'pcmu') return 0;
  return track.kind === 'video' ? 96 : 97;
}

/**
 * RTP payloads for every frame of a clip, made once and shared by every
 * session: sending then costs a 12-byte header per packet, no re-packetizing.
 */
export function packetizeClip(clip: Clip, options: PacketizeOptions = {}): PacketizedTrack[] {
  const nalOptions = {
    ...(options.maxPayloadSize === undefined ? {} : { maxPayloadSize: options.maxPayloadSize }),
    ...(options.aggregate === undefined ? {} : { aggregate: options.aggregate }),
  };
  return clip.tracks.map((track) => {
    const firstDts = Math.min(...track.frames.map((f) => f.dts));
    const toMs = (ticks: number) => (ticks * 1000) / track.clockRate;
    const frames = track.frames.map((frame): PacketizedFrame => {
      let packets: RtpPayload[];
      if (track.codec === 'h264') packets = packetizeH264(splitLengthPrefixed(frame.data), nalOptions);
      else if (track.codec === 'h265') packets = packetizeH265(splitLengthPrefixed(frame.data), nalOptions);
      else if (track.codec === 'aac') packets = packetizeAac([{ data: frame.data, timestamp: 0 }], nalOptions);
      else packets = packetizeRaw(frame.data);
      return { sendMs: toMs(frame.dts - firstDts), rtpOffset: frame.pts, keyframe: frame.keyframe, packets };
    });
    return {
      track,
      payloadType: payloadTypeOf(track),
      frames,
      durationTicks: track.durationTicks,
      durationMs: toMs(track.durationTicks),
    };
  });
}

function splitLengthPrefixed(data: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at + 4 <= data.length;) {
    const size = view.getUint32(at);
    nals.push(data.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return nals;
}
