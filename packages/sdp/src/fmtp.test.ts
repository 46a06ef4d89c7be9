import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFmtpParameters } from './fmtp.js';

describe('parseFmtpParameters', () => {
  const cases: Array<[name: string, input: string, want: Record<string, string>]> = [
    [
      'H.264 from a Hikvision camera',
      'profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z01AKI2NQDwBE/LAPEiJqA==,aO44gA==',
      {
        'profile-level-id': '420029',
        'packetization-mode': '1',
        'sprop-parameter-sets': 'Z01AKI2NQDwBE/LAPEiJqA==,aO44gA==',
      },
    ],
    [
      'AAC with mixed-case keys and a trailing semicolon',
      'streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1210; SizeLength=13; IndexLength=3; indexDeltaLength=3;',
      {
        streamtype: '5',
        'profile-level-id': '15',
        mode: 'AAC-hbr',
        config: '1210',
        sizelength: '13',
        indexlength: '3',
        indexdeltalength: '3',
      },
    ],
    ['empty pairs and stray whitespace', ' ;; a = 1 ;b=2;;', { a: '1', b: '2' }],
    ['a flag without a value', 'cpresent;object=2', { cpresent: '', object: '2' }],
    ['the first duplicate wins', 'mode=AAC-hbr;mode=generic', { mode: 'AAC-hbr' }],
    ['nothing', '', {}],
  ];

  for (const [name, input, want] of cases) {
    it(name, () => {
      expect(Object.fromEntries(parseFmtpParameters(input))).toEqual(want);
    });
  }

  it('fuzz: never throws and only yields non-empty lower-case keys', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (input) => {
        for (const key of parseFmtpParameters(input).keys()) {
          expect(key).not.toBe('');
          expect(key).toBe(key.toLowerCase());
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
