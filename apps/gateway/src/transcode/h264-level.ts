/**
 * The H.264 level a transcoded picture needs, from its size and frame rate (H.264 Table A-1), so
 * that the variant's CODECS string (`avc1.6400<level>`) is known before ffmpeg runs: a player
 * chooses a variant by it, and the multivariant playlist lists the variant while nothing runs.
 */

export interface H264Level {
  /** level_idc: 10 x the level number (3.1 -> 31). */
  idc: number;
  /** As ffmpeg's `-level` takes it: `3.1`. */
  name: string;
  /** MaxMBPS: macroblocks per second. */
  maxMbps: number;
  /** MaxFS: macroblocks per frame. */
  maxFs: number;
  /** MaxBR for High profile, bits/s (Table A-1 MaxBR x 1.25 for High, Table A-2 cpbBrVclFactor). */
  maxBitrate: number;
}

/** H.264 Table A-1 from level 3 up (smaller pictures still get 3.0: every browser decodes it). */
export const H264_LEVELS: readonly H264Level[] = [
  { idc: 30, name: '3.0', maxMbps: 40_500, maxFs: 1_620, maxBitrate: 12_500_000 },
  { idc: 31, name: '3.1', maxMbps: 108_000, maxFs: 3_600, maxBitrate: 17_500_000 },
  { idc: 32, name: '3.2', maxMbps: 216_000, maxFs: 5_120, maxBitrate: 25_000_000 },
  { idc: 40, name: '4.0', maxMbps: 245_760, maxFs: 8_192, maxBitrate: 25_000_000 },
  { idc: 41, name: '4.1', maxMbps: 245_760, maxFs: 8_192, maxBitrate: 62_500_000 },
  { idc: 42, name: '4.2', maxMbps: 522_240, maxFs: 8_704, maxBitrate: 62_500_000 },
  { idc: 50, name: '5.0', maxMbps: 589_824, maxFs: 22_080, maxBitrate: 168_750_000 },
  { idc: 51, name: '5.1', maxMbps: 983_040, maxFs: 36_864, maxBitrate: 300_000_000 },
  { idc: 52, name: '5.2', maxMbps: 2_073_600, maxFs: 36_864, maxBitrate: 300_000_000 },
];

/** 30 fps when the camera does not say: the most common camera rate that is not below the truth. */
export const ASSUMED_FPS = 30;

/**
 * The lowest level that holds `width` x `height` at `fps` (MaxFS, MaxMBPS, and the A.3.1 rule that
 * neither side exceeds sqrt(8 x MaxFS) macroblocks); undefined beyond level 5.2 (8K).
 */
export function h264LevelFor(width: number, height: number, fps = ASSUMED_FPS): H264Level | undefined {
  const mbWide = Math.ceil(width / 16);
  const mbHigh = Math.ceil(height / 16);
  const frameMbs = mbWide * mbHigh;
  const rate = frameMbs * Math.max(1, fps);
  return H264_LEVELS.find(
    (level) =>
      frameMbs <= level.maxFs && rate <= level.maxMbps && Math.max(mbWide, mbHigh) <= Math.sqrt(8 * level.maxFs),
  );
}

/** H.264 profile_idc 100 (High): what every browser decodes, and x264's default. */
export const H264_HIGH_PROFILE_IDC = 100;

/**
 * RFC 6381 `avc1.PPCCLL` for High profile at `level`: constraint byte 00, as x264 writes it for
 * High (no constraint_set flags; checked against the first SPS ffmpeg writes).
 */
export function h264HighCodecString(level: H264Level): string {
  return `avc1.${H264_HIGH_PROFILE_IDC.toString(16)}00${level.idc.toString(16).padStart(2, '0')}`;
}

/**
 * The bit rate the encoder is held to (VBV maxrate), bits/s: 0.1 bit per pixel at the frame rate
 * (about what x264 `veryfast` needs for camera pictures at good quality), from 300 kbit/s, and
 * within the level's MaxBR. BANDWIDTH in the multivariant playlist is this plus the audio.
 */
export function transcodeBitrate(width: number, height: number, fps: number, level: H264Level): number {
  const MIN_BITRATE = 300_000;
  const BITS_PER_PIXEL = 0.1;
  const wanted = Math.max(MIN_BITRATE, Math.round(width * height * Math.max(1, fps) * BITS_PER_PIXEL));
  return Math.min(wanted, level.maxBitrate);
}
