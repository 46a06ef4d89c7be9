import type { BoxWriter } from '../box-writer.js';

/** dinf (8) holding dref (full box, entry_count: 16) holding one 'url ' full box with no location (12). */
export const DINF_SIZE = 36;

/** DataEntryUrlBox flag: the media data is in the same file (ISO/IEC 14496-12 §8.7.2.3). */
const SELF_CONTAINED = 0x000001;

/** DataInformationBox (§8.7.1) with a DataReferenceBox (§8.7.2) of one self-contained 'url ' entry. */
export function writeDinf(w: BoxWriter): void {
  const dinf = w.startBox('dinf');
  const dref = w.startFullBox('dref', 0, 0);
  w.u32(1); // entry_count
  const url = w.startFullBox('url ', 0, SELF_CONTAINED);
  w.endBox(url);
  w.endBox(dref);
  w.endBox(dinf);
}
