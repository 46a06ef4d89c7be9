import type { BoxWriter } from '../box-writer.js';

/**
 * Box header (8), SampleEntry (reserved 6, data_reference_index 2) and the VisualSampleEntry
 * fields up to pre_defined = -1 (70): ISO/IEC 14496-12 §8.5.2.2, §12.1.3.2.
 */
export const VISUAL_SAMPLE_ENTRY_HEADER_SIZE = 86;

/** PixelAspectRatioBox: hSpacing and vSpacing (ISO/IEC 14496-12 §12.1.4.2). */
export const PASP_SIZE = 16;

/** 72 dpi as 16.16, the value §12.1.3.3 requires for horizresolution and vertresolution. */
const RESOLUTION_72_DPI = 0x00480000;

/**
 * Opens a VisualSampleEntry (§12.1.3) of type `fourcc` and writes its fixed fields; the caller
 * writes the child boxes (avcC, pasp, ...) and closes it with `w.endBox` on the returned offset.
 * `width` and `height` are the cropped picture size in pixels (ISO/IEC 14496-15 §5.4.2.1.2, §8.4.1.1.2).
 */
export function startVisualSampleEntry(w: BoxWriter, fourcc: string, width: number, height: number): number {
  const box = w.startBox(fourcc);
  w.zeros(6); // reserved
  w.u16(1); // data_reference_index: the one 'url ' entry of dref
  w.u16(0); // pre_defined
  w.u16(0); // reserved
  w.zeros(12); // pre_defined
  w.u16(width);
  w.u16(height);
  w.u32(RESOLUTION_72_DPI); // horizresolution
  w.u32(RESOLUTION_72_DPI); // vertresolution
  w.u32(0); // reserved
  w.u16(1); // frame_count: one frame per sample
  w.zeros(32); // compressorname: empty (a length byte of 0, then padding)
  w.u16(0x0018); // depth: colour, no alpha
  w.i16(-1); // pre_defined
  return box;
}

/** PixelAspectRatioBox (§12.1.4): the sample aspect ratio, hSpacing:vSpacing. */
export function writePasp(w: BoxWriter, hSpacing: number, vSpacing: number): void {
  const box = w.startBox('pasp');
  w.u32(hSpacing);
  w.u32(vSpacing);
  w.endBox(box);
}
