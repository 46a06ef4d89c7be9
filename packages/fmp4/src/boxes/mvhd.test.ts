import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { MVHD_SIZE, writeMvhd } from './mvhd.js';

const UNITY_MATRIX = '00010000 00000000 00000000 00000000 00010000 00000000 00000000 00000000 40000000';

describe('mvhd (ISO/IEC 14496-12 §8.2.2)', () => {
  it.each([
    [1000, 3, '000003e8', '00000003'],
    [90000, 0xffffffff, '00015f90', 'ffffffff'],
  ])('writes timescale %i and next_track_ID %i byte-exactly', (timescale, nextTrackId, scaleHex, nextHex) => {
    expect(boxHex(MVHD_SIZE, (w) => writeMvhd(w, { timescale, nextTrackId }))).toBe(
      golden(
        `0000006c ${cc('mvhd')} 00000000`, // size 108, version 0, flags 0
        `00000000 00000000 ${scaleHex} 00000000`, // creation, modification, timescale, duration 0
        '00010000 0100 0000 00000000 00000000', // rate 1.0, volume 1.0, reserved
        UNITY_MATRIX,
        '00000000 00000000 00000000 00000000 00000000 00000000', // pre_defined
        nextHex,
      ),
    );
  });
});
