import { splitAnnexB } from './annexb.js';

/**
 * Splits an Annex-B elementary stream (an .h264/.h265 file, a camera's raw dump) into access
 * units: arrays of NAL units, subarrays of `stream` (no copy).
 *
 * A new access unit starts at a NAL unit that may only come first in one (access unit
 * delimiter, parameter sets, prefix SEI, the reserved types listed by the spec) or at the first
 * slice of a picture, once the current unit holds a slice: H.264 §7.4.1.2.3, H.265 §7.4.2.4.4.
 * The first slice of a picture is recognised from its first header bit: first_mb_in_slice == 0
 * (ue(v) code "1") in H.264, first_slice_segment_in_pic_flag in H.265.
 */
export function splitAccessUnits(stream: Uint8Array, codec: 'h264' | 'h265'): Uint8Array[][] {
  const units: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let hasSlice = false;
  const classify = codec === 'h264' ? classifyH264 : classifyH265;
  for (const nal of splitAnnexB(stream)) {
    const kind = classify(nal);
    if ((kind === NalRole.Opens || kind === NalRole.FirstSlice) && hasSlice) {
      units.push(current);
      current = [];
      hasSlice = false;
    }
    current.push(nal);
    if (kind === NalRole.FirstSlice || kind === NalRole.Slice) hasSlice = true;
  }
  if (current.length > 0) units.push(current);
  return units;
}

const NalRole = {
  /** Can only open an access unit (AUD, parameter sets, prefix SEI, ...). */
  Opens: 0,
  /** First slice of a picture. */
  FirstSlice: 1,
  /** A later slice of the same picture. */
  Slice: 2,
  /** Anything else (end of sequence, filler, suffix SEI, ...). */
  Other: 3,
} as const;
type NalRole = (typeof NalRole)[keyof typeof NalRole];

// Slices can be a single byte long when damaged: a missing byte reads as "not first".
function classifyH264(nal: Uint8Array): NalRole {
  const type = (nal[0] ?? 0) & 0x1f;
  // 1..5: coded slices (2..4 are data partitions A/B/C; only A carries the slice header).
  if (type === 1 || type === 2 || type === 5) return ((nal[1] ?? 0) & 0x80) !== 0 ? NalRole.FirstSlice : NalRole.Slice;
  if (type === 3 || type === 4) return NalRole.Slice;
  // 6 SEI, 7 SPS, 8 PPS, 9 AUD, 14..18 (prefix NAL, subset SPS, DPS, reserved).
  if (type === 6 || type === 7 || type === 8 || type === 9 || (type >= 14 && type <= 18)) return NalRole.Opens;
  return NalRole.Other;
}

function classifyH265(nal: Uint8Array): NalRole {
  const type = ((nal[0] ?? 0) >> 1) & 0x3f;
  // 0..31: VCL NAL units; first_slice_segment_in_pic_flag is the first bit after the 2-byte header.
  if (type <= 31) return ((nal[2] ?? 0) & 0x80) !== 0 ? NalRole.FirstSlice : NalRole.Slice;
  // 32 VPS, 33 SPS, 34 PPS, 35 AUD, 39 prefix SEI, 41..44 and 48..55 reserved/unspecified.
  if ((type >= 32 && type <= 35) || type === 39 || (type >= 41 && type <= 44) || (type >= 48 && type <= 55))
    return NalRole.Opens;
  return NalRole.Other;
}
