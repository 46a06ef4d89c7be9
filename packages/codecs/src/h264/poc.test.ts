import { describe, expect, it } from 'vitest';
import { splitAccessUnits } from '../nal/access-units.js';
import { fixture, packets } from '../test-fixtures.js';
import { type SliceFields, type SpsFields, writeH264Pps, writeH264Slice, writeH264Sps } from '../test-h264-writer.js';
import { H264PocDecoder } from './poc.js';
import { parseH264Pps } from './pps.js';
import { parseH264SliceHeader } from './slice-header.js';
import { parseH264Sps } from './sps.js';

/** POC of each picture of a synthetic stream, decoded in order. */
function pocs(spsFields: SpsFields, slices: SliceFields[]): Array<[number, boolean]> {
  const sps = parseH264Sps(writeH264Sps(spsFields));
  const pps = parseH264Pps(writeH264Pps());
  const decoder = new H264PocDecoder();
  return slices.map((fields) => {
    const header = parseH264SliceHeader(writeH264Slice(fields, spsFields), { sps: () => sps, pps: () => pps });
    const { poc, startsSequence } = decoder.decode(header, sps);
    return [poc, startsSequence];
  });
}

const picture = { profileIdc: 77, picWidthInMbs: 20, picHeightInMapUnits: 15 };
const I = 2;
const P = 0;
const B = 1;

describe('H264PocDecoder (H.264 §8.2.1)', () => {
  for (const stream of ['h264-baseline', 'h264-main-bf2', 'h264-high-bpyramid', 'h264-high-1080p']) {
    it(`gives x264's POC, twice the frame's place in presentation order since the IDR: ${stream}`, () => {
      const aus = splitAccessUnits(fixture(`${stream}.h264`), 'h264');
      const first = aus[0] as Uint8Array[];
      const sps = parseH264Sps(first.find((n) => ((n[0] as number) & 0x1f) === 7) as Uint8Array);
      const pps = parseH264Pps(first.find((n) => ((n[0] as number) & 0x1f) === 8) as Uint8Array);
      const decoder = new H264PocDecoder();
      const pts = packets(stream).map((p) => p.pts);
      const frame = 90_000 / (sps.fps as number);
      let idrPts = 0;
      aus.forEach((au, i) => {
        const slice = au.find((n) => [1, 5].includes((n[0] as number) & 0x1f)) as Uint8Array;
        const order = decoder.decode(parseH264SliceHeader(slice, { sps: () => sps, pps: () => pps }), sps);
        if (order.startsSequence) idrPts = pts[i] as number;
        expect(order.poc).toBe((2 * ((pts[i] as number) - idrPts)) / frame);
      });
    });
  }

  it('type 0: carries the MSB when the LSB wraps, both ways', () => {
    const sps = { ...picture, log2MaxFrameNum: 4, picOrderCntType: 0, log2MaxPicOrderCntLsb: 4 };
    const lsbs: Array<[number, number, number]> = [
      // [slice type, pic_order_cnt_lsb, nal_ref_idc]
      [P, 8, 2],
      [P, 14, 2],
      [P, 2, 2], // 14 -> 2: wrapped forwards, MSB 16
      [B, 14, 0], // 2 -> 14: more than half a wrap up, so back to MSB 0
      [P, 6, 2], // from the previous reference picture (LSB 2, MSB 16), not the B
      [B, 4, 0],
    ];
    const slices: SliceFields[] = [
      { idr: true, sliceType: I, frameNum: 0, picOrderCntLsb: 0 },
      ...lsbs.map(([sliceType, lsb, nalRefIdc], i) => ({ sliceType, frameNum: i + 1, picOrderCntLsb: lsb, nalRefIdc })),
    ];
    expect(pocs(sps, slices).map(([poc]) => poc)).toEqual([0, 8, 14, 18, 14, 22, 20]);
  });

  it('type 1: expected POC from the cycle of reference frame offsets, the non-reference offset and frame_num wraps', () => {
    // I0 P4 B2 P8 B6 ... coded as type 1: each reference frame advances 4, a non-reference one sits 2 before.
    const sps = {
      ...picture,
      log2MaxFrameNum: 4,
      picOrderCntType: 1,
      offsetsForRefFrame: [4],
      offsetForNonRefPic: -2,
    };
    const slices: SliceFields[] = [{ idr: true, sliceType: I, frameNum: 0 }];
    // frame_num counts reference pictures and wraps at 16: non-reference pictures repeat the next number.
    let frameNum = 0;
    for (let i = 0; i < 12; i++) {
      frameNum = (frameNum + 1) % 16;
      slices.push({ sliceType: P, frameNum });
      slices.push({ sliceType: B, frameNum: (frameNum + 1) % 16, nalRefIdc: 0 });
    }
    const got = pocs(sps, slices).map(([poc]) => poc);
    expect(got).toEqual([0, ...Array.from({ length: 12 }, (_, i) => [4 * (i + 1), 4 * (i + 1) - 2]).flat()]);
  });

  it('type 1 with delta_pic_order_cnt[0] and a cycle of two offsets', () => {
    const sps = { ...picture, log2MaxFrameNum: 4, picOrderCntType: 1, offsetsForRefFrame: [2, 6] };
    const got = pocs(sps, [
      { idr: true, sliceType: I, frameNum: 0 },
      { sliceType: P, frameNum: 1 }, // absFrameNum 1: 2
      { sliceType: P, frameNum: 2 }, // absFrameNum 2: 2 + 6
      { sliceType: P, frameNum: 3, deltaPicOrderCnt: [-1, 0] }, // 8 + 2 - 1
    ]);
    expect(got.map(([poc]) => poc)).toEqual([0, 2, 8, 9]);
  });

  it('type 2: twice the frame number, minus one for non-reference pictures, across frame_num wraps', () => {
    const sps = { ...picture, log2MaxFrameNum: 4, picOrderCntType: 2 };
    const slices: SliceFields[] = [{ idr: true, sliceType: I, frameNum: 0 }];
    for (let i = 1; i < 40; i++) slices.push({ sliceType: P, frameNum: i % 16, nalRefIdc: i % 3 === 0 ? 0 : 2 });
    const got = pocs(sps, slices).map(([poc]) => poc);
    // (8-12): 2 * (FrameNumOffset + frame_num), one less for a non-reference picture.
    expect(got).toEqual([0, ...Array.from({ length: 39 }, (_, k) => 2 * (k + 1) - ((k + 1) % 3 === 0 ? 1 : 0))]);
  });

  it('memory_management_control_operation 5 restarts the order like an IDR', () => {
    const sps = { ...picture, log2MaxFrameNum: 4, picOrderCntType: 0, log2MaxPicOrderCntLsb: 8 };
    const got = pocs(sps, [
      { idr: true, sliceType: I, frameNum: 0, picOrderCntLsb: 0 },
      { sliceType: P, frameNum: 1, picOrderCntLsb: 100 },
      { sliceType: P, frameNum: 2, picOrderCntLsb: 110, mmco5: true },
      // After it, the previous reference counts as POC 0 and LSB 0.
      { sliceType: P, frameNum: 1, picOrderCntLsb: 4 },
    ]);
    expect(got).toEqual([
      [0, true],
      [100, false],
      [0, true],
      [4, false],
    ]);
  });
});
