import { BitReader, removeEmulationPrevention } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { MAX_PARAMETER_SET_BYTES, MAX_PICTURE_DIMENSION } from '../limits.js';
import { readSe, readUe, withCode } from '../syntax.js';
import { H264NalType, h264NalType } from './nal-unit.js';
import { type H264Vui, parseH264Vui } from './vui.js';

/** A sequence parameter set (H.264 §7.3.2.1.1), with the VUI fields camgate uses (Annex E). */
export interface H264Sps {
  profileIdc: number;
  /** constraint_set0_flag (0x80) .. constraint_set5_flag (0x04), as the byte after profile_idc. */
  constraintSetFlags: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  /** Only meaningful for picOrderCntType 0 (else 0). */
  log2MaxPicOrderCntLsb: number;
  deltaPicOrderAlwaysZero: boolean;
  offsetForNonRefPic: number;
  offsetForTopToBottomField: number;
  offsetsForRefFrame: number[];
  maxNumRefFrames: number;
  frameMbsOnly: boolean;
  mbAdaptiveFrameField: boolean;
  direct8x8Inference: boolean;
  /** Luma samples after frame cropping. */
  width: number;
  height: number;
  sampleAspectRatio?: { num: number; den: number };
  /** VUI timing_info: time_scale / (2 * num_units_in_tick), only when present and 0 < fps <= 300. */
  fps?: number;
  /** VUI bitstream_restriction, when present. */
  maxNumReorderFrames?: number;
  maxDecFrameBuffering?: number;
  /** PicWidthInMbs (7-13). */
  picWidthInMbs?: number;
  /** PicHeightInMapUnits (7-16): macroblock rows, or pairs of rows when frameMbsOnly is false. */
  picHeightInMapUnits?: number;
  gapsInFrameNumAllowed?: boolean;
  frameCropping?: { left: number; right: number; top: number; bottom: number };
  vui?: H264Vui;
}

/** profile_idc values whose SPS carries chroma_format_idc, bit depths and scaling matrices (§7.3.2.1.1). */
const HIGH_PROFILES: ReadonlySet<number> = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
/** 255: the range of num_ref_frames_in_pic_order_cnt_cycle (§7.4.2.1.1). */
const MAX_REF_FRAMES_IN_POC_CYCLE = 255;
/** 0 < fps <= 300: cameras run at 1..120 fps; anything else in timing_info is a camera bug. */
const MAX_SANE_FPS = 300;
const MAX_PIC_WIDTH_IN_MBS = MAX_PICTURE_DIMENSION / 16;

const INVALID = CodecsErrorCode.INVALID_PARAMETER_SET;

/**
 * Parses an H.264 SPS NAL unit: the whole NAL unit including its 1-byte header, with emulation
 * prevention bytes still in it. Throws CODECS_INVALID_PARAMETER_SET for malformed input and
 * CODECS_UNSUPPORTED for pictures larger than 16384 samples either way.
 */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4 || h264NalType(nal) !== H264NalType.SPS) {
    throw new CodecsError(INVALID, `not an H.264 SPS (${nal.length} bytes, NAL type ${h264NalType(nal)})`);
  }
  if (nal.length > MAX_PARAMETER_SET_BYTES) {
    throw new CodecsError(INVALID, `H.264 SPS of ${nal.length} bytes exceeds ${MAX_PARAMETER_SET_BYTES}`);
  }
  return withCode(INVALID, 'H.264 SPS', () => readSps(new BitReader(removeEmulationPrevention(nal.subarray(1)))));
}

/** True for the profiles that cannot contain B slices or reordering: Baseline, and intra-only profiles. */
export function h264ProfileHasNoReordering(sps: Pick<H264Sps, 'profileIdc' | 'constraintSetFlags'>): boolean {
  const constraintSet3 = (sps.constraintSetFlags & 0x10) !== 0;
  // A.2.1: Baseline has no B slices. A.2.8-A.2.11: constraint_set3_flag makes these profiles intra-only.
  return sps.profileIdc === 66 || (constraintSet3 && [44, 100, 110, 122, 244].includes(sps.profileIdc));
}

