import type { BoxWriter } from '../box-writer.js';

/** VideoMediaHeaderBox: full box header, graphicsmode and opcolor[3] (ISO/IEC 14496-12 §12.1.2.2). */
export const VMHD_SIZE = 20;
/** SoundMediaHeaderBox: full box header, balance and reserved (ISO/IEC 14496-12 §12.2.2.2). */
export const SMHD_SIZE = 16;

/** VideoMediaHeaderBox (§12.1.2): flags 1 as the spec requires, graphicsmode 0 (copy). */
export function writeVmhd(w: BoxWriter): void {
  const box = w.startFullBox('vmhd', 0, 1);
  w.u16(0); // graphicsmode
  w.zeros(6); // opcolor
  w.endBox(box);
}

/** SoundMediaHeaderBox (§12.2.2): balance 0 (centre). */
export function writeSmhd(w: BoxWriter): void {
  const box = w.startFullBox('smhd', 0, 0);
  w.i16(0); // balance
  w.u16(0); // reserved
  w.endBox(box);
}
