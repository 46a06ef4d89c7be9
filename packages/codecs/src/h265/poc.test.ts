import { describe, expect, it } from 'vitest';
import { splitAccessUnits } from '../nal/access-units.js';
import { fixture, packets } from '../test-fixtures.js';
import { H265PocDecoder } from './poc.js';
import { parseH265Pps } from './pps.js';
import { type H265SliceHeader, parseH265SliceHeader } from './slice-header.js';
import { type H265Sps, parseH265Sps } from './sps.js';

const typeOf = (nal: Uint8Array) => ((nal[0] as number) >> 1) & 0x3f;

describe('H265PocDecoder (H.265 §8.3.1)', () => {
  for (const stream of ['h265-main', 'h265-main10', 'h265-main-nob']) {
    it(`gives x265's POC, the frame's place in presentation order since the IDR: ${stream}`, () => {
      const aus = splitAccessUnits(fixture(`${stream}.h265`), 'h265');
      const first = aus[0] as Uint8Array[];
      const sps = parseH265Sps(first.find((n) => typeOf(n) === 33) as Uint8Array);
      const pps = parseH265Pps(first.find((n) => typeOf(n) === 34) as Uint8Array);
      const decoder = new H265PocDecoder();
      const pts = packets(stream).map((p) => p.pts);
      let idrPts = 0;
      aus.forEach((au, n) => {
        const header = parseH265SliceHeader(au.find((nal) => typeOf(nal) <= 31) as Uint8Array, {
          sps: () => sps,
          pps: () => pps,
        });
        const idr = header.nalType === 19 || header.nalType === 20;
        if (idr) idrPts = pts[n] as number;
        // The CRA of the open GOP does not restart the count (NoRaslOutputFlag 0).
        expect(decoder.decode(header, sps, idr || n === 0)).toBe(((pts[n] as number) - idrPts) / 3600);
      });
    });
  }

  it('wraps the LSB both ways, and only TemporalId 0 reference pictures that are not leading count as prevTid0Pic', () => {
    const sps = { log2MaxPicOrderCntLsb: 4 } as H265Sps;
    const decoder = new H265PocDecoder();
    const pic = (nalType: number, lsb: number | undefined, temporalId = 0): H265SliceHeader => {
      const header: H265SliceHeader = {
        nalType,
        temporalId,
        firstSliceSegmentInPic: true,
        ppsId: 0,
        dependentSliceSegment: false,
        sliceSegmentAddress: 0,
        picOutput: true,
      };
      if (lsb !== undefined) header.picOrderCntLsb = lsb;
      return header;
    };
    const got = [
      decoder.decode(pic(19, undefined), sps, true), // IDR_W_RADL: 0
      decoder.decode(pic(1, 6), sps, false), // TRAIL_R: 6
      decoder.decode(pic(1, 12), sps, false), // 12: up by less than half (8)
      decoder.decode(pic(1, 2), sps, false), // 12 -> 2 wraps forwards: 18
      decoder.decode(pic(0, 15), sps, false), // TRAIL_N from 18 (LSB 2): 15 is more than half up, MSB back: 15
      decoder.decode(pic(1, 6), sps, false), // prevTid0 is still 18 (TRAIL_N is sub-layer non-reference): 22
      decoder.decode(pic(1, 10, 1), sps, false), // TemporalId 1: 26, and not prevTid0
      decoder.decode(pic(7, 1), sps, false), // RADL_R, from 22: 17, and not prevTid0
      decoder.decode(pic(1, 14), sps, false), // from 22 (LSB 6): up by exactly half, not more: 30
      decoder.decode(pic(21, 3), sps, true), // CRA starting a sequence: MSB 0
    ];
    expect(got).toEqual([0, 6, 12, 18, 15, 22, 26, 17, 30, 3]);
  });
});
