import { isCodedError } from '@camgate/bits';
import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { parseSessionHeader } from './session.js';

describe('parseSessionHeader', () => {
  const cases: Array<[name: string, value: string, want: object]> = [
    ['id only', '12345678', { id: '12345678' }],
    ['Siqura / FLIR short timeout (mediamtx#449)', '851006239;timeout=20', { id: '851006239', timeoutSeconds: 20 }],
    ['spaces everywhere', '1234 ; timeout = 60', { id: '1234', timeoutSeconds: 60 }],
    ['upper-case parameter after another one', 'ABCDEF;foo=bar;Timeout=30', { id: 'ABCDEF', timeoutSeconds: 30 }],
    ['non-numeric timeout ignored', 'abc;timeout=soon', { id: 'abc' }],
    ['zero timeout ignored', 'abc;timeout=0', { id: 'abc' }],
    ['absurd timeout ignored', 'abc;timeout=999999999', { id: 'abc' }],
  ];
  it.each(cases)('%s', (_name, value, want) => {
    expect(parseSessionHeader(value)).toEqual(want);
  });

  it.each([[''], [' ;timeout=60'], ['a b'], ['x'.repeat(257)], ['id\x00']])(
    'rejects %j with RTSP_INVALID_HEADER',
    (value) => {
      expect(() => parseSessionHeader(value)).toThrow(expect.objectContaining({ code: RtspErrorCode.INVALID_HEADER }));
    },
  );

  it('fuzz: returns a clean id or throws a coded error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (value) => {
        try {
          const { id, timeoutSeconds } = parseSessionHeader(value);
          expect(id).toMatch(/^[^\s\x00-\x1f\x7f]{1,256}$/);
          if (timeoutSeconds !== undefined) expect(timeoutSeconds).toBeGreaterThan(0);
        } catch (err) {
          expect(isCodedError(err, RtspErrorCode.INVALID_HEADER)).toBe(true);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
