import { BitReader, removeEmulationPrevention } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { MAX_PARAMETER_SET_BYTES } from '../limits.js';
import { ceilLog2, readSe, readUe, withCode } from '../syntax.js';
import { H264NalType, h264NalType } from './nal-unit.js';

/**
 * A picture parameter set (H.264 §7.3.2.2), up to the fields slice headers depend on. The
 * trailing scaling matrices are not parsed: their layout depends on the SPS.
 */
export interface H264Pps {
  ppsId: number;
  spsId: number;
  entropyCodingMode: boolean;
  bottomFieldPicOrderInFramePresent: boolean;
  numSliceGroups: number;
  numRefIdxL0DefaultActive: number;
  numRefIdxL1DefaultActive: number;
  weightedPred: boolean;
  weightedBipredIdc: number;
  redundantPicCntPresent: boolean;
  /** slice_group_map_type, when numSliceGroups > 1. */
  sliceGroupMapType?: number;
  /** SliceGroupChangeRate (slice_group_change_rate_minus1 + 1), for map types 3..5. */
  sliceGroupChangeRate?: number;
  picInitQp?: number;
  chromaQpIndexOffset?: number;
  deblockingFilterControlPresent?: boolean;
  constrainedIntraPred?: boolean;
  transform8x8Mode?: boolean;
}

const INVALID = CodecsErrorCode.INVALID_PARAMETER_SET;
/** 8: num_slice_groups_minus1 is 0..7 (§7.4.2.2). */
const MAX_SLICE_GROUPS = 8;
/** 32: num_ref_idx_l*_default_active_minus1 is 0..31 (§7.4.2.2). */
const MAX_REF_IDX_ACTIVE = 32;
/** Map units of the largest accepted picture (16384 x 16384 samples, 16x16 macroblocks). */
const MAX_PIC_SIZE_IN_MAP_UNITS = (16384 / 16) ** 2;

/** Parses an H.264 PPS NAL unit (with its 1-byte header and emulation prevention bytes). */
export function parseH264Pps(nal: Uint8Array): H264Pps {
  if (nal.length < 2 || h264NalType(nal) !== H264NalType.PPS) {
    throw new CodecsError(INVALID, `not an H.264 PPS (${nal.length} bytes, NAL type ${h264NalType(nal)})`);
  }
  if (nal.length > MAX_PARAMETER_SET_BYTES) {
    throw new CodecsError(INVALID, `H.264 PPS of ${nal.length} bytes exceeds ${MAX_PARAMETER_SET_BYTES}`);
  }
  return withCode(INVALID, 'H.264 PPS', () => readPps(new BitReader(removeEmulationPrevention(nal.subarray(1)))));
}

function readPps(r: BitReader): H264Pps {
  const ppsId = readUe(r, 255, 'pic_parameter_set_id', INVALID);
  const spsId = readUe(r, 31, 'seq_parameter_set_id', INVALID);
  const entropyCodingMode = r.readFlag();
  const bottomFieldPicOrderInFramePresent = r.readFlag();
  const numSliceGroups = readUe(r, MAX_SLICE_GROUPS - 1, 'num_slice_groups_minus1', INVALID) + 1;
  let sliceGroupMapType: number | undefined;
  let sliceGroupChangeRate: number | undefined;
  if (numSliceGroups > 1) {
    sliceGroupMapType = readUe(r, 6, 'slice_group_map_type', INVALID);
    if (sliceGroupMapType === 0) {
      for (let group = 0; group < numSliceGroups; group++) r.readUE(); // run_length_minus1
    } else if (sliceGroupMapType === 2) {
      for (let group = 0; group < numSliceGroups - 1; group++) {
        r.readUE(); // top_left
        r.readUE(); // bottom_right
      }
    } else if (sliceGroupMapType >= 3 && sliceGroupMapType <= 5) {
      r.skipBits(1); // slice_group_change_direction_flag
      sliceGroupChangeRate = readUe(r, MAX_PIC_SIZE_IN_MAP_UNITS - 1, 'slice_group_change_rate_minus1', INVALID) + 1;
    } else if (sliceGroupMapType === 6) {
      const mapUnits = readUe(r, MAX_PIC_SIZE_IN_MAP_UNITS - 1, 'pic_size_in_map_units_minus1', INVALID) + 1;
      r.skipBits(mapUnits * ceilLog2(numSliceGroups)); // slice_group_id[]
    }
  }
  const numRefIdxL0DefaultActive =
    readUe(r, MAX_REF_IDX_ACTIVE - 1, 'num_ref_idx_l0_default_active_minus1', INVALID) + 1;
  const numRefIdxL1DefaultActive =
    readUe(r, MAX_REF_IDX_ACTIVE - 1, 'num_ref_idx_l1_default_active_minus1', INVALID) + 1;
  const weightedPred = r.readFlag();
  const weightedBipredIdc = r.readBits(2);
  if (weightedBipredIdc === 3) throw new CodecsError(INVALID, 'weighted_bipred_idc = 3 is reserved');
  // -(26 + QpBdOffsetY) .. 25, with QpBdOffsetY up to 36 for 14-bit video (§7.4.2.2).
  const picInitQp = 26 + readSe(r, -(26 + 36), 25, 'pic_init_qp_minus26', INVALID);
  readSe(r, -26, 25, 'pic_init_qs_minus26', INVALID);
  const chromaQpIndexOffset = readSe(r, -12, 12, 'chroma_qp_index_offset', INVALID);
  const deblockingFilterControlPresent = r.readFlag();
  const constrainedIntraPred = r.readFlag();
  const redundantPicCntPresent = r.readFlag();

  const pps: H264Pps = {
    ppsId,
    spsId,
    entropyCodingMode,
    bottomFieldPicOrderInFramePresent,
    numSliceGroups,
    numRefIdxL0DefaultActive,
    numRefIdxL1DefaultActive,
    weightedPred,
    weightedBipredIdc,
    redundantPicCntPresent,
    picInitQp,
    chromaQpIndexOffset,
    deblockingFilterControlPresent,
    constrainedIntraPred,
    transform8x8Mode: false,
  };
  if (sliceGroupMapType !== undefined) pps.sliceGroupMapType = sliceGroupMapType;
  if (sliceGroupChangeRate !== undefined) pps.sliceGroupChangeRate = sliceGroupChangeRate;
  // High profile extension (§7.3.2.2): transform_8x8_mode_flag, then scaling matrices whose count
  // depends on the SPS's chroma_format_idc; the rest is left unparsed.
  if (r.moreRbspData()) pps.transform8x8Mode = r.readFlag();
  return pps;
}
