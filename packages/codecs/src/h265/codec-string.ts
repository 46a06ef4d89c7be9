import { type H265ProfileTierLevel } from './profile-tier-level.js';
import { type H265Sps } from './sps.js';

/**
 * The codec string of an H.265 track (ISO/IEC 14496-15 Annex E.3), as GPAC's MP4Box writes it:
 * `hvc1.` then the profile (general_profile_space as '', 'A', 'B' or 'C', then general_profile_idc),
 * the 32 compatibility flags bit-reversed in hex, the tier ('L' or 'H') with general_level_idc,
 * and the 6 constraint bytes in hex with trailing zero bytes dropped (at least one kept).
 * Example: 'hvc1.1.6.L93.B0' (Main, level 3.1).
 */
export function h265CodecString(sps: Pick<H265Sps, 'profileTierLevel'>, sampleEntry: 'hvc1' | 'hev1' = 'hvc1'): string {
  return `${sampleEntry}.${h265CodecParameters(sps.profileTierLevel)}`;
}

function h265CodecParameters(ptl: H265ProfileTierLevel): string {
  const space = ['', 'A', 'B', 'C'][ptl.generalProfileSpace] ?? '';
  const compatibility = reverseBits32(ptl.generalProfileCompatibilityFlags).toString(16).toUpperCase();
  const tier = ptl.generalTierFlag === 1 ? 'H' : 'L';
  const constraints = [...ptl.generalConstraintIndicatorFlags];
  while (constraints.length > 1 && constraints[constraints.length - 1] === 0) constraints.pop();
  const constraintPart = constraints.map((byte) => byte.toString(16).toUpperCase()).join('.');
  return `${space}${ptl.generalProfileIdc}.${compatibility}.${tier}${ptl.generalLevelIdc}.${constraintPart}`;
}

function reverseBits32(value: number): number {
  let reversed = 0;
  for (let i = 0; i < 32; i++) reversed = reversed * 2 + (Math.floor(value / 2 ** i) % 2);
  return reversed;
}
