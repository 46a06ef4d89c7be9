import type { BoxWriter } from '../box-writer.js';

/** A version 0 MediaHeaderBox is 32 bytes (ISO/IEC 14496-12 §8.4.2.2). */
export const MDHD_SIZE = 32;

/** 'und' (ISO 639-2/T "undetermined") packed as three 5-bit letters minus 0x60 (§8.4.2.3). */
const LANGUAGE_UND = packLanguage('und');

/** MediaHeaderBox (ISO/IEC 14496-12 §8.4.2), version 0: the track's timescale, duration 0, language 'und'. */
export function writeMdhd(w: BoxWriter, timescale: number): void {
  const box = w.startFullBox('mdhd', 0, 0);
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(timescale);
  w.u32(0); // duration
  w.u16(LANGUAGE_UND); // pad(1) = 0, language(15)
  w.u16(0); // pre_defined
  w.endBox(box);
}

function packLanguage(code: string): number {
  let packed = 0;
  for (let i = 0; i < 3; i++) packed = (packed << 5) | ((code.charCodeAt(i) - 0x60) & 0x1f);
  return packed;
}
