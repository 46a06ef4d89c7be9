import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { splitAccessUnits } from '../nal/access-units.js';
import { fixture, packets } from '../test-fixtures.js';
import { mutated } from '../test-fuzz.js';
import { writeH264Sps } from '../test-h264-writer.js';
import { H264DtsExtractor } from './dts-extractor.js';
import { parseH264Sps } from './sps.js';

const streams = ['h264-baseline', 'h264-main-bf2', 'h264-high-bpyramid', 'h264-high-nob', 'h264-high-1080p'];
const isType = (type: number) => (nal: Uint8Array) => ((nal[0] as number) & 0x1f) === type;

function load(stream: string): { aus: Uint8Array[][]; pts: number[]; dts: number[] } {
  const aus = splitAccessUnits(fixture(`${stream}.h264`), 'h264');
  const p = packets(stream);
  expect(aus).toHaveLength(p.length);
  return { aus, pts: p.map((x) => x.pts), dts: p.map((x) => x.dts) };
}

function expectMonotonicAndAtMostPts(dts: readonly number[], pts: readonly number[]): void {
  dts.forEach((value, n) => {
    expect(value).toBeLessThanOrEqual(pts[n] as number);
    if (n > 0) expect(value).toBeGreaterThanOrEqual(dts[n - 1] as number);
  });
}

