import { type BitReader, isCodedError } from '@camgate/bits';
import { readVuiPrefix, type VuiPrefix } from '../common/vui-prefix.js';
import { CodecsError, CodecsErrorCode } from '../errors.js';

/** The parts of H.265 vui_parameters() (Annex E.2.1) that camgate uses. */
export interface H265Vui extends VuiPrefix {
  fieldSeq?: boolean;
  timing?: { numUnitsInTick: number; timeScale: number };
}

/** 0 < fps <= 300: cameras run at 1..120 fps; anything else in timing info is a camera bug. */
const MAX_SANE_FPS = 300;
/** cpb_cnt_minus1 <= 31 (E.3.2): at most 32 CPB specifications per sub-layer. */
const MAX_CPB_COUNT = 32;

/**
 * Parses vui_parameters() (H.265 E.2.1). As for H.264 (see parseH264Vui), a VUI that ends early
 * or is corrupt keeps the fields read before the damage instead of failing the whole SPS.
 */
export function parseH265Vui(r: BitReader, maxSubLayersMinus1: number): H265Vui {
  const vui: H265Vui = {};
  try {
    readVui(r, vui, maxSubLayersMinus1);
  } catch (err) {
    if (!isCodedError(err)) throw err;
  }
  return vui;
}

function readVui(r: BitReader, vui: H265Vui, maxSubLayersMinus1: number): void {
  readVuiPrefix(r, vui);
  r.skipBits(1); // neutral_chroma_indication_flag
  vui.fieldSeq = r.readFlag();
  r.skipBits(1); // frame_field_info_present_flag
  if (r.readFlag()) {
    // default_display_window offsets
    for (let i = 0; i < 4; i++) r.readUE();
  }
  if (r.readFlag()) {
    const numUnitsInTick = r.readBits(32);
    const timeScale = r.readBits(32);
    vui.timing = { numUnitsInTick, timeScale };
    if (r.readFlag()) r.readUE(); // vui_num_ticks_poc_diff_one_minus1
    if (r.readFlag()) skipH265HrdParameters(r, true, maxSubLayersMinus1);
  }
  // bitstream_restriction is not needed: sps_max_num_reorder_pics is always coded in the SPS.
}

/** hrd_parameters(commonInfPresentFlag, maxNumSubLayersMinus1) of H.265 E.2.2, skipped. */
export function skipH265HrdParameters(r: BitReader, commonInfPresent: boolean, maxSubLayersMinus1: number): void {
  let nalHrd = false;
  let vclHrd = false;
  let subPicHrdParams = false;
  if (commonInfPresent) {
    nalHrd = r.readFlag();
    vclHrd = r.readFlag();
    if (nalHrd || vclHrd) {
      subPicHrdParams = r.readFlag();
      // tick_divisor_minus2, du_cpb_removal_delay_increment_length_minus1,
      // sub_pic_cpb_params_in_pic_timing_sei_flag, dpb_output_delay_du_length_minus1
      if (subPicHrdParams) r.skipBits(8 + 5 + 1 + 5);
      r.skipBits(8); // bit_rate_scale, cpb_size_scale
      if (subPicHrdParams) r.skipBits(4); // cpb_size_du_scale
      r.skipBits(15); // three 5-bit lengths
    }
  }
  for (let i = 0; i <= maxSubLayersMinus1; i++) {
    const fixedPicRateGeneral = r.readFlag();
    const fixedPicRateWithinCvs = fixedPicRateGeneral ? true : r.readFlag();
    let lowDelayHrd = false;
    if (fixedPicRateWithinCvs)
      r.readUE(); // elemental_duration_in_tc_minus1
    else lowDelayHrd = r.readFlag();
    let cpbCount = 1;
    if (!lowDelayHrd) {
      cpbCount = r.readUE() + 1;
      if (cpbCount > MAX_CPB_COUNT) {
        throw new CodecsError(CodecsErrorCode.INVALID_PARAMETER_SET, `cpb_cnt_minus1 = ${cpbCount - 1} > 31`);
      }
    }
    for (const present of [nalHrd, vclHrd]) {
      if (!present) continue;
      // sub_layer_hrd_parameters(i) (E.2.3)
      for (let j = 0; j < cpbCount; j++) {
        r.readUE(); // bit_rate_value_minus1
        r.readUE(); // cpb_size_value_minus1
        if (subPicHrdParams) {
          r.readUE(); // cpb_size_du_value_minus1
          r.readUE(); // bit_rate_du_value_minus1
        }
        r.skipBits(1); // cbr_flag
      }
    }
  }
}

/** time_scale / num_units_in_tick (E.3.1: one tick per picture), when sane. */
export function h265Fps(timing: { numUnitsInTick: number; timeScale: number } | undefined): number | undefined {
  if (timing === undefined || timing.numUnitsInTick === 0) return undefined;
  const fps = timing.timeScale / timing.numUnitsInTick;
  return fps > 0 && fps <= MAX_SANE_FPS ? fps : undefined;
}
