import type { HlsConfig } from 'hls.js';

/**
 * The hls.js settings of `<camgate-player>` (docs/api.md "Players" lists them for other pages,
 * with the latency each gives, docs/benchmarks.md "Player latency").
 *
 * Low latency: hls.js's LL-HLS mode (parts, blocking reloads, preload hints) aims at the
 * playlist's PART-HOLD-BACK (3 parts, RFC 8216bis §4.4.3.8) behind the live edge. Its own catching
 * up is off (`maxLiveSyncPlaybackRate: 1`): it needs more than a second buffered, and it would
 * undo the player's, which holds the edge instead (camgate-player.ts, RESYNC_S).
 * Standard HLS (`low-latency="false"`): whole segments, hls.js's defaults (3 segments behind).
 */
export function hlsSettings(lowLatency: boolean): Partial<HlsConfig> {
  if (!lowLatency) return { lowLatencyMode: false, backBufferLength: BACK_BUFFER_SECONDS };
  return {
    lowLatencyMode: true,
    maxLiveSyncPlaybackRate: 1,
    // Each stall moves hls.js's target back by this, for good (up to a target duration): one part,
    // not hls.js's whole second, so that one stall does not cost a second of latency forever.
    liveSyncOnStallIncrease: 0.2,
    backBufferLength: BACK_BUFFER_SECONDS,
  };
}

/** Played media kept behind the play head: live video is not seeked back far; bounds memory. */
const BACK_BUFFER_SECONDS = 10;
