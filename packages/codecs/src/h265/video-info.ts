import { type VideoInfo } from '../h264/video-info.js';
import { h265CodecString } from './codec-string.js';
import { type H265ProfileTierLevel } from './profile-tier-level.js';
import { parseH265Sps } from './sps.js';

/** Video information from an H.265 SPS NAL unit (with header and emulation prevention). */
export function h265VideoInfo(sps: Uint8Array): VideoInfo {
  const parsed = parseH265Sps(sps);
  const ptl = parsed.profileTierLevel;
  const info: VideoInfo = {
    codec: 'h265',
    codecString: h265CodecString(parsed),
    width: parsed.width,
    height: parsed.height,
    profile: h265ProfileName(ptl),
    level: h265LevelName(ptl),
  };
  if (parsed.fps !== undefined) info.fps = parsed.fps;
  return info;
}

/** H.265 Annex A profile names; the first four as ffmpeg spells them (libavcodec/profiles.c). */
const PROFILE_NAMES: Readonly<Record<number, string>> = {
  1: 'Main',
  2: 'Main 10',
  3: 'Main Still Picture',
  4: 'Rext',
  5: 'High Throughput 4:4:4',
  6: 'Multiview Main',
  7: 'Scalable Main',
  8: '3D Main',
  9: 'Screen Extended',
  10: 'Scalable Format Range Extensions',
  11: 'High Throughput Screen Extended',
};

/**
 * general_profile_idc, or for 0 the first compatible profile (A.3: a decoder conforming to
 * profile j decodes streams that set general_profile_compatibility_flag[j]).
 */
export function h265ProfileName(ptl: H265ProfileTierLevel): string {
  let idc = ptl.generalProfileIdc;
  if (idc === 0) {
    for (let j = 1; j < 32; j++) {
      if (Math.floor(ptl.generalProfileCompatibilityFlags / 2 ** (31 - j)) % 2 === 1) {
        idc = j;
        break;
      }
    }
  }
  return PROFILE_NAMES[idc] ?? `profile ${idc}`;
}

/** general_level_idc is 30 times the level (A.4.1): 93 -> '3.1', 120 -> '4.0'. */
export function h265LevelName(ptl: H265ProfileTierLevel): string {
  const level = ptl.generalLevelIdc;
  return `${Math.floor(level / 30)}.${Math.round((level % 30) / 3)}`;
}
