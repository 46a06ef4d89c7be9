import { describe, expect, it } from 'vitest';
import { MAX_UNREPORTED_SEGMENTS, streamStart, type StreamContinuation } from './continuation.js';
import { HlsErrorCode } from './errors.js';

const NOW = () => 1_790_000_000;

describe('streamStart: where a stream starts, alone or continuing another', () => {
  it.each<[string, number | undefined, StreamContinuation | undefined, number, number | undefined]>([
    // [what, startMsn, continueFrom, first MSN, continued stream's DSN]
    ['nothing given: the default (Unix seconds)', undefined, undefined, 1_790_000_000, undefined],
    ['startMsn alone', 1000, undefined, 1000, undefined],
    ['a hand-over: right after the last segment', undefined, { msn: 2000, discontinuity: 3, final: true }, 2001, 3],
    [
      'a crash: past what it may have published unreported',
      undefined,
      { msn: 2000, discontinuity: 3, final: false },
      2001 + MAX_UNREPORTED_SEGMENTS,
      3,
    ],
    [
      'a crash, with the caller’s own bound',
      undefined,
      { msn: 2000, discontinuity: 0, final: false, unreportedSegments: 10 },
      2011,
      0,
    ],
    [
      'the bound does not apply to a hand-over',
      undefined,
      { msn: 2000, discontinuity: 0, final: true, unreportedSegments: 10 },
      2001,
      0,
    ],
    ['a larger startMsn wins', 5000, { msn: 2000, discontinuity: 1, final: true }, 5000, 1],
    ['a smaller startMsn does not', 1000, { msn: 2000, discontinuity: 1, final: true }, 2001, 1],
    ['from MSN 0', undefined, { msn: 0, discontinuity: 0, final: true }, 1, 0],
  ])('%s', (_what, startMsn, continueFrom, firstMsn, continuesDiscontinuity) => {
    expect(streamStart(startMsn, continueFrom, NOW)).toEqual({
      firstMsn,
      ...(continuesDiscontinuity === undefined ? {} : { continuesDiscontinuity }),
    });
  });

  it('the default is 6 s of unreported 100 ms segments, doubled', () => {
    expect(MAX_UNREPORTED_SEGMENTS).toBe(2 * Math.ceil(6 / 0.1));
  });

  it.each<[string, number | undefined, StreamContinuation]>([
    ['a negative MSN', undefined, { msn: -1, discontinuity: 0, final: true }],
    ['a fractional MSN', undefined, { msn: 1.5, discontinuity: 0, final: true }],
    ['a NaN discontinuity', undefined, { msn: 1, discontinuity: Number.NaN, final: true }],
    ['a negative bound', undefined, { msn: 1, discontinuity: 0, final: false, unreportedSegments: -1 }],
    ['an MSN past 2^52', undefined, { msn: 2 ** 52, discontinuity: 0, final: true }],
    ['a fractional startMsn', 10.5, { msn: 1, discontinuity: 0, final: true }],
  ])('HLS_INVALID_OPTIONS for %s', (_what, startMsn, continueFrom) => {
    expect(() => streamStart(startMsn, continueFrom, NOW)).toThrow(
      expect.objectContaining({ code: HlsErrorCode.INVALID_OPTIONS }),
    );
  });
});
