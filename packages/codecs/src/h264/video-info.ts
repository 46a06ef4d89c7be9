import { h264CodecString } from './codec-string.js';
import { type H264Sps, parseH264Sps } from './sps.js';

/** What the gateway shows and signals about a video track. */
export interface VideoInfo {
  codec: 'h264' | 'h265';
  /** RFC 6381 codec string: avc1.PPCCLL or hvc1.... */
  codecString: string;
  /** Luma samples after cropping. */
  width: number;
  height: number;
  fps?: number;
  /** Profile name as ffprobe prints it: 'High', 'Main', 'Constrained Baseline', 'Main 10'. */
  profile: string;
  /** Level as a decimal: '3.1', '4.0', '1b'. */
  level: string;
}

/** Video information from an H.264 SPS NAL unit (with header and emulation prevention). */
export function h264VideoInfo(sps: Uint8Array): VideoInfo {
  const parsed = parseH264Sps(sps);
  const info: VideoInfo = {
    codec: 'h264',
    codecString: h264CodecString(sps),
    width: parsed.width,
    height: parsed.height,
    profile: h264ProfileName(parsed),
    level: h264LevelName(parsed),
  };
  if (parsed.fps !== undefined) info.fps = parsed.fps;
  return info;
}

/** Profile names of H.264 Annex A, spelled as ffmpeg does (libavcodec/profiles.c). */
export function h264ProfileName(sps: Pick<H264Sps, 'profileIdc' | 'constraintSetFlags'>): string {
  const set1 = (sps.constraintSetFlags & 0x40) !== 0;
  const set3 = (sps.constraintSetFlags & 0x10) !== 0;
  switch (sps.profileIdc) {
    case 66:
      return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      return 'High';
    case 110:
      return set3 ? 'High 10 Intra' : 'High 10';
    case 122:
      return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4';
    case 118:
      return 'Multiview High';
    case 128:
      return 'Stereo High';
    default:
      return `profile ${sps.profileIdc}`;
  }
}

/** level_idc as a level number (A.3.1): 31 -> '3.1', 40 -> '4.0'; level 1b is 11 with constraint_set3 in Baseline/Main/Extended, or 9. */
export function h264LevelName(sps: Pick<H264Sps, 'profileIdc' | 'constraintSetFlags' | 'levelIdc'>): string {
  const set3 = (sps.constraintSetFlags & 0x10) !== 0;
  const baseProfile = sps.profileIdc === 66 || sps.profileIdc === 77 || sps.profileIdc === 88;
  if (sps.levelIdc === 9 || (sps.levelIdc === 11 && set3 && baseProfile)) return '1b';
  return `${Math.floor(sps.levelIdc / 10)}.${sps.levelIdc % 10}`;
}
