import { addEmulationPrevention, BitWriter } from '@camgate/bits';

/**
 * Writes H.264 parameter sets and slice headers (H.264 §7.3.2.1.1, §7.3.2.2, §7.3.3) for tests:
 * synthetic streams for what real encoders do not produce (POC type 1, mmco 5, missing VUI),
 * and rewritten parameter sets of real streams.
 */

export interface SpsFields {
  profileIdc: number;
  constraintSetFlags?: number;
  levelIdc?: number;
  spsId?: number;
  chromaFormatIdc?: number;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  log2MaxPicOrderCntLsb?: number;
  deltaPicOrderAlwaysZero?: boolean;
  offsetForNonRefPic?: number;
  offsetForTopToBottomField?: number;
  offsetsForRefFrame?: number[];
  maxNumRefFrames?: number;
  picWidthInMbs: number;
  picHeightInMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: { left: number; right: number; top: number; bottom: number };
  vui?: {
    timing?: { numUnitsInTick: number; timeScale: number };
    bitstreamRestriction?: { maxNumReorderFrames: number; maxDecFrameBuffering: number };
  };
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function nal(header: number, w: BitWriter): Uint8Array {
  w.writeTrailingBits();
  return Uint8Array.from([header, ...addEmulationPrevention(w.toUint8Array())]);
}

export function writeH264Sps(f: SpsFields): Uint8Array {
  const w = new BitWriter({ initialBytes: 64 });
  w.writeBits(f.profileIdc, 8);
  w.writeBits(f.constraintSetFlags ?? 0, 8);
  w.writeBits(f.levelIdc ?? 30, 8);
  w.writeUE(f.spsId ?? 0);
  if (HIGH_PROFILES.has(f.profileIdc)) {
    w.writeUE(f.chromaFormatIdc ?? 1);
    if (f.chromaFormatIdc === 3) w.writeBit(0);
    w.writeUE(0); // bit_depth_luma_minus8
    w.writeUE(0); // bit_depth_chroma_minus8
    w.writeBit(0); // qpprime_y_zero_transform_bypass_flag
    w.writeBit(0); // seq_scaling_matrix_present_flag
  }
  w.writeUE(f.log2MaxFrameNum - 4);
  w.writeUE(f.picOrderCntType);
  if (f.picOrderCntType === 0) {
    w.writeUE((f.log2MaxPicOrderCntLsb ?? 8) - 4);
  } else if (f.picOrderCntType === 1) {
    w.writeBit(f.deltaPicOrderAlwaysZero === true);
    w.writeSE(f.offsetForNonRefPic ?? 0);
    w.writeSE(f.offsetForTopToBottomField ?? 0);
    const cycle = f.offsetsForRefFrame ?? [];
    w.writeUE(cycle.length);
    for (const offset of cycle) w.writeSE(offset);
  }
  w.writeUE(f.maxNumRefFrames ?? 4);
  w.writeBit(0); // gaps_in_frame_num_value_allowed_flag
  w.writeUE(f.picWidthInMbs - 1);
  w.writeUE(f.picHeightInMapUnits - 1);
  const frameMbsOnly = f.frameMbsOnly ?? true;
  w.writeBit(frameMbsOnly);
  if (!frameMbsOnly) w.writeBit(0); // mb_adaptive_frame_field_flag
  w.writeBit(1); // direct_8x8_inference_flag
  w.writeBit(f.crop !== undefined);
  if (f.crop !== undefined) {
    for (const offset of [f.crop.left, f.crop.right, f.crop.top, f.crop.bottom]) w.writeUE(offset);
  }
  w.writeBit(f.vui !== undefined);
  if (f.vui !== undefined) {
    w.writeBits(0, 4); // aspect ratio, overscan, video signal type, chroma loc: absent
    const timing = f.vui.timing;
    w.writeBit(timing !== undefined);
    if (timing !== undefined) {
      w.writeBits(timing.numUnitsInTick, 32);
      w.writeBits(timing.timeScale, 32);
      w.writeBit(1); // fixed_frame_rate_flag
    }
    w.writeBits(0, 3); // nal_hrd, vcl_hrd, pic_struct_present
    const restriction = f.vui.bitstreamRestriction;
    w.writeBit(restriction !== undefined);
    if (restriction !== undefined) {
      w.writeBit(1); // motion_vectors_over_pic_boundaries_flag
      w.writeUE(2); // max_bytes_per_pic_denom
      w.writeUE(1); // max_bits_per_mb_denom
      w.writeUE(16); // log2_max_mv_length_horizontal
      w.writeUE(16); // log2_max_mv_length_vertical
      w.writeUE(restriction.maxNumReorderFrames);
      w.writeUE(restriction.maxDecFrameBuffering);
    }
  }
  return nal(0x67, w);
}

export interface PpsFields {
  ppsId?: number;
  spsId?: number;
  entropyCodingMode?: boolean;
  bottomFieldPicOrderInFramePresent?: boolean;
  redundantPicCntPresent?: boolean;
}

export function writeH264Pps(f: PpsFields = {}): Uint8Array {
  const w = new BitWriter({ initialBytes: 16 });
  w.writeUE(f.ppsId ?? 0);
  w.writeUE(f.spsId ?? 0);
  w.writeBit(f.entropyCodingMode === true);
  w.writeBit(f.bottomFieldPicOrderInFramePresent === true);
  w.writeUE(0); // num_slice_groups_minus1
  w.writeUE(0); // num_ref_idx_l0_default_active_minus1
  w.writeUE(0); // num_ref_idx_l1_default_active_minus1
  w.writeBit(0); // weighted_pred_flag
  w.writeBits(0, 2); // weighted_bipred_idc
  w.writeSE(0); // pic_init_qp_minus26
  w.writeSE(0); // pic_init_qs_minus26
  w.writeSE(0); // chroma_qp_index_offset
  w.writeBit(1); // deblocking_filter_control_present_flag
  w.writeBit(0); // constrained_intra_pred_flag
  w.writeBit(f.redundantPicCntPresent === true);
  return nal(0x68, w);
}

export interface SliceFields {
  idr?: boolean;
  nalRefIdc?: number;
  sliceType: number;
  ppsId?: number;
  frameNum: number;
  fieldPic?: boolean;
  bottomField?: boolean;
  idrPicId?: number;
  picOrderCntLsb?: number;
  deltaPicOrderCntBottom?: number;
  deltaPicOrderCnt?: [number, number];
  mmco5?: boolean;
}

/**
 * A slice header for an SPS and PPS written by the functions above (or with the same choices),
 * followed by a few bytes standing in for slice data.
 */
export function writeH264Slice(f: SliceFields, sps: SpsFields, pps: PpsFields = {}): Uint8Array {
  const idr = f.idr === true;
  const nalRefIdc = f.nalRefIdc ?? (idr ? 3 : 2);
  const w = new BitWriter({ initialBytes: 64 });
  w.writeUE(0); // first_mb_in_slice
  w.writeUE(f.sliceType);
  w.writeUE(f.ppsId ?? 0);
  w.writeBits(f.frameNum, sps.log2MaxFrameNum);
  if (sps.frameMbsOnly === false) {
    w.writeBit(f.fieldPic === true);
    if (f.fieldPic === true) w.writeBit(f.bottomField === true);
  }
  if (idr) w.writeUE(f.idrPicId ?? 0);
  const bottomPresent = pps.bottomFieldPicOrderInFramePresent === true && f.fieldPic !== true;
  if (sps.picOrderCntType === 0) {
    w.writeBits(f.picOrderCntLsb ?? 0, sps.log2MaxPicOrderCntLsb ?? 8);
    if (bottomPresent) w.writeSE(f.deltaPicOrderCntBottom ?? 0);
  }
  if (sps.picOrderCntType === 1 && sps.deltaPicOrderAlwaysZero !== true) {
    w.writeSE(f.deltaPicOrderCnt?.[0] ?? 0);
    if (bottomPresent) w.writeSE(f.deltaPicOrderCnt?.[1] ?? 0);
  }
  if (pps.redundantPicCntPresent === true) w.writeUE(0);
  const type = f.sliceType % 5;
  if (type === 1) w.writeBit(1); // direct_spatial_mv_pred_flag
  if (type === 0 || type === 1 || type === 3) w.writeBit(0); // num_ref_idx_active_override_flag
  if (type !== 2 && type !== 4) w.writeBit(0); // ref_pic_list_modification_flag_l0
  if (type === 1) w.writeBit(0); // ref_pic_list_modification_flag_l1
  if (nalRefIdc !== 0) {
    if (idr) {
      w.writeBits(0, 2); // no_output_of_prior_pics_flag, long_term_reference_flag
    } else if (f.mmco5 === true) {
      w.writeBit(1); // adaptive_ref_pic_marking_mode_flag
      w.writeUE(5);
      w.writeUE(0);
    } else {
      w.writeBit(0);
    }
  }
  if (pps.entropyCodingMode === true && type !== 2 && type !== 4) w.writeUE(0); // cabac_init_idc
  w.writeSE(0); // slice_qp_delta
  w.writeUE(1); // disable_deblocking_filter_idc
  // Stand-in slice data, with a run of zeros that needs emulation prevention.
  w.writeBits(0x80000000, 32);
  w.writeBits(0x00000001, 32);
  const header = (nalRefIdc << 5) | (idr ? 5 : 1);
  return nal(header, w);
}
