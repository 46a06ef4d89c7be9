import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { stblSize, writeEmptyTables, writeStbl } from './stbl.js';

const EMPTY_TABLES = golden(
  `00000010 ${cc('stts')} 00000000 00000000`, // entry_count 0
  `00000010 ${cc('stsc')} 00000000 00000000`, // entry_count 0
  `00000014 ${cc('stsz')} 00000000 00000000 00000000`, // sample_size 0, sample_count 0
  `00000010 ${cc('stco')} 00000000 00000000`, // entry_count 0
);

describe('stbl (ISO/IEC 14496-12 §8.5.1)', () => {
  it('writes stts, stsc, stsz and stco empty, byte-exactly', () => {
    expect(boxHex(68, writeEmptyTables)).toBe(EMPTY_TABLES);
  });

  it('writes stsd with the one sample entry, then the empty tables', () => {
    const entry = golden(`0000000c ${cc('test')} 01020304`);
    const writeEntry = (w: Parameters<Parameters<typeof writeStbl>[1]>[0]) => {
      const box = w.startBox('test');
      w.u32(0x01020304);
      w.endBox(box);
    };
    expect(boxHex(stblSize(12), (w) => writeStbl(w, writeEntry))).toBe(
      golden(
        `00000068 ${cc('stbl')}`, // 8 + 28 + 68
        `0000001c ${cc('stsd')} 00000000 00000001`, // version 0, entry_count 1
        entry,
        EMPTY_TABLES,
      ),
    );
  });
});
