import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { parsesOrThrowsCoded } from '../test-fuzz.js';
import { joinLengthPrefixed, splitLengthPrefixed } from './length-prefixed.js';

describe('splitLengthPrefixed (ISO/IEC 14496-15)', () => {
  const cases: Array<[name: string, data: number[], size: 1 | 2 | 4, nals: number[][]]> = [
    ['4-byte lengths', [0, 0, 0, 2, 0x67, 0x42, 0, 0, 0, 1, 0x68], 4, [[0x67, 0x42], [0x68]]],
    ['2-byte lengths', [0, 2, 0x67, 0x42, 0, 1, 0x68], 2, [[0x67, 0x42], [0x68]]],
    ['1-byte lengths', [2, 0x67, 0x42, 1, 0x68], 1, [[0x67, 0x42], [0x68]]],
    ['empty NAL units dropped', [0, 0, 0, 0, 0, 0, 0, 1, 0x65], 4, [[0x65]]],
    ['empty input', [], 4, []],
  ];
  for (const [name, data, size, want] of cases) {
    it(name, () => {
      expect(splitLengthPrefixed(Uint8Array.from(data), size).map((nal) => [...nal])).toEqual(want);
    });
  }

  it.each([
    ['a length past the end', [0, 0, 0, 5, 0x65, 0x88]],
    ['a truncated length', [0, 0, 0, 1, 0x65, 0, 0]],
    ['a length of 2^32 - 1', [0xff, 0xff, 0xff, 0xff, 0x65]],
  ])('throws CODECS_INVALID_LENGTH_PREFIX for %s', (_name, bytes) => {
    expect(() => splitLengthPrefixed(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_LENGTH_PREFIX }),
    );
  });

  it('rejects a length size other than 1, 2 or 4', () => {
    expect(() => splitLengthPrefixed(new Uint8Array(4), 3 as 4)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_LENGTH_PREFIX }),
    );
  });

  it('joins with 4-byte big-endian lengths', () => {
    expect([...joinLengthPrefixed([new Uint8Array(258).fill(7), Uint8Array.of(0x68)])].slice(0, 4)).toEqual([
      0, 0, 1, 2,
    ]);
  });

  it('fuzz: split(join(nals)) gives the non-empty NAL units back', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (nals) => {
        const back = splitLengthPrefixed(joinLengthPrefixed(nals));
        expect(back.map((n) => [...n])).toEqual(nals.filter((n) => n.length > 0).map((n) => [...n]));
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it(
    'fuzz: random input splits into NAL units inside the input, or throws a CodecsError',
    { timeout: fuzzTimeout() },
    () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 64 }),
          fc.constantFrom(1 as const, 2 as const, 4 as const),
          (data, size) => {
            const nals = parsesOrThrowsCoded(() => splitLengthPrefixed(data, size)) ?? [];
            for (const nal of nals) expect(nal.buffer).toBe(data.buffer);
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
  );
});
