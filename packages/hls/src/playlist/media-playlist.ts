import type { Rendition, Segment } from '../store/rendition.js';
import type { StreamTiming } from '../timing/stream-timing.js';
import { attr, formatAttributeList } from './attribute-list.js';

export interface RenditionReport {
  uri: string;
  lastMsn: number;
  lastPart: number;
}

export interface MediaPlaylistOptions {
  /** _HLS_skip=YES or v2: a delta update (§4.4.5.2, §6.2.5.1). */
  skip?: 'YES' | 'v2';
  /** The next part, announced as EXT-X-PRELOAD-HINT (§4.4.5.3). */
  hint?: { uri: string };
  /** One per other rendition of the stream (App. B: MUST). */
  renditionReports: readonly RenditionReport[];
  /**
   * false: a standard live playlist of whole segments, with no low-latency delivery (no parts,
   * hints, reports, skips or blocking reloads), for players that should not hold requests open.
   */
  lowLatency?: boolean;
}

/**
 * EXT-X-VERSION: 9 for EXT-X-SKIP (§8), which full playlists use too so the
 * version never changes between a client's reloads; 10 only for v2 delta
 * updates (RECENTLY-REMOVED-DATERANGES).
 */
const VERSION = 9;
const VERSION_V2 = 10;
/** Standard playlists: 7 covers EXT-X-MAP without I-frames (≥ 6) and is what older players accept. */
export const STANDARD_VERSION = 7;

/** Decimal seconds for EXTINF and DURATION: 5 decimals keep 90 kHz sums exact to 10 µs. */
const seconds = (value: number) => value.toFixed(5);

/** Renders a media playlist (rfc8216bis §4.4) for the rendition's current window. */
export function renderMediaPlaylist(rendition: Rendition, timing: StreamTiming, options: MediaPlaylistOptions): string {
  if (options.lowLatency === false) return renderStandardPlaylist(rendition, timing);
  const lines: string[] = ['#EXTM3U'];
  lines.push(`#EXT-X-VERSION:${options.skip === 'v2' ? VERSION_V2 : VERSION}`);
  lines.push(`#EXT-X-TARGETDURATION:${timing.targetDuration}`);
  lines.push(
    `#EXT-X-SERVER-CONTROL:${formatAttributeList({
      'CAN-BLOCK-RELOAD': attr.enumerated('YES'),
      'CAN-SKIP-UNTIL': attr.float(timing.canSkipUntil, 1),
      'HOLD-BACK': attr.float(timing.holdBack, 1),
      'PART-HOLD-BACK': attr.float(timing.partHoldBack, 3),
    })}`,
  );
  lines.push(`#EXT-X-PART-INF:PART-TARGET=${timing.partTarget.toFixed(3)}`);
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${rendition.mediaSequence}`);
  lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${rendition.discontinuitySequence}`);

  const segments = rendition.segments;
  const ended = rendition.ended;
  // Parts are listed for the segments within 3 x TD of the end (§6.2.2: SHOULD drop older ones).
  const partsFrom = firstSegmentWithParts(segments, 3 * timing.targetDuration);
  // Delta update: segments that end before the skip boundary are replaced by EXT-X-SKIP.
  const skipped = options.skip !== undefined && !ended ? skippedSegments(segments, timing.canSkipUntil) : 0;
  if (options.skip !== undefined && !ended) {
    const skip: Record<string, ReturnType<typeof attr.integer>> = { 'SKIPPED-SEGMENTS': attr.integer(skipped) };
    lines.push(
      `#EXT-X-SKIP:${formatAttributeList({ ...skip, ...(options.skip === 'v2' ? { 'RECENTLY-REMOVED-DATERANGES': attr.quoted('') } : {}) })}`,
    );
  }

  let initUri: string | undefined;
  segments.forEach((segment, i) => {
    if (i < skipped) {
      initUri = segment.initUri;
      return;
    }
    // Kept on the first listed segment too: its Discontinuity Sequence Number counts this tag (§4.4.3.3).
    if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (segment.initUri !== initUri || i === skipped) {
      // The first listed segment always restates its MAP (a delta update's client may not have it in scope).
      lines.push(`#EXT-X-MAP:URI="${segment.initUri}"`);
      initUri = segment.initUri;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTime).toISOString()}`);
    if (i >= partsFrom) {
      for (const part of segment.parts) {
        lines.push(
          `#EXT-X-PART:${formatAttributeList({
            DURATION: attr.float(part.duration, 5),
            URI: attr.quoted(part.uri),
            INDEPENDENT: part.independent ? attr.enumerated('YES') : undefined,
            GAP: part.gap ? attr.enumerated('YES') : undefined,
          })}`,
        );
      }
    }
    if (segment.duration !== undefined) {
      // No media at all (audio that stopped for a whole segment): listed, never fetched (§4.4.4.7).
      if (isGapSegment(segment)) lines.push('#EXT-X-GAP');
      lines.push(`#EXTINF:${seconds(segment.duration)},`);
      lines.push(segment.uri);
    }
  });

  if (ended) {
    lines.push('#EXT-X-ENDLIST');
  } else if (options.hint !== undefined) {
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${options.hint.uri}"`);
  }
  for (const report of options.renditionReports) {
    lines.push(
      `#EXT-X-RENDITION-REPORT:${formatAttributeList({
        URI: attr.quoted(report.uri),
        'LAST-MSN': attr.integer(report.lastMsn),
        'LAST-PART': attr.integer(report.lastPart),
      })}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The same window as a standard live playlist (rfc8216bis §4.4 without §4.4.3.7-8, §4.4.5): the
 * complete segments only, so a player polls it every target duration with requests that end at once.
 */
function renderStandardPlaylist(rendition: Rendition, timing: StreamTiming): string {
  const lines: string[] = ['#EXTM3U', `#EXT-X-VERSION:${STANDARD_VERSION}`];
  lines.push(`#EXT-X-TARGETDURATION:${timing.targetDuration}`);
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${rendition.mediaSequence}`);
  lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${rendition.discontinuitySequence}`);
  let initUri: string | undefined;
  for (const segment of rendition.segments) {
    // The segment being built is listed once it is complete, with its tags.
    if (segment.duration === undefined) continue;
    if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (segment.initUri !== initUri) lines.push(`#EXT-X-MAP:URI="${segment.initUri}"`);
    initUri = segment.initUri;
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTime).toISOString()}`);
    if (isGapSegment(segment)) lines.push('#EXT-X-GAP');
    lines.push(`#EXTINF:${seconds(segment.duration)},`);
    lines.push(segment.uri);
  }
  if (rendition.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** A segment whose parts are all GAP parts. */
export function isGapSegment(segment: Segment): boolean {
  return segment.parts.length > 0 && segment.parts.every((p) => p.gap);
}

/** Index of the first segment that lies (at least partly) within `window` seconds of the end. */
function firstSegmentWithParts(segments: readonly Segment[], window: number): number {
  let total = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (total >= window) return i + 1;
    total += segmentDuration(segments[i] as Segment);
  }
  return 0;
}

/** Number of leading segments that end more than `canSkipUntil` seconds before the end (§4.4.5.2 Skip Boundary). */
function skippedSegments(segments: readonly Segment[], canSkipUntil: number): number {
  let fromEnd = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (fromEnd >= canSkipUntil) return i + 1;
    fromEnd += segmentDuration(segments[i] as Segment);
  }
  return 0;
}

function segmentDuration(segment: Segment): number {
  return segment.duration ?? segment.parts.reduce((sum, p) => sum + p.duration, 0);
}