function readSps(r: BitReader): H264Sps {
  const profileIdc = r.readBits(8);
  const constraintSetFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = readUe(r, 31, 'seq_parameter_set_id', INVALID);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = readUe(r, 3, 'chroma_format_idc', INVALID);
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = readUe(r, 6, 'bit_depth_luma_minus8', INVALID) + 8;
    bitDepthChroma = readUe(r, 6, 'bit_depth_chroma_minus8', INVALID) + 8;
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  const log2MaxFrameNum = readUe(r, 12, 'log2_max_frame_num_minus4', INVALID) + 4;
  const picOrderCntType = readUe(r, 2, 'pic_order_cnt_type', INVALID);
  let log2MaxPicOrderCntLsb = 0;
  let deltaPicOrderAlwaysZero = false;
  let offsetForNonRefPic = 0;
  let offsetForTopToBottomField = 0;
  const offsetsForRefFrame: number[] = [];
  if (picOrderCntType === 0) {
    log2MaxPicOrderCntLsb = readUe(r, 12, 'log2_max_pic_order_cnt_lsb_minus4', INVALID) + 4;
  } else if (picOrderCntType === 1) {
    deltaPicOrderAlwaysZero = r.readFlag();
    offsetForNonRefPic = readSe(r, -(2 ** 31) + 1, 2 ** 31 - 1, 'offset_for_non_ref_pic', INVALID);
    offsetForTopToBottomField = readSe(r, -(2 ** 31) + 1, 2 ** 31 - 1, 'offset_for_top_to_bottom_field', INVALID);
    const cycle = readUe(r, MAX_REF_FRAMES_IN_POC_CYCLE, 'num_ref_frames_in_pic_order_cnt_cycle', INVALID);
    for (let i = 0; i < cycle; i++) {
      offsetsForRefFrame.push(readSe(r, -(2 ** 31) + 1, 2 ** 31 - 1, 'offset_for_ref_frame', INVALID));
    }
  }
  const maxNumRefFrames = readUe(r, 16, 'max_num_ref_frames', INVALID);
  const gapsInFrameNumAllowed = r.readFlag();
  const widthInMbsMinus1 = r.readUE();
  const heightInMapUnitsMinus1 = r.readUE();
  const frameMbsOnly = r.readFlag();
  const mbAdaptiveFrameField = frameMbsOnly ? false : r.readFlag();
  const direct8x8Inference = r.readFlag();

  // Bound the picture before any arithmetic on it (7-13, 7-16, 7-18).
  const picWidthInMbs = widthInMbsMinus1 + 1;
  const picHeightInMapUnits = heightInMapUnitsMinus1 + 1;
  const frameHeightInMbs = (frameMbsOnly ? 1 : 2) * picHeightInMapUnits;
  if (picWidthInMbs > MAX_PIC_WIDTH_IN_MBS || frameHeightInMbs > MAX_PIC_WIDTH_IN_MBS) {
    throw new CodecsError(
      CodecsErrorCode.UNSUPPORTED,
      `H.264 picture of ${picWidthInMbs}x${frameHeightInMbs} macroblocks exceeds ${MAX_PICTURE_DIMENSION} samples`,
    );
  }

  let width = picWidthInMbs * 16;
  let height = frameHeightInMbs * 16;
  let frameCropping: H264Sps['frameCropping'];
  if (r.readFlag()) {
    const left = r.readUE();
    const right = r.readUE();
    const top = r.readUE();
    const bottom = r.readUE();
    // CropUnitX/CropUnitY (7-19 .. 7-22) from ChromaArrayType, SubWidthC and SubHeightC (table 6-1).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
    width -= cropUnitX * (left + right);
    height -= cropUnitY * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw new CodecsError(INVALID, `frame cropping ${left},${right},${top},${bottom} leaves no picture`);
    }
    frameCropping = { left, right, top, bottom };
  }

  const sps: H264Sps = {
    profileIdc,
    constraintSetFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxFrameNum,
    picOrderCntType,
    log2MaxPicOrderCntLsb,
    deltaPicOrderAlwaysZero,
    offsetForNonRefPic,
    offsetForTopToBottomField,
    offsetsForRefFrame,
    maxNumRefFrames,
    frameMbsOnly,
    mbAdaptiveFrameField,
    direct8x8Inference,
    width,
    height,
    picWidthInMbs,
    picHeightInMapUnits,
    gapsInFrameNumAllowed,
  };
  if (frameCropping !== undefined) sps.frameCropping = frameCropping;

  if (r.readFlag()) {
    const vui = parseH264Vui(r);
    sps.vui = vui;
    if (vui.sampleAspectRatio !== undefined) sps.sampleAspectRatio = vui.sampleAspectRatio;
    if (vui.timing !== undefined && vui.timing.numUnitsInTick > 0) {
      const fps = vui.timing.timeScale / (2 * vui.timing.numUnitsInTick);
      if (fps > 0 && fps <= MAX_SANE_FPS) sps.fps = fps;
    }
    if (vui.bitstreamRestriction !== undefined) {
      sps.maxNumReorderFrames = vui.bitstreamRestriction.maxNumReorderFrames;
      sps.maxDecFrameBuffering = vui.bitstreamRestriction.maxDecFrameBuffering;
    }
  }
  return sps;
}

/** scaling_list() of §7.3.2.1.1.1, skipped: only its length matters here. */
function skipScalingList(r: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) {
      const delta = readSe(r, -128, 127, 'delta_scale', INVALID);
      nextScale = (lastScale + delta + 256) % 256;
    }
    if (nextScale !== 0) lastScale = nextScale;
  }
}
