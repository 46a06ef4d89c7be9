import { describe, expect, it } from 'vitest';
import { computeStreamTiming } from '../timing/stream-timing.js';
import { parseDirectives, rejectsDirectives, satisfies, type PlaylistPosition } from './blocking-request.js';

const timing = computeStreamTiming({ segmentDuration: 2, partDuration: 0.2, firstGop: 2, videoFrame: 0.04 });

/** Segments 100..104 complete with 10 parts each; 105 open with parts 0..3. */
const at: PlaylistPosition = {
  lastMsn: 105,
  lastPart: 3,
  lastComplete: false,
  partCount: (msn) => (msn >= 100 && msn <= 104 ? 10 : undefined),
};

const q = (s: string) => new URLSearchParams(s);

describe('delivery directives (rfc8216bis §6.2.5)', () => {
  it.each([
    ['', {}],
    ['_HLS_msn=105', { msn: 105 }],
    ['_HLS_msn=105&_HLS_part=4', { msn: 105, part: 4 }],
    ['_HLS_msn=105&_HLS_part=4&_HLS_skip=YES', { msn: 105, part: 4, skip: 'YES' }],
    ['_HLS_skip=v2&token=abc', { skip: 'v2' }],
  ])('parses %j', (query, want) => {
    expect(parseDirectives(q(query))).toEqual({ ok: true, directives: want });
  });

  it.each([
    ['_HLS_part=1', '_HLS_part without _HLS_msn'],
    ['_HLS_msn=-1', '_HLS_msn is not a decimal integer'],
    ['_HLS_msn=1e3', '_HLS_msn is not a decimal integer'],
    ['_HLS_msn=5&_HLS_part=x', '_HLS_part is not a decimal integer'],
    ['_HLS_skip=NO', '_HLS_skip must be YES or v2'],
  ])('400 for %j', (query, reason) => {
    expect(parseDirectives(q(query))).toEqual({ ok: false, status: 400, reason });
  });

  it('400 for an MSN more than two past the last', () => {
    expect(rejectsDirectives({ msn: 107 }, at, timing)).toBeUndefined();
    expect(rejectsDirectives({ msn: 108 }, at, timing)).toMatch(/more than two past/);
  });

  it(`400 past the Advance Part Limit (3 / PART-TARGET = ${Math.floor(3 / timing.partTarget)} parts)`, () => {
    const limit = Math.floor(3 / timing.partTarget);
    expect(rejectsDirectives({ msn: 105, part: 3 + limit }, at, timing)).toBeUndefined();
    expect(rejectsDirectives({ msn: 105, part: 4 + limit }, at, timing)).toMatch(/parts past/);
    expect(rejectsDirectives({ msn: 106, part: limit - 1 }, at, timing)).toBeUndefined();
    expect(rejectsDirectives({ msn: 106, part: limit }, at, timing)).toMatch(/parts past/);
  });

  it.each<[{ msn: number; part?: number }, boolean, string]>([
    [{ msn: 104 }, true, 'a complete segment'],
    [{ msn: 105 }, false, 'the open segment is not complete'],
    [{ msn: 90 }, true, 'an MSN that already left the playlist: answered at once'],
    [{ msn: 105, part: 3 }, true, 'a published part'],
    [{ msn: 105, part: 4 }, false, 'the next part'],
    [{ msn: 104, part: 9 }, true, 'the last part of a complete segment'],
    [{ msn: 104, part: 10 }, true, 'past the end of 104: part 0 of 105, which exists'],
    [{ msn: 104, part: 25 }, true, 'far past the end of 104: still part 0 of 105'],
    [{ msn: 106, part: 0 }, false, 'a future segment'],
  ])('%j satisfied: %s (%s)', (directives, want) => {
    expect(satisfies(directives, at)).toBe(want);
  });

  it('a part index past the end of a complete segment waits for part 0 of the next', () => {
    const closed: PlaylistPosition = {
      ...at,
      lastMsn: 105,
      lastPart: 9,
      lastComplete: true,
      partCount: (m) => (m <= 105 ? 10 : undefined),
    };
    expect(satisfies({ msn: 105, part: 10 }, closed)).toBe(false);
    expect(satisfies({ msn: 105, part: 10 }, { ...closed, lastMsn: 106, lastPart: 0, lastComplete: false })).toBe(true);
  });
});
