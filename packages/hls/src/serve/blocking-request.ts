import { advancePartLimit, type StreamTiming } from '../timing/stream-timing.js';

/** The delivery directives of a playlist request (rfc8216bis §6.2.5). */
export interface PlaylistDirectives {
  msn?: number;
  part?: number;
  skip?: 'YES' | 'v2';
}

export type DirectiveCheck = { ok: true; directives: PlaylistDirectives } | { ok: false; status: 400; reason: string };

/** Largest MSN/part we accept as a decimal integer (16 digits: far above any stream). */
const DECIMAL = /^\d{1,16}$/;

/**
 * Parses `_HLS_msn`, `_HLS_part` and `_HLS_skip`. A malformed value, or
 * `_HLS_part` without `_HLS_msn` (§6.2.5.2 MUST), is a 400. Unknown parameters
 * are ignored (tokens, cache busters).
 */
export function parseDirectives(query: URLSearchParams): DirectiveCheck {
  const msn = query.get('_HLS_msn');
  const part = query.get('_HLS_part');
  const skip = query.get('_HLS_skip');
  const directives: PlaylistDirectives = {};
  if (msn !== null) {
    if (!DECIMAL.test(msn)) return { ok: false, status: 400, reason: '_HLS_msn is not a decimal integer' };
    directives.msn = Number(msn);
  }
  if (part !== null) {
    if (msn === null) return { ok: false, status: 400, reason: '_HLS_part without _HLS_msn' };
    if (!DECIMAL.test(part)) return { ok: false, status: 400, reason: '_HLS_part is not a decimal integer' };
    directives.part = Number(part);
  }
  if (skip !== null) {
    if (skip !== 'YES' && skip !== 'v2') return { ok: false, status: 400, reason: '_HLS_skip must be YES or v2' };
    directives.skip = skip;
  }
  return { ok: true, directives };
}

/** Where a rendition's playlist stands: its last segment (open or not) and last published part. */
export interface PlaylistPosition {
  /** MSN of the last segment listed (the open one when there is one). */
  lastMsn: number;
  /** Index of the last published part of `lastMsn`, -1 when none yet. */
  lastPart: number;
  /** The last listed segment is complete. */
  lastComplete: boolean;
  /** Number of parts of a complete segment, by MSN, when listed. */
  partCount(msn: number): number | undefined;
}

/**
 * §6.2.5.2: 400 for an MSN more than two past the last, or a part beyond the
 * Advance Part Limit; everything else is answered now or held.
 */
export function rejectsDirectives(
  d: PlaylistDirectives,
  at: PlaylistPosition,
  timing: StreamTiming,
): string | undefined {
  if (d.msn === undefined) return undefined;
  if (d.msn > at.lastMsn + 2) return `_HLS_msn ${d.msn} is more than two past the last segment ${at.lastMsn}`;
  if (d.part !== undefined) {
    const limit = advancePartLimit(timing.partTarget);
    // Parts ahead of the last published one, counting a request for a later segment from its start.
    const ahead =
      d.msn === at.lastMsn ? d.part - at.lastPart : d.msn > at.lastMsn ? d.part + 1 + (d.msn - at.lastMsn - 1) : 0;
    if (ahead > limit) return `_HLS_part ${d.part} is more than ${limit} parts past the last one`;
  }
  return undefined;
}

/**
 * True when the playlist satisfies the request: segment M (complete) is listed,
 * or, with _HLS_part=N, part N of M, or anything later. A part index past the
 * end of a complete segment means part 0 of the next (§6.2.5.2).
 */
export function satisfies(d: PlaylistDirectives, at: PlaylistPosition): boolean {
  if (d.msn === undefined) return true;
  if (d.part === undefined) return at.lastMsn > d.msn || (at.lastMsn === d.msn && at.lastComplete);
  let msn = d.msn;
  let part = d.part;
  const count = at.partCount(msn);
  if (count !== undefined && part >= count) {
    msn++;
    part = 0;
  }
  return at.lastMsn > msn || (at.lastMsn === msn && at.lastPart >= part);
}
