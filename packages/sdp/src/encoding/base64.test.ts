import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from './base64.js';

describe('decodeBase64', () => {
  const cases: Array<[name: string, input: string, want: number[] | undefined]> = [
    ['standard with padding (PPS from a Hikvision sprop)', 'aO48gA==', [0x68, 0xee, 0x3c, 0x80]],
    ['standard without padding', 'aO48gA', [0x68, 0xee, 0x3c, 0x80]],
    ['one padding character of two', 'aO48gA=', [0x68, 0xee, 0x3c, 0x80]],
    ['no padding needed', 'Z0LA', [0x67, 0x42, 0xc0]],
    ['standard alphabet + and /', '+/+/', [0xfb, 0xff, 0xbf]],
    ['URL-safe alphabet - and _', '-_-_', [0xfb, 0xff, 0xbf]],
    ['empty', '', []],
    ['a character outside both alphabets', 'aO4*gA==', undefined],
    ['padding in the middle', 'aO==gA==', undefined],
    ['three padding characters', 'aO48g===', undefined],
    ['a length that cannot be base64 (4n+1)', 'aO48g', undefined],
    ['whitespace inside', 'aO48 gA==', undefined],
    ['non-ASCII', 'aO48gé==', undefined],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      const got = decodeBase64(input, 1024);
      expect(got === undefined ? undefined : [...got]).toEqual(want);
    });
  }

  it('refuses output longer than maxBytes before allocating', () => {
    expect(decodeBase64('AAAA', 3)).toHaveLength(3);
    expect(decodeBase64('AAAAAA', 3)).toBeUndefined();
    expect(decodeBase64('A'.repeat(1_000_000), 4096)).toBeUndefined();
  });

  it(
    'fuzz: decodes what Buffer encodes, in both alphabets, with or without padding',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.boolean(), (bytes, urlSafe, pad) => {
          let text = Buffer.from(bytes).toString(urlSafe ? 'base64url' : 'base64');
          text = pad ? text.padEnd(Math.ceil(text.length / 4) * 4, '=') : text.replace(/=+$/, '');
          expect([...(decodeBase64(text, 64) ?? [-1])]).toEqual([...bytes]);
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
        fc.property(fc.string({ maxLength: 64 }), fc.nat({ max: 48 }), (text, maxBytes) => {
          const got = decodeBase64(text, maxBytes);
          if (got !== undefined) expect(got.length).toBeLessThanOrEqual(maxBytes);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
