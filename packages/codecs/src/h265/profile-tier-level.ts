import { type BitReader } from '@camgate/bits';

/** The general part of profile_tier_level() (H.265 §7.3.3), which codec strings are built from. */
export interface H265ProfileTierLevel {
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag j in bit 31 - j (the order they are coded in). */
  generalProfileCompatibilityFlags: number;
  /** The 48 bits from general_progressive_source_flag on, as 6 bytes. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
}

/**
 * Parses profile_tier_level(1, maxSubLayersMinus1) (§7.3.3), keeping the general part and skipping
 * the sub-layer parts.
 */
export function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): H265ProfileTierLevel {
  const generalProfileSpace = r.readBits(2);
  const generalTierFlag = r.readBits(1);
  const generalProfileIdc = r.readBits(5);
  const generalProfileCompatibilityFlags = r.readBits(32);
  const generalConstraintIndicatorFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) generalConstraintIndicatorFlags[i] = r.readBits(8);
  const generalLevelIdc = r.readBits(8);

  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    // sub_layer profile: space, tier, idc, 32 compatibility flags, 48 constraint bits (88 bits).
    if (profilePresent[i] === true) r.skipBits(88);
    if (levelPresent[i] === true) r.skipBits(8); // sub_layer_level_idc
  }
  return {
    generalProfileSpace,
    generalTierFlag,
    generalProfileIdc,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags,
    generalLevelIdc,
  };
}
