import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { MAX_VOD_MS, parseRange, timeRange } from './recording-routes.js';

const NOW = Date.UTC(2026, 11, 7, 4, 0, 0);
const DAY = 86_400_000;

describe('Range headers (RFC 9110 §14.1.2): one range of a file', () => {
  it.for<[header: string, size: number, range: { start: number; end: number } | undefined]>([
    ['bytes=0-7', 100, { start: 0, end: 7 }],
    ['bytes=10-', 100, { start: 10, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-1000', 100, { start: 0, end: 99 }],
    ['bytes=90-1000', 100, { start: 90, end: 99 }],
    [' bytes=0-0 ', 100, { start: 0, end: 0 }],
    ['bytes=100-', 100, undefined],
    ['bytes=7-3', 100, undefined],
    ['bytes=-0', 100, undefined],
    ['bytes=-', 100, undefined],
    ['bytes=0-1,5-6', 100, undefined],
    ['items=0-1', 100, undefined],
    ['bytes=0-99999999999999999999', 100, undefined],
    ['bytes=0-', 0, undefined],
  ])('%s of %i bytes', ([header, size, range]) => {
    expect(parseRange(header, size)).toEqual(range);
  });

  it('fuzz: any header gives a range within the file, or none', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `bytes=${a}-${b}`),
        ),
        fc.nat({ max: 1e9 }),
        (header, size) => {
          const range = parseRange(header, size);
          if (range === undefined) return;
          expect(range.start).toBeGreaterThanOrEqual(0);
          expect(range.start).toBeLessThanOrEqual(range.end);
          expect(range.end).toBeLessThan(size);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('time ranges of recordings requests', () => {
  it.for<[name: string, query: { start?: string; end?: string }, range: { start: number; end: number } | string]>([
    ['the default: the day before now', {}, { start: NOW - DAY, end: NOW }],
    [
      'ISO times',
      { start: '2026-12-07T03:00:00Z', end: '2026-12-07T03:30:00.000Z' },
      { start: NOW - 3_600_000, end: NOW - 1_800_000 },
    ],
    ['ms since the epoch', { start: String(NOW - 60_000), end: String(NOW) }, { start: NOW - 60_000, end: NOW }],
    ['end before start', { start: String(NOW), end: String(NOW - 1) }, 'query.end'],
    ['longer than the limit', { start: String(NOW - MAX_VOD_MS - 1) }, 'query.end'],
    ['a word', { start: 'yesterday' }, 'query.start'],
    [
      'an offset-less date-time is local time, still a time',
      { end: '2026-12-07 04:00' },
      { start: Date.parse('2026-12-07 04:00') - DAY, end: Date.parse('2026-12-07 04:00') },
    ],
  ])('%s', ([, query, expected]) => {
    if (typeof expected === 'string') {
      expect(() => timeRange(query, NOW, DAY, MAX_VOD_MS)).toThrow(
        expect.objectContaining({
          code: GatewayErrorCode.VALIDATION,
          fields: [expect.objectContaining({ field: expected })],
        }),
      );
    } else expect(timeRange(query, NOW, DAY, MAX_VOD_MS)).toEqual(expected);
  });
});
