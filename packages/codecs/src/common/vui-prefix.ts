import type { BitReader } from '@camgate/bits';
import { EXTENDED_SAR, sampleAspectRatio } from './aspect-ratio.js';

/** The fields both H.264 and H.265 VUI carry first. */
export interface VuiPrefix {
  sampleAspectRatio?: { num: number; den: number };
  videoFullRange?: boolean;
  colourPrimaries?: number;
  transferCharacteristics?: number;
  matrixCoefficients?: number;
}

/**
 * Reads the start of vui_parameters() that H.264 (E.1.1) and H.265 (E.2.1) share:
 * aspect ratio, overscan, video signal type and chroma sample location.
 */
export function readVuiPrefix(r: BitReader, vui: VuiPrefix): void {
  if (r.readFlag()) {
    const idc = r.readBits(8);
    if (idc === EXTENDED_SAR) {
      const num = r.readBits(16);
      const den = r.readBits(16);
      if (num > 0 && den > 0) vui.sampleAspectRatio = { num, den };
    } else {
      const sar = sampleAspectRatio(idc);
      if (sar !== undefined) vui.sampleAspectRatio = sar;
    }
  }
  if (r.readFlag()) r.skipBits(1); // overscan_appropriate_flag
  if (r.readFlag()) {
    r.skipBits(3); // video_format
    const fullRange = r.readFlag();
    let colour: [number, number, number] | undefined;
    if (r.readFlag()) colour = [r.readBits(8), r.readBits(8), r.readBits(8)];
    vui.videoFullRange = fullRange;
    if (colour !== undefined) {
      [vui.colourPrimaries, vui.transferCharacteristics, vui.matrixCoefficients] = colour;
    }
  }
  if (r.readFlag()) {
    r.readUE(); // chroma_sample_loc_type_top_field
    r.readUE(); // chroma_sample_loc_type_bottom_field
  }
}
