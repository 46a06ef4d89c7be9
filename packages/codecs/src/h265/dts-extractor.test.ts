import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { splitAccessUnits } from '../nal/access-units.js';
import { fixture, packets } from '../test-fixtures.js';
import { mutated } from '../test-fuzz.js';
import { H265DtsExtractor } from './dts-extractor.js';

const typeOf = (nal: Uint8Array) => ((nal[0] as number) >> 1) & 0x3f;
const pictureType = (au: Uint8Array[]) => typeOf(au.find((nal) => typeOf(nal) <= 31) as Uint8Array);
const streams = ['h265-main', 'h265-main10', 'h265-main-nob'];

function load(stream: string): { aus: Uint8Array[][]; pts: number[]; dts: number[] } {
  const aus = splitAccessUnits(fixture(`${stream}.h265`), 'h265');
  const p = packets(stream);
  expect(aus).toHaveLength(p.length);
  return { aus, pts: p.map((x) => x.pts), dts: p.map((x) => x.dts) };
}

const craIndex = (aus: Uint8Array[][]) => aus.findIndex((au) => pictureType(au) === 21);

function expectMonotonicAndAtMostPts(dts: readonly number[], pts: readonly number[]): void {
  dts.forEach((value, n) => {
    expect(value).toBeLessThanOrEqual(pts[n] as number);
    if (n > 0) expect(value).toBeGreaterThanOrEqual(dts[n - 1] as number);
  });
}

describe('H265DtsExtractor', () => {
  it('the vectors cover an IDR, an open-GOP CRA with RASL pictures, and a second IDR', () => {
    const main = load('h265-main').aus.map(pictureType);
    expect(main.filter((t) => t >= 16)).toEqual([20, 21]);
    expect(main.slice(main.indexOf(21), main.indexOf(21) + 4)).toEqual([21, 9, 8, 8]);
    expect(
      load('h265-main10')
        .aus.map(pictureType)
        .filter((t) => t >= 16),
    ).toEqual([20, 20]);
  });

  // ffprobe's DTS of the MP4 is x265's own; ours equals it (the constant offset is 0), the open GOP
  // at frame 25 included: its RASL pictures are decoded after the CRA and presented before it.
  for (const stream of streams) {
    it(`gives x265's DTS for ${stream}`, () => {
      const { aus, pts, dts } = load(stream);
      const extractor = new H265DtsExtractor();
      const got = aus.map((au, n) => extractor.extract(au, pts[n] as number));
      expect(got).toEqual(dts);
      expectMonotonicAndAtMostPts(got, pts);
    });
  }

  it('gives DTS = PTS without B-frames, also with PTS near 2^40', () => {
    const { aus, pts } = load('h265-main-nob');
    const extractor = new H265DtsExtractor();
    const base = 2 ** 40 + 1;
    expect(aus.map((au, n) => extractor.extract(au, base + (pts[n] as number)))).toEqual(pts.map((p) => base + p));
  });

  it('starting at the open-GOP CRA: refuses its RASL pictures, then gives the DTS x265 gave', () => {
    const { aus, pts, dts } = load('h265-main');
    const extractor = new H265DtsExtractor();
    expect(() => extractor.extract(aus[1] as Uint8Array[], pts[1] as number)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.MISSING_PARAMETER_SET }),
    );
    // Parameter sets as from SDP, then the stream joined at the CRA.
    const first = aus[0] as Uint8Array[];
    const joined = new H265DtsExtractor({
      vps: first.find((n) => typeOf(n) === 32),
      sps: first.find((n) => typeOf(n) === 33),
      pps: first.find((n) => typeOf(n) === 34),
    });
    const got: Array<{ n: number; dts: number }> = [];
    for (let n = craIndex(aus); n < aus.length; n++) {
      const au = aus[n] as Uint8Array[];
      if (pictureType(au) === 8 || pictureType(au) === 9) {
        expect(() => joined.extract(au, pts[n] as number)).toThrow(
          expect.objectContaining({ code: CodecsErrorCode.NO_RANDOM_ACCESS_POINT }),
        );
      } else {
        got.push({ n, dts: joined.extract(au, pts[n] as number) });
      }
    }
    expectMonotonicAndAtMostPts(
      got.map((g) => g.dts),
      got.map((g) => pts[g.n] as number),
    );
    // The CRA gets PTS - 2 frames (x265 gave it 5 frames less, to make room for the 3 RASL pictures
    // refused here); every picture after it gets exactly x265's DTS.
    expect(got[0]?.dts).toBe((pts[craIndex(aus)] as number) - 2 * 3600);
    expect(got.slice(1).map((g) => g.dts)).toEqual(got.slice(1).map((g) => dts[g.n]));
  });

  it('an end of sequence NAL unit makes the next CRA start a new sequence (its RASL pictures refused)', () => {
    const { aus, pts } = load('h265-main');
    const extractor = new H265DtsExtractor();
    const endOfSequence = Uint8Array.of(0x48, 0x01);
    const cra = craIndex(aus);
    const results = aus.map((au, n) => {
      try {
        return extractor.extract(n === cra - 1 ? [...au, endOfSequence] : au, pts[n] as number);
      } catch (err) {
        expect(err).toMatchObject({ code: CodecsErrorCode.NO_RANDOM_ACCESS_POINT });
        return undefined;
      }
    });
    expect(results.slice(cra, cra + 4)).toEqual([expect.any(Number), undefined, undefined, undefined]);
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
  });

  it('refuses access units until the first IRAP, and after reset()', () => {
    const { aus, pts } = load('h265-main10');
    const extractor = new H265DtsExtractor();
    extractor.extract(aus[0] as Uint8Array[], pts[0] as number);
    extractor.reset();
    expect(() => extractor.extract(aus[1] as Uint8Array[], pts[1] as number)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.NO_RANDOM_ACCESS_POINT }),
    );
    expect(() => extractor.extract([Uint8Array.of(0x40, 0x01)], 0)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_ACCESS_UNIT }),
    );
    expect(() => extractor.extract(aus[0] as Uint8Array[], Number.MAX_SAFE_INTEGER + 2)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_TIMESTAMP }),
    );
  });

  it(
    'fuzz: damaged access units give a DTS or a CodecsError, and the extractor carries on',
    { timeout: fuzzTimeout() },
    () => {
      const { aus, pts } = load('h265-main');
      const seeds = aus.slice(0, 8).flatMap((au) => au.map((nal) => nal.subarray(0, 48)));
      fc.assert(
        fc.property(
          fc.array(fc.array(mutated(seeds, 2), { minLength: 1, maxLength: 3 }), { maxLength: 4 }),
          (damaged) => {
            const extractor = new H265DtsExtractor();
            extractor.extract(aus[0] as Uint8Array[], pts[0] as number);
            for (const au of damaged) {
              try {
                extractor.extract(au, 10_000_000);
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
