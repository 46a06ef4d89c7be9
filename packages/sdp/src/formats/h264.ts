import type { TrackFormat } from '../track-format.js';
import { decodeSpropNalUnits } from './parameter-sets.js';

/** H.264 nal_unit_type values (H.264 table 7-1). */
const NAL_SPS = 7;
const NAL_PPS = 8;
/** Smallest SPS that holds profile_idc, the constraint flags and level_idc after the header (H.264 §7.3.2.1.1). */
const MIN_SPS_BYTES = 4;
/** A PPS has a header and at least its two ue(v) ids (H.264 §7.3.2.2). */
const MIN_PPS_BYTES = 2;

/**
 * H.264 over RTP (RFC 6184). The clock is 90 kHz (§8.2.1) when the rtpmap gives none.
 * Parameter sets come from `sprop-parameter-sets` when they are usable; otherwise the
 * depacketizer learns them in-band (no sprop, or a broken one: retina#42).
 */
export function resolveH264(payloadType: number, clockRate: number, fmtp: ReadonlyMap<string, string>): TrackFormat {
  // packetization-mode: 0 (single NAL, the default), 1 (non-interleaved) or 2 (interleaved), RFC 6184 §8.1.
  const mode = fmtp.get('packetization-mode')?.trim();
  let packetizationMode = 0;
  if (mode === '1') packetizationMode = 1;
  else if (mode === '2') {
    return {
      codec: 'unsupported',
      payloadType,
      encoding: 'H264',
      reason: 'H.264 interleaved mode (packetization-mode=2) is not supported',
    };
  }
  // Anything else ('0', absent, garbage) is the default mode 0, which only makes the client prefer TCP.

  const format: Extract<TrackFormat, { codec: 'h264' }> = {
    codec: 'h264',
    payloadType,
    clockRate: clockRate === 0 ? 90_000 : clockRate,
    packetizationMode,
  };
  const profileLevelId = fmtp.get('profile-level-id')?.trim();
  if (profileLevelId !== undefined && profileLevelId !== '') format.profileLevelId = profileLevelId;

  const sprop = fmtp.get('sprop-parameter-sets');
  if (sprop !== undefined) {
    for (const nal of decodeSpropNalUnits(sprop)) {
      const header = nal[0] as number;
      if ((header & 0x80) !== 0) continue; // forbidden_zero_bit set: not a NAL unit (VStarcam, retina#42)
      const type = header & 0x1f;
      if (type === NAL_SPS && format.sps === undefined && nal.length >= MIN_SPS_BYTES) format.sps = nal;
      else if (type === NAL_PPS && format.pps === undefined && nal.length >= MIN_PPS_BYTES) format.pps = nal;
    }
  }
  return format;
}
