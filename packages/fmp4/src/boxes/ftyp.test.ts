import { describe, expect, it } from 'vitest';
import { BoxWriter } from '../box-writer.js';
import { CMAF_FILE_TYPE, ftypSize, writeFtyp } from './ftyp.js';

describe('ftyp (ISO/IEC 14496-12 §4.3)', () => {
  it('writes the CMAF file type byte-exactly', () => {
    const w = new BoxWriter(ftypSize(CMAF_FILE_TYPE));
    writeFtyp(w, CMAF_FILE_TYPE);
    // prettier-ignore
    expect([...w.finish()]).toEqual([
      0x00, 0x00, 0x00, 0x1c, 0x66, 0x74, 0x79, 0x70, // size 28, 'ftyp'
      0x69, 0x73, 0x6f, 0x36, 0x00, 0x00, 0x00, 0x00, // 'iso6', minor 0
      0x69, 0x73, 0x6f, 0x36, 0x63, 0x6d, 0x66, 0x63, // 'iso6', 'cmfc'
      0x6d, 0x70, 0x34, 0x31, //                         'mp41'
    ]);
  });
});
