import type { BoxWriter } from '../box-writer.js';

/** stts, stsc and stco with entry_count 0 (16 each), stsz with sample_size and sample_count 0 (20). */
const EMPTY_TABLES_SIZE = 16 + 16 + 20 + 16;

/** SampleTableBox holding a one-entry stsd (full box header + entry_count = 16) and the empty tables. */
export function stblSize(sampleEntrySize: number): number {
  return 8 + 16 + sampleEntrySize + EMPTY_TABLES_SIZE;
}

/**
 * SampleTableBox (ISO/IEC 14496-12 §8.5.1) of a fragmented track: the sample description and
 * empty sample tables, since every sample is in a movie fragment (§8.8.1, CMAF ISO/IEC 23000-19 §7.5.6).
 * `writeSampleEntry` writes the one sample entry (avc1, hvc1, mp4a, Opus).
 */
export function writeStbl(w: BoxWriter, writeSampleEntry: (w: BoxWriter) => void): void {
  const stbl = w.startBox('stbl');
  const stsd = w.startFullBox('stsd', 0, 0); // §8.5.2
  w.u32(1); // entry_count
  writeSampleEntry(w);
  w.endBox(stsd);
  writeEmptyTables(w);
  w.endBox(stbl);
}

/** TimeToSampleBox (§8.6.1.2), SampleToChunkBox (§8.7.4), SampleSizeBox (§8.7.3.2), ChunkOffsetBox (§8.7.5). */
export function writeEmptyTables(w: BoxWriter): void {
  for (const type of ['stts', 'stsc']) {
    const box = w.startFullBox(type, 0, 0);
    w.u32(0); // entry_count
    w.endBox(box);
  }
  const stsz = w.startFullBox('stsz', 0, 0);
  w.u32(0); // sample_size: sizes are per sample...
  w.u32(0); // ...and there are none
  w.endBox(stsz);
  const stco = w.startFullBox('stco', 0, 0);
  w.u32(0); // entry_count
  w.endBox(stco);
}
