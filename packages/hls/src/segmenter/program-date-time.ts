/**
 * EXT-X-PROGRAM-DATE-TIME of segments (rfc8216bis §4.4.4.6, §6.2.1): derived from the media
 * clock, anchored to the camera's wall clock.
 */

/** 1 s: PDT follows the media clock until the camera's wall clock is this far ahead. */
export const PDT_MAX_LAG_MS = 1000;

/**
 * The wall clock (ms) at one point of the output timeline (s), from which PDTs are derived.
 * Within an epoch PDT follows the media clock from the epoch's first frame, so that PDT and
 * EXTINF agree even when the camera's wall clock jitters (arrival times, RTCP sender reports that
 * do not match the RTP clock exactly); when the wall clock runs more than a second ahead (drift, a
 * gap in the media), PDT jumps forward to it. It never goes back within an epoch (§6.2.1: the
 * PDT-to-media mapping must not change).
 */
export class ProgramDateTime {
  #anchor: { wall: number; seconds: number } | undefined;

  /**
   * PDT (ms) of a segment of the track that drives segmentation, starting at `seconds` on the
   * output timeline, whose first frame's wall clock is `wallclock`; `newEpoch` re-anchors.
   */
  segment(wallclock: number, seconds: number, newEpoch: boolean): number {
    const anchor = this.#anchor;
    const derived = anchor === undefined ? wallclock : anchor.wall + (seconds - anchor.seconds) * 1000;
    if (anchor === undefined || newEpoch || wallclock - derived > PDT_MAX_LAG_MS) {
      this.#anchor = { wall: wallclock, seconds };
      return Math.round(wallclock);
    }
    return Math.round(derived);
  }

  /** PDT (ms) of media at `seconds` on the output timeline (audio segments beside video); `fallback` before any anchor. */
  at(seconds: number, fallback: number): number {
    const anchor = this.#anchor;
    return Math.round(anchor === undefined ? fallback : anchor.wall + (seconds - anchor.seconds) * 1000);
  }
}
