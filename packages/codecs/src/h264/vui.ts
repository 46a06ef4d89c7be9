import { type BitReader, isCodedError } from '@camgate/bits';
import { readVuiPrefix, type VuiPrefix } from '../common/vui-prefix.js';
import { CodecsError, CodecsErrorCode } from '../errors.js';

/** The parts of H.264 vui_parameters() (Annex E.1.1) that camgate uses. */
export interface H264Vui extends VuiPrefix {
  timing?: { numUnitsInTick: number; timeScale: number; fixedFrameRate: boolean };
  /** Present only when the whole VUI up to bitstream_restriction parsed. */
  bitstreamRestriction?: { maxNumReorderFrames: number; maxDecFrameBuffering: number };
}

/** cpb_cnt_minus1 <= 31 (E.2.2): at most 32 CPB specifications per HRD. */
const MAX_CPB_COUNT = 32;
/** max_dec_frame_buffering and max_num_reorder_frames never exceed MaxDpbFrames <= 16 (E.2.1). */
const MAX_DPB_FRAMES = 16;

/**
 * Parses vui_parameters() (H.264 E.1.1). Cameras send truncated or corrupt VUI often enough that
 * ffmpeg tolerates it ("Overread VUI", h264_ps.c); so does this: a VUI that ends early or holds an
 * out-of-range value keeps the fields fully read before that point and drops the rest, instead of
 * failing the whole SPS.
 */
export function parseH264Vui(r: BitReader): H264Vui {
  const vui: H264Vui = {};
  try {
    readVui(r, vui);
  } catch (err) {
    // Tolerated, see above: `vui` holds what was read before the damage.
    if (!isCodedError(err)) throw err;
  }
  return vui;
}

function readVui(r: BitReader, vui: H264Vui): void {
  readVuiPrefix(r, vui);
  if (r.readFlag()) {
    const numUnitsInTick = r.readBits(32);
    const timeScale = r.readBits(32);
    const fixedFrameRate = r.readFlag();
    vui.timing = { numUnitsInTick, timeScale, fixedFrameRate };
  }
  const nalHrd = r.readFlag();
  if (nalHrd) skipHrdParameters(r);
  const vclHrd = r.readFlag();
  if (vclHrd) skipHrdParameters(r);
  if (nalHrd || vclHrd) r.skipBits(1); // low_delay_hrd_flag
  r.skipBits(1); // pic_struct_present_flag
  if (r.readFlag()) {
    r.skipBits(1); // motion_vectors_over_pic_boundaries_flag
    r.readUE(); // max_bytes_per_pic_denom
    r.readUE(); // max_bits_per_mb_denom
    r.readUE(); // log2_max_mv_length_horizontal
    r.readUE(); // log2_max_mv_length_vertical
    const maxNumReorderFrames = r.readUE();
    const maxDecFrameBuffering = r.readUE();
    if (maxNumReorderFrames <= MAX_DPB_FRAMES && maxDecFrameBuffering <= MAX_DPB_FRAMES) {
      vui.bitstreamRestriction = { maxNumReorderFrames, maxDecFrameBuffering };
    }
  }
}

/** hrd_parameters() of H.264 E.1.2, skipped. */
function skipHrdParameters(r: BitReader): void {
  const cpbCount = r.readUE() + 1;
  if (cpbCount > MAX_CPB_COUNT) {
    throw new CodecsError(CodecsErrorCode.INVALID_PARAMETER_SET, `cpb_cnt_minus1 = ${cpbCount - 1} > 31`);
  }
  r.skipBits(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCount; i++) {
    r.readUE(); // bit_rate_value_minus1
    r.readUE(); // cpb_size_value_minus1
    r.skipBits(1); // cbr_flag
  }
  r.skipBits(20); // four 5-bit delay and offset lengths
}
