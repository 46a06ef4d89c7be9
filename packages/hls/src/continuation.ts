import { HlsError, HlsErrorCode } from './errors.js';

/**
 * How many more segments a stream may have published after the position last recorded for it,
 * when a stream continues it from that record (`final` false) and the caller gives no bound of
 * its own (`unreportedSegments`). The gateway records a stream's position with every lease
 * renewal (every 2 s) and stops pulling at most 6 s after its last successful renewal, so at most
 * 6 s of publishing go unrecorded. A segment is never cut shorter than one part (but at a camera
 * reconnect, which takes longer than a part), and parts last at least 100 ms (the gateway's lower
 * bound on partDurationMs): ceil(6 s / 0.1 s) = 60 segments, doubled for media that arrives faster
 * than real time (a camera's backlog after a network stall). Skipping MSNs costs nothing (a player
 * crosses a jump of 120 after an EXT-X-DISCONTINUITY like a jump of one); reusing one breaks
 * playback, because caches keep media names as immutable for a year.
 */
export const MAX_UNREPORTED_SEGMENTS = 120;

/** 2^52: MSNs stay exact integers for 2^52 more segments (a segment a second for 10^8 years). */
const MAX_START_MSN = 2 ** 52;

/**
 * Where a camera's previous stream stopped (another process published it: a hand-over), for a
 * stream that continues its numbering, so that a player of the previous stream goes on with this
 * one: MSNs keep growing and media names never repeat, and the Discontinuity Sequence Numbers
 * continue, the first segment following an EXT-X-DISCONTINUITY (the timelines start anew).
 */
export interface StreamContinuation {
  /** MSN of the last segment the previous stream published (it may have been open: its parts were served). */
  msn: number;
  /**
   * Discontinuity Sequence Number of that segment (its playlist's EXT-X-DISCONTINUITY-SEQUENCE plus
   * the EXT-X-DISCONTINUITY tags up to and including its own): what `HlsStream.position` reported.
   */
  discontinuity: number;
  /**
   * true: `msn` is where the previous stream ended (it handed the camera over after its last
   * segment); false: the last position it reported before it stopped without a word (a crash), so
   * it may have published up to `unreportedSegments` more segments, whose names must not be reused.
   */
  final: boolean;
  /** With `final` false: how many more segments it may have published (default MAX_UNREPORTED_SEGMENTS). */
  unreportedSegments?: number;
}

/** Where a stream stands: what its owner records, for a later stream to continue from. */
export interface StreamPosition {
  /** MSN of the latest segment (the open one, whose parts may have been served). */
  msn: number;
  /** Discontinuity Sequence Number of that segment. */
  discontinuity: number;
}

/** The numbers a stream starts with. */
export interface StreamStart {
  /** MSN of the first segment. */
  firstMsn: number;
  /** Set when the stream continues another: DSN of that stream's last segment (the first segment's is one more). */
  continuesDiscontinuity?: number;
}

/**
 * The first MSN of a stream: `startMsn`, or right after the continued stream's last segment
 * (beyond what it may have published unreported), whichever is larger; `defaultMsn` when neither
 * is given. Throws HLS_INVALID_OPTIONS for numbers that are not non-negative integers, or past 2^52.
 */
export function streamStart(
  startMsn: number | undefined,
  continueFrom: StreamContinuation | undefined,
  defaultMsn: () => number,
): StreamStart {
  if (startMsn !== undefined) check('startMsn', startMsn);
  if (continueFrom === undefined) return { firstMsn: startMsn ?? defaultMsn() };
  const { msn, discontinuity, final, unreportedSegments = MAX_UNREPORTED_SEGMENTS } = continueFrom;
  check('continueFrom.msn', msn);
  check('continueFrom.discontinuity', discontinuity);
  check('continueFrom.unreportedSegments', unreportedSegments);
  const continued = msn + 1 + (final ? 0 : unreportedSegments);
  check('the first MSN', continued);
  return { firstMsn: Math.max(continued, startMsn ?? 0), continuesDiscontinuity: discontinuity };
}

function check(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_START_MSN)
    throw new HlsError(HlsErrorCode.INVALID_OPTIONS, `${name} must be an integer from 0 to 2^52, not ${value}`);
}