describe('H264DtsExtractor', () => {
  // ffprobe's DTS of the MP4 is x264's own: our DTS must equal it up to one constant offset for the
  // whole stream. It is in fact equal (offset 0): both start D frames before the first PTS.
  for (const stream of streams) {
    it(`gives x264's DTS for ${stream} (two IDRs)`, () => {
      const { aus, pts, dts } = load(stream);
      const extractor = new H264DtsExtractor();
      const got = aus.map((au, n) => extractor.extract(au, pts[n] as number));
      expect(got).toEqual(dts);
      expectMonotonicAndAtMostPts(got, pts);
    });
  }

  it('gives DTS = PTS for streams without B-frames', () => {
    for (const stream of ['h264-baseline', 'h264-high-nob']) {
      const { aus, pts } = load(stream);
      const extractor = new H264DtsExtractor();
      expect(aus.map((au, n) => extractor.extract(au, pts[n] as number))).toEqual(pts);
    }
  });

  it('works with PTS near 2^40 (no 32-bit arithmetic)', () => {
    const { aus, pts, dts } = load('h264-high-bpyramid');
    const base = 2 ** 40 - 5 * 3600;
    const extractor = new H264DtsExtractor();
    expect(aus.map((au, n) => extractor.extract(au, base + (pts[n] as number)))).toEqual(dts.map((d) => base + d));
  });

  it('learns the reorder depth when the SPS does not signal it (no VUI bitstream_restriction)', () => {
    const { aus, pts, dts } = load('h264-high-bpyramid');
    const sps = parseH264Sps(aus[0]?.find(isType(7)) as Uint8Array);
    // The same SPS without bitstream_restriction (and without SAR): slices parse the same.
    const rewritten = writeH264Sps({
      profileIdc: sps.profileIdc,
      levelIdc: sps.levelIdc,
      log2MaxFrameNum: sps.log2MaxFrameNum,
      picOrderCntType: sps.picOrderCntType,
      log2MaxPicOrderCntLsb: sps.log2MaxPicOrderCntLsb,
      maxNumRefFrames: sps.maxNumRefFrames,
      picWidthInMbs: 20,
      picHeightInMapUnits: 15,
      vui: { timing: { numUnitsInTick: 1, timeScale: 50 } },
    });
    expect(parseH264Sps(rewritten).maxNumReorderFrames).toBeUndefined();
    const extractor = new H264DtsExtractor();
    const got = aus.map((au, n) =>
      extractor.extract(
        au.map((nal) => (isType(7)(nal) ? rewritten : nal)),
        pts[n] as number,
      ),
    );
    expectMonotonicAndAtMostPts(got, pts);
    // POC 0 then 8 tells it three pictures come in between: it holds the DTS for the first four
    // pictures, then runs one frame behind x264 (which knows the depth is 2) for the rest of the stream.
    expect(got.slice(0, 5)).toEqual([0, 0, 0, 0, 3600]);
    expect(got.slice(4).map((d, n) => d - (dts[n + 4] as number))).toEqual(new Array(got.length - 4).fill(-3600));
  });

  it('refuses access units until the first IDR, then starts there', () => {
    const { aus, pts, dts } = load('h264-main-bf2');
    const extractor = new H264DtsExtractor();
    const start = aus.findIndex((au, n) => n > 0 && au.some(isType(5)));
    // The SPS and PPS sent with the second IDR are the same as with the first.
    for (const au of aus.slice(1, start)) {
      expect(() => extractor.extract(au, 0)).toThrow(
        expect.objectContaining({ code: CodecsErrorCode.MISSING_PARAMETER_SET }),
      );
    }
    extractor.extract(aus[0] as Uint8Array[], pts[0] as number);
    extractor.reset();
    expect(() => extractor.extract(aus[1] as Uint8Array[], pts[1] as number)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.NO_RANDOM_ACCESS_POINT }),
    );
    const got = aus.slice(start).map((au, n) => extractor.extract(au, pts[start + n] as number));
    // Starting at the second IDR, the DTS is x264's again: the extractor extrapolates the first two back.
    expect(got).toEqual(dts.slice(start));
  });

  it('takes parameter sets from the constructor (SDP sprop-parameter-sets)', () => {
    const { aus, pts, dts } = load('h264-high-bpyramid');
    const first = aus[0] as Uint8Array[];
    const extractor = new H264DtsExtractor({ sps: first.find(isType(7)), pps: first.find(isType(8)) });
    const withoutParameterSets = aus.map((au) => au.filter((nal) => !isType(7)(nal) && !isType(8)(nal)));
    expect(withoutParameterSets.map((au, n) => extractor.extract(au, pts[n] as number))).toEqual(dts);
  });

  it('a new IDR after a timestamp jump back restarts cleanly', () => {
    const { aus, pts } = load('h264-high-bpyramid');
    const extractor = new H264DtsExtractor();
    const firstGop = aus.findIndex((au, n) => n > 0 && au.some(isType(5)));
    const got: number[] = [];
    aus.forEach((au, n) => {
      // The second GOP is stamped as if the camera restarted its clock at 1000.
      const p = n < firstGop ? (pts[n] as number) : 1000 + (pts[n] as number) - (pts[firstGop] as number);
      got.push(extractor.extract(au, p));
    });
    expect(got[firstGop]).toBe(1000 - 2 * 3600);
    expectMonotonicAndAtMostPts(
      got.slice(firstGop),
      got.slice(firstGop).map((_, n) => 1000 + (pts[firstGop + n] as number) - (pts[firstGop] as number)),
    );
  });

  it('rejects a PTS that is not a safe integer, and an access unit without a slice', () => {
    const { aus } = load('h264-high-bpyramid');
    const extractor = new H264DtsExtractor();
    for (const pts of [2 ** 53, 1.5, Number.NaN]) {
      expect(() => extractor.extract(aus[0] as Uint8Array[], pts)).toThrow(
        expect.objectContaining({ code: CodecsErrorCode.INVALID_TIMESTAMP }),
      );
    }
    expect(() =>
      extractor.extract(
        (aus[0] as Uint8Array[]).filter((n) => !isType(5)(n)),
        0,
      ),
    ).toThrow(expect.objectContaining({ code: CodecsErrorCode.INVALID_ACCESS_UNIT }));
  });

  it(
    'fuzz: with pictures lost, DTS stays non-decreasing and <= PTS, without errors',
    { timeout: fuzzTimeout() },
    () => {
      // Lost: any non-reference pictures, which decoders drop without harm, and one reference picture.
      // (Losing many reference pictures in a row leaves the POC LSB without its MSB: a decoder cannot
      // make sense of that either, and waits for the next IDR.)
      const { aus, pts } = load('h264-high-bpyramid');
      const reference = aus.map((au) =>
        au.some((nal) => ((nal[0] as number) & 0x60) !== 0 && !isType(7)(nal) && !isType(8)(nal)),
      );
      fc.assert(
        fc.property(
          fc.array(fc.boolean(), { minLength: aus.length, maxLength: aus.length }),
          fc.integer({ min: 1, max: aus.length - 1 }),
          (keep, lostReference) => {
            const extractor = new H264DtsExtractor();
            const kept = aus
              .map((au, n) => ({ au, pts: pts[n] as number }))
              .filter(
                ({ au }, n) => au.some(isType(5)) || (reference[n] === true ? n !== lostReference : keep[n] === true),
              );
            const got = kept.map(({ au, pts: p }) => extractor.extract(au, p));
            expectMonotonicAndAtMostPts(
              got,
              kept.map((k) => k.pts),
            );
          },
        ),
        { numRuns: Math.ceil(fuzzRuns() / 10) },
      );
    },
  );

  it(
    'fuzz: damaged access units give a DTS or a CodecsError, and the extractor carries on',
    { timeout: fuzzTimeout() },
    () => {
      const { aus, pts } = load('h264-main-bf2');
      const slices = aus.slice(0, 8).map((au) => au.find((n) => isType(1)(n) || isType(5)(n)) as Uint8Array);
      fc.assert(
        fc.property(
          fc.array(
            mutated(
              slices.map((s) => s.subarray(0, 48)),
              1,
            ),
            { maxLength: 4 },
          ),
          (damaged) => {
            const extractor = new H264DtsExtractor();
            extractor.extract(aus[0] as Uint8Array[], pts[0] as number);
            for (const slice of damaged) {
              try {
                extractor.extract([slice], 10_000_000);
              } catch (err) {
                expect(err).toBeInstanceOf(CodecsError);
              }
            }
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
  );
});
