import { BitReader } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { parseRbspPrefix } from '../nal/rbsp-prefix.js';
import { ceilLog2, readSe, readUe, withCode } from '../syntax.js';
import { H264NalType, h264NalType } from './nal-unit.js';
import { type H264Pps } from './pps.js';
import { type H264Sps } from './sps.js';

/** One reader for every slice header, reset per call (see BitReader.reset; parsing neither awaits nor recurses). */
const sliceReader = new BitReader(new Uint8Array(0));

/** A slice header (H.264 §7.3.3). */
export interface H264SliceHeader {
  nalType: number;
  nalRefIdc: number;
  firstMbInSlice: number;
  /** 0..9: P, B, I, SP, SI, and +5 when all slices of the picture share the type. */
  sliceType: number;
  ppsId: number;
  frameNum: number;
  fieldPic: boolean;
  bottomField: boolean;
  idrPicId?: number;
  picOrderCntLsb?: number;
  deltaPicOrderCntBottom?: number;
  /** delta_pic_order_cnt[0..1] of picture order count type 1; zeros when absent. */
  deltaPicOrderCnt: [number, number];
  colourPlaneId?: number;
  redundantPicCnt?: number;
  numRefIdxL0Active?: number;
  numRefIdxL1Active?: number;
  /** dec_ref_pic_marking() of an IDR picture. */
  noOutputOfPriorPics?: boolean;
  longTermReference?: boolean;
  /** A memory_management_control_operation equal to 5 (§8.2.5.4): resets frame_num and POC like an IDR. */
  hasMmco5?: boolean;
  sliceQpDelta?: number;
  disableDeblockingFilterIdc?: number;
  /** Length of the whole slice header in RBSP bits, after the NAL unit header. */
  headerBits?: number;
}

export interface H264ParameterSetLookup {
  sps(id: number): H264Sps | undefined;
  pps(id: number): H264Pps | undefined;
}

export const H264SliceType = { P: 0, B: 1, I: 2, SP: 3, SI: 4 } as const;

const INVALID = CodecsErrorCode.INVALID_SLICE_HEADER;
/**
 * 64 bytes: every field up to and including delta_pic_order_cnt fits in 43 RBSP bytes even at
 * their largest; the usual whole header is under 20. Longer headers (large pred_weight_table)
 * are retried on a longer prefix, up to MAX_SLICE_HEADER_BYTES.
 */
const SLICE_HEADER_PREFIX_BYTES = 64;
/**
 * 4 KiB: a slice header with 32 weighted references in both lists and the longest reordering and
 * marking commands stays below 3 KiB of RBSP.
 */
const MAX_SLICE_HEADER_BYTES = 4096;
/** 32: num_ref_idx_l*_active_minus1 is 0..31 (§7.4.3). */
const MAX_REF_IDX_ACTIVE = 32;
/** 100: more commands than a 32-entry list and a 16-frame DPB can use means a corrupt loop. */
const MAX_LIST_COMMANDS = 100;
/** 139264 macroblocks: the largest picture of any level (6.x, table A-1). */
const MAX_MBS = 139264;

/**
 * Parses the slice header of a coded slice NAL unit (types 1, 2 and 5; with its 1-byte header and
 * emulation prevention bytes). Only a prefix of the NAL unit is unescaped. Throws
 * CODECS_MISSING_PARAMETER_SET when the PPS or SPS is unknown, CODECS_INVALID_SLICE_HEADER when malformed.
 */
export function parseH264SliceHeader(nal: Uint8Array, lookup: H264ParameterSetLookup): H264SliceHeader {
  const nalType = h264NalType(nal);
  if (nal.length < 2 || (nalType !== H264NalType.NON_IDR_SLICE && nalType !== H264NalType.IDR_SLICE && nalType !== 2)) {
    throw new CodecsError(INVALID, `not an H.264 slice (${nal.length} bytes, NAL type ${nalType})`);
  }
  return withCode(INVALID, 'H.264 slice header', () =>
    parseRbspPrefix(nal, 1, SLICE_HEADER_PREFIX_BYTES, MAX_SLICE_HEADER_BYTES, (rbsp) =>
      readSliceHeader(sliceReader.reset(rbsp), nalType, ((nal[0] as number) >> 5) & 3, lookup),
    ),
  );
}

