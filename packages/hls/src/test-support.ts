/**
 * Test helpers for other packages' tests (`@camgate/hls/testing`): the playlist rule checker, and
 * where a media playlist stands for blocking reloads. Never imported by production code, and not
 * built: tests run from source.
 */
export {
  checkMediaPlaylist,
  checkMultivariantPlaylist,
  expectConforming,
  PlaylistHistory,
  PLAYLIST_RULES,
  type CheckOptions,
  type RuleViolation,
} from './test-playlist-rules.js';

/**
 * The MSN of the segment being built (the first after the complete ones listed) and the index of
 * its next part: what a blocking reload for the next segment (`_HLS_msn`) or part asks for.
 */
export function openSegment(playlist: string): { msn: number; nextPart: number } {
  const lines = playlist.split('\n');
  const sequence = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(playlist)?.[1]);
  const complete = lines.filter((line) => line.startsWith('#EXTINF:')).length;
  const lastSegment = lines.findLastIndex((line) => line.startsWith('#EXTINF:'));
  const nextPart = lines.slice(lastSegment + 1).filter((line) => line.startsWith('#EXT-X-PART:')).length;
  return { msn: sequence + complete, nextPart };
}
