import { BitReader, removeEmulationPrevention } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { MAX_DPB_FRAMES, MAX_PARAMETER_SET_BYTES, MAX_PICTURE_DIMENSION } from '../limits.js';
import { readSe, readUe, withCode } from '../syntax.js';
import { H265NalType, h265NalType } from './nal-unit.js';
import { type H265ProfileTierLevel, readProfileTierLevel } from './profile-tier-level.js';
import { type H265ShortTermRefPicSet, readShortTermRefPicSet } from './short-term-ref-pic-set.js';
import { type H265Vui, h265Fps, parseH265Vui } from './vui.js';

/** A sequence parameter set (H.265 §7.3.2.2), with the VUI fields camgate uses (Annex E). */
export interface H265Sps {
  vpsId: number;
  spsId: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  profileTierLevel: H265ProfileTierLevel;
  chromaFormatIdc: number;
  /** Luma samples after the conformance window. */
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  log2MaxPicOrderCntLsb: number;
  /** Of the highest sub-layer (HighestTid = maxSubLayersMinus1). */
  maxDecPicBufferingMinus1: number;
  maxNumReorderPics: number;
  maxLatencyIncreasePlus1: number;
  /** VUI timing: vui_time_scale / vui_num_units_in_tick, only when present and 0 < fps <= 300. */
  fps?: number;
  sampleAspectRatio?: { num: number; den: number };
  separateColourPlane: boolean;
  /** pic_width_in_luma_samples and pic_height_in_luma_samples: before the conformance window. */
  codedWidth: number;
  codedHeight: number;
  conformanceWindow?: { left: number; right: number; top: number; bottom: number };
  log2MinLumaCodingBlockSize: number;
  /** CtbLog2SizeY. */
  log2CtbSize: number;
  /** PicSizeInCtbsY (7-19): slice_segment_address is Ceil(Log2(PicSizeInCtbsY)) bits. */
  picSizeInCtbs: number;
  scalingListEnabled: boolean;
  ampEnabled: boolean;
  sampleAdaptiveOffsetEnabled: boolean;
  pcmEnabled: boolean;
  numShortTermRefPicSets: number;
  shortTermRefPicSets: H265ShortTermRefPicSet[];
  longTermRefPicsPresent: boolean;
  numLongTermRefPicsSps: number;
  spsTemporalMvpEnabled: boolean;
  strongIntraSmoothingEnabled: boolean;
  vui?: H265Vui;
}

const INVALID = CodecsErrorCode.INVALID_PARAMETER_SET;
/** 64: num_short_term_ref_pic_sets is 0..64 (§7.4.3.2.1). */
const MAX_SHORT_TERM_REF_PIC_SETS = 64;
/** 32: num_long_term_ref_pics_sps is 0..32 (§7.4.3.2.1). */
const MAX_LONG_TERM_REF_PICS_SPS = 32;

/**
 * Parses an H.265 SPS NAL unit: the whole NAL unit including its 2-byte header, with emulation
 * prevention bytes still in it. Throws CODECS_INVALID_PARAMETER_SET for malformed input and
 * CODECS_UNSUPPORTED for pictures larger than 16384 samples either way.
 */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  if (nal.length < 3 || h265NalType(nal) !== H265NalType.SPS) {
    throw new CodecsError(INVALID, `not an H.265 SPS (${nal.length} bytes, NAL type ${h265NalType(nal)})`);
  }
  if (nal.length > MAX_PARAMETER_SET_BYTES) {
    throw new CodecsError(INVALID, `H.265 SPS of ${nal.length} bytes exceeds ${MAX_PARAMETER_SET_BYTES}`);
  }
  return withCode(INVALID, 'H.265 SPS', () => readSps(new BitReader(removeEmulationPrevention(nal.subarray(2)))));
}