function readSliceHeader(
  r: BitReader,
  nalType: number,
  nalRefIdc: number,
  lookup: H264ParameterSetLookup,
): H264SliceHeader {
  const idr = nalType === H264NalType.IDR_SLICE;
  const firstMbInSlice = readUe(r, MAX_MBS - 1, 'first_mb_in_slice', INVALID);
  const sliceType = readUe(r, 9, 'slice_type', INVALID);
  const ppsId = readUe(r, 255, 'pic_parameter_set_id', INVALID);
  const pps = lookup.pps(ppsId);
  if (pps === undefined) {
    throw new CodecsError(CodecsErrorCode.MISSING_PARAMETER_SET, `slice refers to unknown H.264 PPS ${ppsId}`);
  }
  const sps = lookup.sps(pps.spsId);
  if (sps === undefined) {
    throw new CodecsError(
      CodecsErrorCode.MISSING_PARAMETER_SET,
      `PPS ${ppsId} refers to unknown H.264 SPS ${pps.spsId}`,
    );
  }
  if (idr && nalRefIdc === 0) throw new CodecsError(INVALID, 'IDR slice with nal_ref_idc 0');
  const type = sliceType % 5;
  if (idr && type !== H264SliceType.I && type !== H264SliceType.SI) {
    throw new CodecsError(INVALID, `IDR slice of slice_type ${sliceType}`);
  }

  const header: H264SliceHeader = {
    nalType,
    nalRefIdc,
    firstMbInSlice,
    sliceType,
    ppsId,
    frameNum: 0,
    fieldPic: false,
    bottomField: false,
    deltaPicOrderCnt: [0, 0],
  };
  if (sps.separateColourPlane) header.colourPlaneId = r.readBits(2);
  header.frameNum = r.readBits(sps.log2MaxFrameNum);
  if (!sps.frameMbsOnly) {
    header.fieldPic = r.readFlag();
    if (header.fieldPic) header.bottomField = r.readFlag();
  }
  if (idr) header.idrPicId = readUe(r, 65535, 'idr_pic_id', INVALID);
  if (sps.picOrderCntType === 0) {
    header.picOrderCntLsb = r.readBits(sps.log2MaxPicOrderCntLsb);
    if (pps.bottomFieldPicOrderInFramePresent && !header.fieldPic) header.deltaPicOrderCntBottom = r.readSE();
  }
  if (sps.picOrderCntType === 1 && !sps.deltaPicOrderAlwaysZero) {
    header.deltaPicOrderCnt[0] = r.readSE();
    if (pps.bottomFieldPicOrderInFramePresent && !header.fieldPic) header.deltaPicOrderCnt[1] = r.readSE();
  }
  if (pps.redundantPicCntPresent) header.redundantPicCnt = readUe(r, 127, 'redundant_pic_cnt', INVALID);

  const isB = type === H264SliceType.B;
  const isP = type === H264SliceType.P || type === H264SliceType.SP;
  if (isB) r.skipBits(1); // direct_spatial_mv_pred_flag
  let numRefIdxL0Active = pps.numRefIdxL0DefaultActive;
  let numRefIdxL1Active = pps.numRefIdxL1DefaultActive;
  if (isP || isB) {
    if (r.readFlag()) {
      numRefIdxL0Active = readUe(r, MAX_REF_IDX_ACTIVE - 1, 'num_ref_idx_l0_active_minus1', INVALID) + 1;
      if (isB) numRefIdxL1Active = readUe(r, MAX_REF_IDX_ACTIVE - 1, 'num_ref_idx_l1_active_minus1', INVALID) + 1;
    }
    header.numRefIdxL0Active = numRefIdxL0Active;
    if (isB) header.numRefIdxL1Active = numRefIdxL1Active;
  }
  // ref_pic_list_modification() (§7.3.3.1); NAL types 20/21 (MVC) never reach here.
  if (isP || isB) skipRefPicListModification(r);
  if (isB) skipRefPicListModification(r);
  if ((pps.weightedPred && isP) || (pps.weightedBipredIdc === 1 && isB)) {
    skipPredWeightTable(r, sps, numRefIdxL0Active, isB ? numRefIdxL1Active : 0);
  }
  if (nalRefIdc !== 0) readDecRefPicMarking(r, idr, header);

  if (pps.entropyCodingMode && type !== H264SliceType.I && type !== H264SliceType.SI) {
    readUe(r, 2, 'cabac_init_idc', INVALID);
  }
  header.sliceQpDelta = r.readSE();
  if (type === H264SliceType.SP || type === H264SliceType.SI) {
    if (type === H264SliceType.SP) r.skipBits(1); // sp_for_switch_flag
    r.readSE(); // slice_qs_delta
  }
  if (pps.deblockingFilterControlPresent === true) {
    header.disableDeblockingFilterIdc = readUe(r, 2, 'disable_deblocking_filter_idc', INVALID);
    if (header.disableDeblockingFilterIdc !== 1) {
      readSe(r, -6, 6, 'slice_alpha_c0_offset_div2', INVALID);
      readSe(r, -6, 6, 'slice_beta_offset_div2', INVALID);
    }
  }
  const mapType = pps.sliceGroupMapType;
  if (pps.numSliceGroups > 1 && mapType !== undefined && mapType >= 3 && mapType <= 5) {
    // slice_group_change_cycle: Ceil(Log2(PicSizeInMapUnits ÷ SliceGroupChangeRate + 1)) bits (7-35).
    const picSizeInMapUnits = (sps.picWidthInMbs ?? 0) * (sps.picHeightInMapUnits ?? 0);
    const rate = pps.sliceGroupChangeRate ?? 1;
    r.skipBits(ceilLog2(Math.ceil(picSizeInMapUnits / rate) + 1));
  }
  header.headerBits = r.position;
  return header;
}

