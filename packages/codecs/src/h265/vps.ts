import { BitReader, removeEmulationPrevention } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { MAX_DPB_FRAMES, MAX_PARAMETER_SET_BYTES } from '../limits.js';
import { readUe, withCode } from '../syntax.js';
import { H265NalType, h265NalType } from './nal-unit.js';
import { type H265ProfileTierLevel, readProfileTierLevel } from './profile-tier-level.js';
import { h265Fps, skipH265HrdParameters } from './vui.js';

/** A video parameter set (H.265 §7.3.2.1), up to its timing information. */
export interface H265Vps {
  vpsId: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  profileTierLevel: H265ProfileTierLevel;
  /** vps_time_scale / vps_num_units_in_tick, only when present and 0 < fps <= 300. */
  fps?: number;
  maxLayersMinus1?: number;
  /** Of the highest sub-layer. */
  maxNumReorderPics?: number;
}

const INVALID = CodecsErrorCode.INVALID_PARAMETER_SET;
/** 1024: vps_num_layer_sets_minus1 is 0..1023 (§7.4.3.1). */
const MAX_LAYER_SETS = 1024;

/** Parses an H.265 VPS NAL unit (with its 2-byte header and emulation prevention bytes). */
export function parseH265Vps(nal: Uint8Array): H265Vps {
  if (nal.length < 3 || h265NalType(nal) !== H265NalType.VPS) {
    throw new CodecsError(INVALID, `not an H.265 VPS (${nal.length} bytes, NAL type ${h265NalType(nal)})`);
  }
  if (nal.length > MAX_PARAMETER_SET_BYTES) {
    throw new CodecsError(INVALID, `H.265 VPS of ${nal.length} bytes exceeds ${MAX_PARAMETER_SET_BYTES}`);
  }
  return withCode(INVALID, 'H.265 VPS', () => readVps(new BitReader(removeEmulationPrevention(nal.subarray(2)))));
}

function readVps(r: BitReader): H265Vps {
  const vpsId = r.readBits(4);
  r.skipBits(2); // vps_base_layer_internal_flag, vps_base_layer_available_flag
  const maxLayersMinus1 = r.readBits(6);
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) throw new CodecsError(INVALID, 'vps_max_sub_layers_minus1 = 7 is reserved');
  const temporalIdNesting = r.readFlag();
  r.skipBits(16); // vps_reserved_0xffff_16bits
  const profileTierLevel = readProfileTierLevel(r, maxSubLayersMinus1);
  const vps: H265Vps = { vpsId, maxSubLayersMinus1, temporalIdNesting, profileTierLevel, maxLayersMinus1 };

  const subLayerOrderingInfoPresent = r.readFlag();
  for (let i = subLayerOrderingInfoPresent ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    const maxDecPicBufferingMinus1 = readUe(r, MAX_DPB_FRAMES - 1, 'vps_max_dec_pic_buffering_minus1', INVALID);
    vps.maxNumReorderPics = readUe(r, maxDecPicBufferingMinus1, 'vps_max_num_reorder_pics', INVALID);
    r.readUE(); // vps_max_latency_increase_plus1
  }
  const maxLayerId = r.readBits(6);
  const numLayerSets = readUe(r, MAX_LAYER_SETS - 1, 'vps_num_layer_sets_minus1', INVALID) + 1;
  r.skipBits((numLayerSets - 1) * (maxLayerId + 1)); // layer_id_included_flag[i][j]
  if (r.readFlag()) {
    const numUnitsInTick = r.readBits(32);
    const timeScale = r.readBits(32);
    const fps = h265Fps({ numUnitsInTick, timeScale });
    if (fps !== undefined) vps.fps = fps;
    if (r.readFlag()) r.readUE(); // vps_num_ticks_poc_diff_one_minus1
    const numHrd = readUe(r, numLayerSets, 'vps_num_hrd_parameters', INVALID);
    for (let i = 0; i < numHrd; i++) {
      r.readUE(); // hrd_layer_set_idx
      const commonInfPresent = i === 0 || r.readFlag();
      skipH265HrdParameters(r, commonInfPresent, maxSubLayersMinus1);
    }
  }
  return vps;
}
