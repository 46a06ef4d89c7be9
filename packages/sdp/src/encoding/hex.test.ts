import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHex } from './hex.js';

describe('decodeHex', () => {
  const cases: Array<[name: string, input: string, want: number[] | undefined]> = [
    ['AAC-LC 48 kHz stereo AudioSpecificConfig', '1190', [0x11, 0x90]],
    ['upper and lower case', 'aBcD', [0xab, 0xcd]],
    ['a longer config (LiveReporter, mediamtx#75)', '118856E500', [0x11, 0x88, 0x56, 0xe5, 0x00]],
    ['empty', '', []],
    ['odd length', '119', undefined],
    ['not hex', '11g0', undefined],
    ['0x prefix', '0x1190', undefined],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      const got = decodeHex(input, 16);
      expect(got === undefined ? undefined : [...got]).toEqual(want);
    });
  }

  it('refuses output longer than maxBytes before allocating', () => {
    expect(decodeHex('00'.repeat(16), 16)).toHaveLength(16);
    expect(decodeHex('00'.repeat(17), 16)).toBeUndefined();
  });

  it(
    'fuzz: decodes what Buffer encodes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 32 }), fc.boolean(), (bytes, upper) => {
          const hex = Buffer.from(bytes).toString('hex');
          expect([...(decodeHex(upper ? hex.toUpperCase() : hex, 32) ?? [-1])]).toEqual([...bytes]);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'fuzz: never throws and never returns more than maxBytes',
    () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 40 }), fc.nat({ max: 24 }), (text, maxBytes) => {
          const got = decodeHex(text, maxBytes);
          if (got !== undefined) expect(got.length).toBeLessThanOrEqual(maxBytes);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