function skipRefPicListModification(r: BitReader): void {
  if (!r.readFlag()) return; // ref_pic_list_modification_flag_lX
  for (let i = 0; ; i++) {
    if (i >= MAX_LIST_COMMANDS) throw new CodecsError(INVALID, 'ref_pic_list_modification does not end');
    const idc = readUe(r, 5, 'modification_of_pic_nums_idc', INVALID);
    if (idc === 3) return;
    r.readUE(); // abs_diff_pic_num_minus1, long_term_pic_num, or abs_diff_view_idx_minus1
  }
}

/** pred_weight_table() of §7.3.3.2, skipped. */
function skipPredWeightTable(r: BitReader, sps: H264Sps, l0: number, l1: number): void {
  const chromaArrayType = sps.separateColourPlane ? 0 : sps.chromaFormatIdc;
  readUe(r, 7, 'luma_log2_weight_denom', INVALID);
  if (chromaArrayType !== 0) readUe(r, 7, 'chroma_log2_weight_denom', INVALID);
  for (const count of [l0, l1]) {
    for (let i = 0; i < count; i++) {
      if (r.readFlag()) {
        r.readSE(); // luma_weight
        r.readSE(); // luma_offset
      }
      if (chromaArrayType !== 0 && r.readFlag()) {
        for (let j = 0; j < 4; j++) r.readSE(); // chroma_weight and chroma_offset, Cb and Cr
      }
    }
  }
}

/** dec_ref_pic_marking() of §7.3.3.3; notes whether it holds a memory_management_control_operation 5. */
function readDecRefPicMarking(r: BitReader, idr: boolean, header: H264SliceHeader): void {
  if (idr) {
    header.noOutputOfPriorPics = r.readFlag();
    header.longTermReference = r.readFlag();
    return;
  }
  header.hasMmco5 = false;
  if (!r.readFlag()) return; // adaptive_ref_pic_marking_mode_flag
  for (let i = 0; ; i++) {
    if (i >= MAX_LIST_COMMANDS) throw new CodecsError(INVALID, 'dec_ref_pic_marking does not end');
    const mmco = readUe(r, 6, 'memory_management_control_operation', INVALID);
    if (mmco === 0) return;
    if (mmco === 5) header.hasMmco5 = true;
    if (mmco === 1 || mmco === 3) r.readUE(); // difference_of_pic_nums_minus1
    if (mmco === 2) r.readUE(); // long_term_pic_num
    if (mmco === 3 || mmco === 6) r.readUE(); // long_term_frame_idx
    if (mmco === 4) r.readUE(); // max_long_term_frame_idx_plus1
  }
}
