import { BitReader, removeEmulationPrevention } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { MAX_PARAMETER_SET_BYTES } from '../limits.js';
import { readSe, readUe, withCode } from '../syntax.js';
import { H265NalType, h265NalType } from './nal-unit.js';

/** A picture parameter set (H.265 §7.3.2.3.1), up to the fields slice segment headers depend on. */
export interface H265Pps {
  ppsId: number;
  spsId: number;
  dependentSliceSegmentsEnabled: boolean;
  outputFlagPresent: boolean;
  numExtraSliceHeaderBits: number;
  signDataHidingEnabled?: boolean;
  cabacInitPresent?: boolean;
  numRefIdxL0DefaultActive?: number;
  numRefIdxL1DefaultActive?: number;
  initQp?: number;
  constrainedIntraPred?: boolean;
  transformSkipEnabled?: boolean;
  cuQpDeltaEnabled?: boolean;
  weightedPred?: boolean;
  weightedBipred?: boolean;
  transquantBypassEnabled?: boolean;
  tilesEnabled?: boolean;
  entropyCodingSyncEnabled?: boolean;
}

const INVALID = CodecsErrorCode.INVALID_PARAMETER_SET;

/** Parses an H.265 PPS NAL unit (with its 2-byte header and emulation prevention bytes). */
export function parseH265Pps(nal: Uint8Array): H265Pps {
  if (nal.length < 3 || h265NalType(nal) !== H265NalType.PPS) {
    throw new CodecsError(INVALID, `not an H.265 PPS (${nal.length} bytes, NAL type ${h265NalType(nal)})`);
  }
  if (nal.length > MAX_PARAMETER_SET_BYTES) {
    throw new CodecsError(INVALID, `H.265 PPS of ${nal.length} bytes exceeds ${MAX_PARAMETER_SET_BYTES}`);
  }
  return withCode(INVALID, 'H.265 PPS', () => readPps(new BitReader(removeEmulationPrevention(nal.subarray(2)))));
}

function readPps(r: BitReader): H265Pps {
  const ppsId = readUe(r, 63, 'pps_pic_parameter_set_id', INVALID);
  const spsId = readUe(r, 15, 'pps_seq_parameter_set_id', INVALID);
  const dependentSliceSegmentsEnabled = r.readFlag();
  const outputFlagPresent = r.readFlag();
  const numExtraSliceHeaderBits = r.readBits(3);
  const signDataHidingEnabled = r.readFlag();
  const cabacInitPresent = r.readFlag();
  const numRefIdxL0DefaultActive = readUe(r, 14, 'num_ref_idx_l0_default_active_minus1', INVALID) + 1;
  const numRefIdxL1DefaultActive = readUe(r, 14, 'num_ref_idx_l1_default_active_minus1', INVALID) + 1;
  // -(26 + QpBdOffsetY) .. 25, with QpBdOffsetY up to 48 for 16-bit video (§7.4.3.3.1).
  const initQp = 26 + readSe(r, -(26 + 48), 25, 'init_qp_minus26', INVALID);
  const constrainedIntraPred = r.readFlag();
  const transformSkipEnabled = r.readFlag();
  const cuQpDeltaEnabled = r.readFlag();
  if (cuQpDeltaEnabled) r.readUE(); // diff_cu_qp_delta_depth
  readSe(r, -12, 12, 'pps_cb_qp_offset', INVALID);
  readSe(r, -12, 12, 'pps_cr_qp_offset', INVALID);
  r.skipBits(1); // pps_slice_chroma_qp_offsets_present_flag
  const weightedPred = r.readFlag();
  const weightedBipred = r.readFlag();
  const transquantBypassEnabled = r.readFlag();
  const tilesEnabled = r.readFlag();
  const entropyCodingSyncEnabled = r.readFlag();
  return {
    ppsId,
    spsId,
    dependentSliceSegmentsEnabled,
    outputFlagPresent,
    numExtraSliceHeaderBits,
    signDataHidingEnabled,
    cabacInitPresent,
    numRefIdxL0DefaultActive,
    numRefIdxL1DefaultActive,
    initQp,
    constrainedIntraPred,
    transformSkipEnabled,
    cuQpDeltaEnabled,
    weightedPred,
    weightedBipred,
    transquantBypassEnabled,
    tilesEnabled,
    entropyCodingSyncEnabled,
  };
}
