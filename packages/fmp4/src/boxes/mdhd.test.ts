import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { MDHD_SIZE, writeMdhd } from './mdhd.js';

describe('mdhd (ISO/IEC 14496-12 §8.4.2)', () => {
  it.each([
    [90000, '00015f90'],
    [48000, '0000bb80'],
  ])('writes timescale %i and language und byte-exactly', (timescale, scaleHex) => {
    expect(boxHex(MDHD_SIZE, (w) => writeMdhd(w, timescale))).toBe(
      golden(
        `00000020 ${cc('mdhd')} 00000000`, // size 32, version 0
        `00000000 00000000 ${scaleHex} 00000000`, // creation, modification, timescale, duration 0
        '55c4 0000', // 'und': (21 << 10) | (14 << 5) | 4; pre_defined
      ),
    );
  });
});
