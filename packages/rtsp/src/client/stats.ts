/** Counters of one track. */
export interface TrackStats {
  packets: number;
  bytes: number;
  /** Packets lost (sequence gaps). */
  lost: number;
  frames: number;
  keyframes: number;
  /** Frames dropped: before the first keyframe, over a limit, or not read in time. */
  dropped: number;
  /** Non-fatal problems by error code (RTP_PACKET_LOSS, RTP_INVALID_AGGREGATION, ...). */
  errors: Record<string, number>;
}

/** Counters of a session: totals over its tracks, and each track's. */
export interface SessionStats {
  bytes: number;
  packets: number;
  lost: number;
  frames: number;
  dropped: number;
  errors: Record<string, number>;
  tracks: TrackStats[];
  /** Bytes skipped on the TCP connection while resynchronizing. */
  junkBytes: number;
}

export function emptyTrackStats(): TrackStats {
  return { packets: 0, bytes: 0, lost: 0, frames: 0, keyframes: 0, dropped: 0, errors: {} };
}

export function countError(errors: Record<string, number>, code: string): void {
  errors[code] = (errors[code] ?? 0) + 1;
}
