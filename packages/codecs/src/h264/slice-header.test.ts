import { BitReader, removeEmulationPrevention } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { splitAccessUnits } from '../nal/access-units.js';
import { fixture, packets } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded, randomAfter } from '../test-fuzz.js';
import { writeH264Pps, writeH264Slice, writeH264Sps } from '../test-h264-writer.js';
import { parseH264Pps } from './pps.js';
import { type H264ParameterSetLookup, parseH264SliceHeader } from './slice-header.js';
import { parseH264Sps } from './sps.js';

const streams = ['h264-baseline', 'h264-main-bf2', 'h264-high-bpyramid', 'h264-high-nob', 'h264-high-1080p'];

function lookupFor(stream: string): { lookup: H264ParameterSetLookup; aus: Uint8Array[][] } {
  const aus = splitAccessUnits(fixture(`${stream}.h264`), 'h264');
  const first = aus[0] as Uint8Array[];
  const sps = parseH264Sps(first.find((n) => ((n[0] as number) & 0x1f) === 7) as Uint8Array);
  const pps = parseH264Pps(first.find((n) => ((n[0] as number) & 0x1f) === 8) as Uint8Array);
  return { lookup: { sps: (id) => (id === 0 ? sps : undefined), pps: (id) => (id === 0 ? pps : undefined) }, aus };
}

const slicesOf = (au: Uint8Array[]) => au.filter((n) => [1, 5].includes((n[0] as number) & 0x1f));

describe('parseH264SliceHeader (H.264 §7.3.3)', () => {
  it('reads the IDR slice header of x264 High, field by field', () => {
    const { lookup, aus } = lookupFor('h264-high-bpyramid');
    // 65 | 88 84 01 7f: ue 0, ue 7, ue 0, u(4) 0, ue 0, u(6) 0, 0, 0, se +1, ue 0, se 0, se 0, then 1111 alignment.
    expect(parseH264SliceHeader(slicesOf(aus[0] as Uint8Array[])[0] as Uint8Array, lookup)).toEqual({
      nalType: 5,
      nalRefIdc: 3,
      firstMbInSlice: 0,
      sliceType: 7,
      ppsId: 0,
      frameNum: 0,
      fieldPic: false,
      bottomField: false,
      idrPicId: 0,
      picOrderCntLsb: 0,
      deltaPicOrderCnt: [0, 0],
      noOutputOfPriorPics: false,
      longTermReference: false,
      sliceQpDelta: 1,
      disableDeblockingFilterIdc: 0,
      headerBits: 28,
    });
  });

  for (const stream of streams) {
    it(`parses every slice of ${stream} to its exact end`, () => {
      const { lookup, aus } = lookupFor(stream);
      const pps = lookup.pps(0);
      const sps = lookup.sps(0);
      const pts = packets(stream).map((p) => p.pts);
      let idrPts = 0;
      aus.forEach((au, i) => {
        for (const slice of slicesOf(au)) {
          const header = parseH264SliceHeader(slice, lookup);
          if (header.nalType === 5) idrPts = pts[i] as number;
          // x264 numbers frames in presentation order, two POC units per frame, from each IDR.
          const displayIndex = ((pts[i] as number) - idrPts) / (90_000 / (sps?.fps ?? 1));
          if (sps?.picOrderCntType === 0) {
            expect(header.picOrderCntLsb).toBe((2 * displayIndex) % 2 ** sps.log2MaxPicOrderCntLsb);
          }
          if (pps?.entropyCodingMode === true) {
            // CABAC slice data starts byte-aligned after cabac_alignment_one_bits: a header parsed
            // to its exact end leaves only one bits before the boundary.
            const r = new BitReader(removeEmulationPrevention(slice.subarray(1, 80)));
            r.skipBits(header.headerBits as number);
            while (!r.byteAligned) expect(r.readBit()).toBe(1);
          }
        }
      });
    });
  }

  it('refuses a slice whose PPS or SPS has not been received: CODECS_MISSING_PARAMETER_SET', () => {
    const { lookup, aus } = lookupFor('h264-main-bf2');
    const slice = slicesOf(aus[0] as Uint8Array[])[0] as Uint8Array;
    const pps = lookup.pps(0);
    for (const missing of [
      { sps: (id: number) => lookup.sps(id), pps: () => undefined },
      { sps: () => undefined, pps: () => pps },
    ]) {
      expect(() => parseH264SliceHeader(slice, missing)).toThrow(
        expect.objectContaining({ code: CodecsErrorCode.MISSING_PARAMETER_SET }),
      );
    }
  });

  it.each([
    ['an SPS', [0x67, 0x42, 0xc0, 0x1e]],
    ['a lone header byte', [0x65]],
    ['a truncated slice', [0x65, 0x88]],
    ['slice_type 10', [0x65, 0x8b, 0x80]],
  ])('%s: CODECS_INVALID_SLICE_HEADER', (_name, bytes) => {
    const { lookup } = lookupFor('h264-main-bf2');
    expect(() => parseH264SliceHeader(Uint8Array.from(bytes), lookup)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_SLICE_HEADER }),
    );
  });

  it('reads field pictures, delta_pic_order_cnt_bottom and memory_management_control_operation 5', () => {
    const sps = { profileIdc: 77, log2MaxFrameNum: 5, picOrderCntType: 0, log2MaxPicOrderCntLsb: 7 } as const;
    const spsFields = { ...sps, picWidthInMbs: 20, picHeightInMapUnits: 8, frameMbsOnly: false };
    const ppsFields = { bottomFieldPicOrderInFramePresent: true, entropyCodingMode: true };
    const parsedSps = parseH264Sps(writeH264Sps(spsFields));
    const parsedPps = parseH264Pps(writeH264Pps(ppsFields));
    const lookup = { sps: () => parsedSps, pps: () => parsedPps };
    const frame = writeH264Slice(
      { sliceType: 0, frameNum: 3, picOrderCntLsb: 100, deltaPicOrderCntBottom: -1 },
      spsFields,
      ppsFields,
    );
    expect(parseH264SliceHeader(frame, lookup)).toMatchObject({
      frameNum: 3,
      fieldPic: false,
      picOrderCntLsb: 100,
      deltaPicOrderCntBottom: -1,
      hasMmco5: false,
    });
    const field = writeH264Slice(
      { sliceType: 1, frameNum: 4, fieldPic: true, bottomField: true, picOrderCntLsb: 5, mmco5: true },
      spsFields,
      ppsFields,
    );
    const header = parseH264SliceHeader(field, lookup);
    expect(header).toMatchObject({ fieldPic: true, bottomField: true, picOrderCntLsb: 5, hasMmco5: true });
    expect(header.deltaPicOrderCntBottom).toBeUndefined();
  });

  it('fuzz: random and damaged slices parse or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    const { lookup, aus } = lookupFor('h264-high-bpyramid');
    const seeds = aus.slice(0, 6).map((au) => (slicesOf(au)[0] as Uint8Array).subarray(0, 40));
    fc.assert(
      fc.property(fc.oneof(randomAfter([0x65], 24), randomAfter([0x41], 24), mutated(seeds, 1)), (data) => {
        const header = parsesOrThrowsCoded(() => parseH264SliceHeader(data, lookup));
        if (header !== undefined) expect(header.sliceType).toBeLessThanOrEqual(9);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
