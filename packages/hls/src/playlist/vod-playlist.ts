/**
 * The VOD playlist of a stretch of recording (issue 15): fMP4 segments as byte ranges of the
 * recorder's hour files (rfc8216bis §4.4.4.4 EXT-X-BYTERANGE), an EXT-X-MAP per init segment
 * (§4.4.4.5), EXT-X-PROGRAM-DATE-TIME on every segment (§4.4.4.6), EXT-X-DISCONTINUITY where the
 * media timeline restarts (§4.4.4.3), and EXT-X-GAP (§4.4.4.7) where a short stretch is missing
 * within one timeline, so the player's clock keeps matching the wall clock across it.
 */

/** A recorded segment, as the playlist names it. */
export interface VodSegment {
  /** The media file's URI (relative to the playlist). */
  uri: string;
  offset: number;
  length: number;
  /** Its PROGRAM-DATE-TIME, ms since the epoch. */
  startMs: number;
  durationMs: number;
  /** The init segment's URI. */
  mapUri: string;
  /** Segments of one epoch follow each other on one media timeline. */
  epoch: number;
  /** Starts with a keyframe. */
  independent: boolean;
}

/**
 * 60 s: a hole within one epoch up to this long (a segment lost to a full disk, a camera that
 * stalled) is listed as GAP segments; a longer one is a DISCONTINUITY instead (fewer lines).
 */
export const MAX_GAP_FILL_MS = 60_000;
/** 1 s: holes shorter than this are camera clock jitter, not gaps (the index's SPAN_TOLERANCE_MS). */
export const GAP_TOLERANCE_MS = 1000;
/** EXT-X-VERSION 7: EXT-X-MAP without I-FRAMES-ONLY needs 6, and 7 is what hls.js and Apple expect for fMP4. */
const VERSION = 7;

/**
 * The playlist text of `segments` (in time order), each one an EXT-X-BYTERANGE of its file. GAP
 * segments are named `gap/<ms>.m4s` (never fetched; unique, as every segment's URI).
 */
export function vodPlaylist(segments: readonly VodSegment[]): string {
  let longest = 1;
  for (const s of segments) longest = Math.max(longest, Math.round(s.durationMs / 1000));
  const gapPiece = Math.max(1, longest) * 1000;
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${VERSION}`,
    `#EXT-X-TARGETDURATION:${longest}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-DISCONTINUITY-SEQUENCE:0',
  ];
  if (segments.length > 0 && segments.every((s) => s.independent)) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let previous: VodSegment | undefined;
  for (const segment of segments) {
    const hole = previous === undefined ? 0 : segment.startMs - (previous.startMs + previous.durationMs);
    const sameTimeline = previous?.epoch === segment.epoch && previous.mapUri === segment.mapUri;
    if (previous !== undefined && sameTimeline && hole > GAP_TOLERANCE_MS && hole <= MAX_GAP_FILL_MS) {
      // The missing media as GAP segments of at most the target duration each.
      const from = previous.startMs + previous.durationMs;
      for (let at = 0; at < hole; at += gapPiece) {
        const piece = Math.min(gapPiece, hole - at);
        lines.push(
          '#EXT-X-GAP',
          `#EXT-X-PROGRAM-DATE-TIME:${new Date(from + at).toISOString()}`,
          `#EXTINF:${(piece / 1000).toFixed(3)},`,
          `gap/${from + at}.m4s`,
        );
      }
    } else if (previous !== undefined && (!sameTimeline || hole > GAP_TOLERANCE_MS || hole < -GAP_TOLERANCE_MS)) {
      lines.push('#EXT-X-DISCONTINUITY');
    }
    if (previous?.mapUri !== segment.mapUri) lines.push(`#EXT-X-MAP:URI="${segment.mapUri}"`);
    lines.push(
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.startMs).toISOString()}`,
      `#EXTINF:${(segment.durationMs / 1000).toFixed(3)},`,
      `#EXT-X-BYTERANGE:${segment.length}@${segment.offset}`,
      segment.uri,
    );
    previous = segment;
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}
