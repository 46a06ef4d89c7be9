import { addEmulationPrevention } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture } from '../test-fixtures.js';
import { isAnnexB, joinAnnexB, splitAnnexB } from './annexb.js';

const cases: Array<[name: string, data: number[], nals: number[][]]> = [
  [
    '4-byte start codes',
    [0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce],
    [
      [0x67, 0x42],
      [0x68, 0xce],
    ],
  ],
  [
    '3-byte start codes',
    [0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce],
    [
      [0x67, 0x42],
      [0x68, 0xce],
    ],
  ],
  [
    'mixed 3- and 4-byte',
    [0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65, 0x88],
    [
      [0x09, 0xf0],
      [0x65, 0x88],
    ],
  ],
  ['leading_zero_8bits', [0, 0, 0, 0, 0, 0, 1, 0x67], [[0x67]]],
  ['trailing_zero_8bits', [0, 0, 1, 0x67, 0x42, 0, 0, 0, 0, 0, 1, 0x68, 0, 0], [[0x67, 0x42], [0x68]]],
  ['empty NAL units dropped', [0, 0, 1, 0, 0, 1, 0x67, 0, 0, 0, 1, 0, 0, 1], [[0x67]]],
  ['no start code: one NAL unit', [0x65, 0x88, 0x84], [[0x65, 0x88, 0x84]]],
  ['bytes before the first start code kept', [0x67, 0x42, 0, 0, 1, 0x68], [[0x67, 0x42], [0x68]]],
  ['00 00 02 is not a start code', [0, 0, 1, 0x65, 0, 0, 2, 0x11], [[0x65, 0, 0, 2, 0x11]]],
  ['only zeros, no start code: taken as it is', [0, 0, 0, 0], [[0, 0, 0, 0]]],
  ['a start code and zeros', [0, 0, 0, 1, 0, 0], []],
  ['empty', [], []],
];

describe('splitAnnexB (H.264 Annex B)', () => {
  for (const [name, data, want] of cases) {
    it(name, () => {
      expect(splitAnnexB(Uint8Array.from(data)).map((nal) => [...nal])).toEqual(want);
    });
  }

  it('returns subarrays of the input, not copies', () => {
    const data = Uint8Array.of(0, 0, 1, 0x67, 0x42);
    const [nal] = splitAnnexB(data);
    expect(nal?.buffer).toBe(data.buffer);
    expect(nal?.byteOffset).toBe(3);
  });

  it('splits a real x264 stream into SEI, SPS, PPS and 50 slices', () => {
    const types = splitAnnexB(fixture('h264-high-bpyramid.h264')).map((nal) => (nal[0] as number) & 0x1f);
    // ffmpeg's h264_mp4toannexb puts x264's SEI first and inserts SPS and PPS before each IDR.
    expect(types.slice(0, 5)).toEqual([6, 7, 8, 5, 1]);
    expect(types.filter((t) => t === 7)).toHaveLength(2);
    expect(types.filter((t) => t === 1 || t === 5)).toHaveLength(50);
  });

  it('fuzz: split(join(nals)) gives the NAL units back', { timeout: fuzzTimeout() }, () => {
    // Real NAL units: a non-zero header, emulation-prevented payload, no trailing zero byte (B.2).
    const nal = fc
      .tuple(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 255 }))
      .map(([header, payload, last]) => Uint8Array.from([header, ...addEmulationPrevention(payload), last]));
    fc.assert(
      fc.property(fc.array(nal, { maxLength: 8 }), (nals) => {
        expect(splitAnnexB(joinAnnexB(nals)).map((n) => [...n])).toEqual(nals.map((n) => [...n]));
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('fuzz: never throws, never returns empty or zero-ended NAL units', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, 3, 0x65, 0xff), { maxLength: 128 }), (bytes) => {
        const data = Uint8Array.from(bytes);
        const hasStartCode = bytes.some((b, i) => b === 1 && bytes[i - 1] === 0 && bytes[i - 2] === 0);
        const nals = splitAnnexB(data);
        if (!hasStartCode) expect(nals).toEqual(data.length > 0 ? [data] : []);
        for (const nal of nals) {
          expect(nal.length).toBeGreaterThan(0);
          if (hasStartCode) expect(nal[nal.length - 1]).not.toBe(0);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('isAnnexB', () => {
  it.each([
    [[0, 0, 1, 0x67], true],
    [[0, 0, 0, 1, 0x67], true],
    [[0, 0, 0, 0, 1], false],
    [[0, 0, 2], false],
    [[0x67, 0x42], false],
    [[0, 0], false],
    [[], false],
  ])('%j -> %s', (bytes, want) => {
    expect(isAnnexB(Uint8Array.from(bytes))).toBe(want);
  });
});

describe('joinAnnexB', () => {
  it('prefixes each NAL unit with a 4-byte start code', () => {
    expect([...joinAnnexB([Uint8Array.of(0x67, 0x42), Uint8Array.of(0x68)])]).toEqual([
      0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68,
    ]);
  });
});
