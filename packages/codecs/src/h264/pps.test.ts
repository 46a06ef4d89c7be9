import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { firstNal, fixture, hex } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded, randomAfter } from '../test-fuzz.js';
import { type H264Pps, parseH264Pps } from './pps.js';

const ppsOf = (stream: string) => firstNal(fixture(`${stream}.h264`), 'h264', 8);

describe('parseH264Pps (H.264 §7.3.2.2) on x264 streams', () => {
  // x264 defaults: ref=3, CABAC except Baseline, weightp (P) except Baseline, implicit weightb with B-frames,
  // 8x8 transform in High; pic_init_qp is the CRF, chroma_qp_offset -2 from psy-rd.
  const x264 = {
    ppsId: 0,
    spsId: 0,
    bottomFieldPicOrderInFramePresent: false,
    numSliceGroups: 1,
    numRefIdxL0DefaultActive: 3,
    numRefIdxL1DefaultActive: 1,
    redundantPicCntPresent: false,
    chromaQpIndexOffset: -2,
    deblockingFilterControlPresent: true,
    constrainedIntraPred: false,
  };
  const cases: Array<[stream: string, hex: string, want: Partial<H264Pps>]> = [
    [
      'h264-baseline',
      '68cb80e4b2',
      { entropyCodingMode: false, weightedPred: false, weightedBipredIdc: 0, transform8x8Mode: false, picInitQp: 40 },
    ],
    [
      'h264-main-bf2',
      '68ebe0e4b2',
      { entropyCodingMode: true, weightedPred: true, weightedBipredIdc: 2, transform8x8Mode: false, picInitQp: 40 },
    ],
    [
      'h264-high-bpyramid',
      '68ebe0e4b22c',
      { entropyCodingMode: true, weightedPred: true, weightedBipredIdc: 2, transform8x8Mode: true, picInitQp: 40 },
    ],
    [
      'h264-high-nob',
      '68ebc0e4b22c',
      { entropyCodingMode: true, weightedPred: true, weightedBipredIdc: 0, transform8x8Mode: true, picInitQp: 40 },
    ],
  ];
  for (const [stream, bytes, want] of cases) {
    it(stream, () => {
      const nal = ppsOf(stream);
      expect(hex(nal)).toBe(bytes);
      expect(parseH264Pps(nal)).toEqual({ ...x264, ...want });
    });
  }

  it.each([
    ['an SPS', [0x67, 0x42, 0xc0, 0x1e]],
    ['one byte', [0x68]],
    ['pic_parameter_set_id 256', [0x68, 0x00, 0x80, 0x80]],
    ['a truncated PPS', [0x68, 0xeb]],
  ])('%s: CODECS_INVALID_PARAMETER_SET', (_name, bytes) => {
    expect(() => parseH264Pps(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }),
    );
  });

  it('fuzz: random and damaged PPS parse within limits or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    const seeds = ['h264-baseline', 'h264-main-bf2', 'h264-high-bpyramid'].map(ppsOf);
    fc.assert(
      fc.property(fc.oneof(randomAfter([0x68], 32), mutated(seeds, 1)), (data) => {
        const pps = parsesOrThrowsCoded(() => parseH264Pps(data));
        if (pps === undefined) return;
        expect(pps.numSliceGroups).toBeLessThanOrEqual(8);
        expect(pps.numRefIdxL0DefaultActive).toBeLessThanOrEqual(32);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
