import { CodecsError, CodecsErrorCode } from '../errors.js';
import { H264NalType, h264NalType } from './nal-unit.js';

/**
 * RFC 6381 §3.3 codec string `avc1.PPCCLL` from an SPS NAL unit: profile_idc,
 * the constraint-flag byte and level_idc, which are the three bytes after the
 * NAL header (H.264 §7.3.2.1.1) and are never emulation-prevented.
 */
export function h264CodecString(sps: Uint8Array): string {
  if (sps.length < 4 || h264NalType(sps) !== H264NalType.SPS) {
    throw new CodecsError(
      CodecsErrorCode.INVALID_PARAMETER_SET,
      `not an H.264 SPS (${sps.length} bytes, NAL type ${h264NalType(sps)})`,
    );
  }
  return `avc1.${hex(sps[1])}${hex(sps[2])}${hex(sps[3])}`;
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0');
}
