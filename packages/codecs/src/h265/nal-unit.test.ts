import { describe, expect, it } from 'vitest';
import { H265NalType, h265NalType, isH265RandomAccess } from './nal-unit.js';

describe('h265NalType (H.265 §7.3.1.2)', () => {
  const cases: Array<[header: [number, number], type: number, irap: boolean]> = [
    [[0x40, 0x01], H265NalType.VPS, false],
    [[0x42, 0x01], H265NalType.SPS, false],
    [[0x44, 0x01], H265NalType.PPS, false],
    [[0x26, 0x01], H265NalType.IDR_W_RADL, true],
    [[0x2a, 0x01], H265NalType.CRA_NUT, true],
    [[0x02, 0x01], 1, false], // TRAIL_R
    [[0x4e, 0x01], H265NalType.PREFIX_SEI, false],
  ];
  it.each(cases)('header %j -> type %i (IRAP %s)', (header, type, irap) => {
    const nal = Uint8Array.from(header);
    expect(h265NalType(nal)).toBe(type);
    expect(isH265RandomAccess(h265NalType(nal))).toBe(irap);
  });
});
