import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { splitAccessUnits } from '../nal/access-units.js';
import { fixture, packets } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded, randomAfter } from '../test-fuzz.js';
import { parseH265Pps } from './pps.js';
import { type H265ParameterSetLookup, parseH265SliceHeader } from './slice-header.js';
import { parseH265Sps } from './sps.js';

const typeOf = (nal: Uint8Array) => ((nal[0] as number) >> 1) & 0x3f;

function load(stream: string): { lookup: H265ParameterSetLookup; aus: Uint8Array[][] } {
  const aus = splitAccessUnits(fixture(`${stream}.h265`), 'h265');
  const first = aus[0] as Uint8Array[];
  const sps = parseH265Sps(first.find((n) => typeOf(n) === 33) as Uint8Array);
  const pps = parseH265Pps(first.find((n) => typeOf(n) === 34) as Uint8Array);
  return { lookup: { sps: (id) => (id === 0 ? sps : undefined), pps: (id) => (id === 0 ? pps : undefined) }, aus };
}

describe('parseH265SliceHeader (H.265 §7.3.6.1)', () => {
  it('reads the first slice segments of x265 Main: IDR, then a trailing picture', () => {
    const { lookup, aus } = load('h265-main');
    const slice = (n: number) => (aus[n] as Uint8Array[]).find((nal) => typeOf(nal) <= 31) as Uint8Array;
    expect(parseH265SliceHeader(slice(0), lookup)).toEqual({
      nalType: 20,
      temporalId: 0,
      firstSliceSegmentInPic: true,
      noOutputOfPriorPics: false,
      ppsId: 0,
      dependentSliceSegment: false,
      sliceSegmentAddress: 0,
      sliceType: 2,
      picOutput: true,
    });
    expect(parseH265SliceHeader(slice(1), lookup)).toMatchObject({ nalType: 1, sliceType: 1, picOrderCntLsb: 5 });
  });

  for (const stream of ['h265-main', 'h265-main10', 'h265-main-nob']) {
    it(`gives x265's POC LSB (the frame's place in presentation order since the IDR) for every picture: ${stream}`, () => {
      const { lookup, aus } = load(stream);
      const pts = packets(stream).map((p) => p.pts);
      let idrPts = 0;
      aus.forEach((au, n) => {
        const header = parseH265SliceHeader(au.find((nal) => typeOf(nal) <= 31) as Uint8Array, lookup);
        if (header.nalType === 19 || header.nalType === 20) idrPts = pts[n] as number;
        expect(header.picOrderCntLsb ?? 0).toBe((((pts[n] as number) - idrPts) / 3600) % 256);
      });
    });
  }

  it('refuses a slice whose PPS or SPS has not been received: CODECS_MISSING_PARAMETER_SET', () => {
    const { lookup, aus } = load('h265-main');
    const slice = (aus[1] as Uint8Array[]).find((nal) => typeOf(nal) <= 31) as Uint8Array;
    expect(() => parseH265SliceHeader(slice, { sps: (id) => lookup.sps(id), pps: () => undefined })).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.MISSING_PARAMETER_SET }),
    );
    expect(() => parseH265SliceHeader(slice, { sps: () => undefined, pps: (id) => lookup.pps(id) })).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.MISSING_PARAMETER_SET }),
    );
  });

  it.each([
    ['a VPS', [0x40, 0x01, 0x0c]],
    ['nuh_temporal_id_plus1 0', [0x02, 0x00, 0x80]],
    ['a truncated slice', [0x02, 0x01]],
    ['slice_segment_address outside the picture', [0x02, 0x01, 0x7f, 0xc0]],
  ])('%s: CODECS_INVALID_SLICE_HEADER', (_name, bytes) => {
    const { lookup } = load('h265-main');
    expect(() => parseH265SliceHeader(Uint8Array.from(bytes), lookup)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_SLICE_HEADER }),
    );
  });

  it('fuzz: random and damaged slice segments parse or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    const { lookup, aus } = load('h265-main');
    const seeds = aus.slice(0, 8).map((au) => (au.find((nal) => typeOf(nal) <= 31) as Uint8Array).subarray(0, 24));
    fc.assert(
      fc.property(fc.oneof(randomAfter([0x02, 0x01], 16), randomAfter([0x2a, 0x01], 16), mutated(seeds, 2)), (data) => {
        parsesOrThrowsCoded(() => parseH265SliceHeader(data, lookup));
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
