/**
 * Test helpers for other packages' tests (`@camgate/hls/testing`): the playlist rule checker. Never imported by production code, and not built: tests run from source.
 */
export {
  checkMediaPlaylist,
  expectConforming,
  PlaylistHistory,
  PLAYLIST_RULES,
  type CheckOptions,
  type RuleViolation,
} from './test-playlist-rules.js';