function readSps(r: BitReader): H265Sps {
  const vpsId = r.readBits(4);
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) throw new CodecsError(INVALID, 'sps_max_sub_layers_minus1 = 7 is reserved');
  const temporalIdNesting = r.readFlag();
  const profileTierLevel = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = readUe(r, 15, 'sps_seq_parameter_set_id', INVALID);
  const chromaFormatIdc = readUe(r, 3, 'chroma_format_idc', INVALID);
  const separateColourPlane = chromaFormatIdc === 3 && r.readFlag();
  const codedWidth = r.readUE();
  const codedHeight = r.readUE();
  if (codedWidth === 0 || codedHeight === 0) throw new CodecsError(INVALID, 'picture size of 0');
  if (codedWidth > MAX_PICTURE_DIMENSION || codedHeight > MAX_PICTURE_DIMENSION) {
    throw new CodecsError(
      CodecsErrorCode.UNSUPPORTED,
      `H.265 picture of ${codedWidth}x${codedHeight} exceeds ${MAX_PICTURE_DIMENSION} samples`,
    );
  }
  let width = codedWidth;
  let height = codedHeight;
  let conformanceWindow: H265Sps['conformanceWindow'];
  if (r.readFlag()) {
    const left = r.readUE();
    const right = r.readUE();
    const top = r.readUE();
    const bottom = r.readUE();
    // SubWidthC, SubHeightC (table 6-1); 1 for monochrome and separate colour planes.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    width -= subWidthC * (left + right);
    height -= subHeightC * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw new CodecsError(INVALID, `conformance window ${left},${right},${top},${bottom} leaves no picture`);
    }
    conformanceWindow = { left, right, top, bottom };
  }
  const bitDepthLuma = readUe(r, 8, 'bit_depth_luma_minus8', INVALID) + 8;
  const bitDepthChroma = readUe(r, 8, 'bit_depth_chroma_minus8', INVALID) + 8;
  const log2MaxPicOrderCntLsb = readUe(r, 12, 'log2_max_pic_order_cnt_lsb_minus4', INVALID) + 4;
  const subLayerOrderingInfoPresent = r.readFlag();
  let maxDecPicBufferingMinus1 = 0;
  let maxNumReorderPics = 0;
  let maxLatencyIncreasePlus1 = 0;
  for (let i = subLayerOrderingInfoPresent ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    // The last values read are those of the highest sub-layer, the ones that bound the whole stream.
    maxDecPicBufferingMinus1 = readUe(r, MAX_DPB_FRAMES - 1, 'sps_max_dec_pic_buffering_minus1', INVALID);
    maxNumReorderPics = readUe(r, maxDecPicBufferingMinus1, 'sps_max_num_reorder_pics', INVALID);
    maxLatencyIncreasePlus1 = readUe(r, 2 ** 32 - 2, 'sps_max_latency_increase_plus1', INVALID);
  }
  const log2MinLumaCodingBlockSize = readUe(r, 3, 'log2_min_luma_coding_block_size_minus3', INVALID) + 3;
  const log2CtbSize = log2MinLumaCodingBlockSize + readUe(r, 3, 'log2_diff_max_min_luma_coding_block_size', INVALID);
  if (log2CtbSize > 6) throw new CodecsError(INVALID, `CtbLog2SizeY = ${log2CtbSize} > 6`);
  readUe(r, 3, 'log2_min_luma_transform_block_size_minus2', INVALID);
  readUe(r, 3, 'log2_diff_max_min_luma_transform_block_size', INVALID);
  readUe(r, 4, 'max_transform_hierarchy_depth_inter', INVALID);
  readUe(r, 4, 'max_transform_hierarchy_depth_intra', INVALID);
  const scalingListEnabled = r.readFlag();
  if (scalingListEnabled && r.readFlag()) skipScalingListData(r);
  const ampEnabled = r.readFlag();
  const sampleAdaptiveOffsetEnabled = r.readFlag();
  const pcmEnabled = r.readFlag();
  if (pcmEnabled) {
    r.skipBits(8); // pcm_sample_bit_depth_luma_minus1, pcm_sample_bit_depth_chroma_minus1
    r.readUE(); // log2_min_pcm_luma_coding_block_size_minus3
    r.readUE(); // log2_diff_max_min_pcm_luma_coding_block_size
    r.skipBits(1); // pcm_loop_filter_disabled_flag
  }
  const numShortTermRefPicSets = readUe(r, MAX_SHORT_TERM_REF_PIC_SETS, 'num_short_term_ref_pic_sets', INVALID);
  const shortTermRefPicSets: H265ShortTermRefPicSet[] = [];
  for (let i = 0; i < numShortTermRefPicSets; i++) {
    shortTermRefPicSets.push(readShortTermRefPicSet(r, i, numShortTermRefPicSets, shortTermRefPicSets, INVALID));
  }
  const longTermRefPicsPresent = r.readFlag();
  let numLongTermRefPicsSps = 0;
  if (longTermRefPicsPresent) {
    numLongTermRefPicsSps = readUe(r, MAX_LONG_TERM_REF_PICS_SPS, 'num_long_term_ref_pics_sps', INVALID);
    // lt_ref_pic_poc_lsb_sps and used_by_curr_pic_lt_sps_flag
    r.skipBits(numLongTermRefPicsSps * (log2MaxPicOrderCntLsb + 1));
  }
  const spsTemporalMvpEnabled = r.readFlag();
  const strongIntraSmoothingEnabled = r.readFlag();

  const ctbSize = 2 ** log2CtbSize;
  const sps: H265Sps = {
    vpsId,
    spsId,
    maxSubLayersMinus1,
    temporalIdNesting,
    profileTierLevel,
    chromaFormatIdc,
    width,
    height,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxPicOrderCntLsb,
    maxDecPicBufferingMinus1,
    maxNumReorderPics,
    maxLatencyIncreasePlus1,
    separateColourPlane,
    codedWidth,
    codedHeight,
    log2MinLumaCodingBlockSize,
    log2CtbSize,
    picSizeInCtbs: Math.ceil(codedWidth / ctbSize) * Math.ceil(codedHeight / ctbSize),
    scalingListEnabled,
    ampEnabled,
    sampleAdaptiveOffsetEnabled,
    pcmEnabled,
    numShortTermRefPicSets,
    shortTermRefPicSets,
    longTermRefPicsPresent,
    numLongTermRefPicsSps,
    spsTemporalMvpEnabled,
    strongIntraSmoothingEnabled,
  };
  if (conformanceWindow !== undefined) sps.conformanceWindow = conformanceWindow;
  if (r.readFlag()) {
    const vui = parseH265Vui(r, maxSubLayersMinus1);
    sps.vui = vui;
    if (vui.sampleAspectRatio !== undefined) sps.sampleAspectRatio = vui.sampleAspectRatio;
    const fps = h265Fps(vui.timing);
    if (fps !== undefined) sps.fps = fps;
  }
  return sps;
}

/** scaling_list_data() of §7.3.4, skipped. */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.readFlag()) {
        readUe(r, matrixId, 'scaling_list_pred_matrix_id_delta', INVALID);
      } else {
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) readSe(r, -7, 247, 'scaling_list_dc_coef_minus8', INVALID);
        for (let i = 0; i < coefNum; i++) readSe(r, -128, 127, 'scaling_list_delta_coef', INVALID);
      }
    }
  }
}
