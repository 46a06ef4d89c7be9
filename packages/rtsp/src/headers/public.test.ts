import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { MAX_PUBLIC_HEADER_LENGTH, MAX_PUBLIC_METHODS, parsePublicHeader } from './public.js';
import { fuzzInputs } from './test-fuzz.js';

const cases: Array<[name: string, value: string, want: string[]]> = [
  [
    'GStreamer (captured)',
    'OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN',
    [
      'OPTIONS',
      'DESCRIBE',
      'ANNOUNCE',
      'GET_PARAMETER',
      'PAUSE',
      'PLAY',
      'RECORD',
      'SETUP',
      'SET_PARAMETER',
      'TEARDOWN',
    ],
  ],
  [
    'Hikvision (scrypted#344)',
    'OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN',
    ['OPTIONS', 'DESCRIBE', 'PLAY', 'PAUSE', 'SETUP', 'TEARDOWN'],
  ],
  [
    'TP-Link VIGI (scrypted#1014)',
    'OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER',
    ['OPTIONS', 'DESCRIBE', 'SETUP', 'TEARDOWN', 'PLAY', 'PAUSE', 'GET_PARAMETER', 'SET_PARAMETER'],
  ],
  [
    'lower case, no spaces, duplicates',
    'options,describe,Get_Parameter,OPTIONS',
    ['OPTIONS', 'DESCRIBE', 'GET_PARAMETER'],
  ],
  ['spaces or semicolons as separators', 'OPTIONS DESCRIBE;SETUP\tPLAY', ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']],
  ['junk tokens dropped', 'OPTIONS, "PLAY", 123, , DESCRIBE=1, SETUP', ['OPTIONS', 'SETUP']],
  ['empty', '', []],
];

describe('parsePublicHeader', () => {
  it.each(cases)('%s', (_name, value, want) => {
    expect([...parsePublicHeader(value)]).toEqual(want);
  });

  it('rejects an oversized header with RTSP_INVALID_HEADER', () => {
    expect(() => parsePublicHeader('OPTIONS,'.repeat(MAX_PUBLIC_HEADER_LENGTH))).toThrow(
      expect.objectContaining({ code: RtspErrorCode.INVALID_HEADER }),
    );
  });

  it('fuzz: returns bounded upper-case method names or throws RTSP_INVALID_HEADER', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(fuzzInputs(cases.map(([, value]) => value)), (value) => {
        let methods: Set<string>;
        try {
          methods = parsePublicHeader(value);
        } catch (err) {
          expect(isCodedError(err, RtspErrorCode.INVALID_HEADER)).toBe(true);
          return;
        }
        expect(methods.size).toBeLessThanOrEqual(MAX_PUBLIC_METHODS);
        for (const method of methods) expect(method).toMatch(/^[A-Z_][A-Z0-9_.-]{0,31}$/);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
