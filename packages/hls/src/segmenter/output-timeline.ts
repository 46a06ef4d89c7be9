/**
 * The output timeline: input frame times (each camera session's own RTP clock) mapped onto one
 * timeline per stream that starts at 10 s and never goes back, across reconnects (epochs) and
 * timestamp jumps within a session.
 */
import type { HlsFrame } from '../types.js';

/** Output timelines start at 10 s: room for B-frame DTS before the first PTS and audio around the start. */
export const START_SECONDS = 10;
/** 2^52 ticks (1600 years at 90 kHz): output offsets added to input times stay exact integers. */
export const MAX_TIMESTAMP = 2 ** 52;

/**
 * What the timeline reads and sets of a track (the segmenter's TrackState; a recorder's own).
 */
export interface TimelineTrack {
  readonly clockRate: number;
  /** End of what the track packaged or holds, output ticks (-1 before any). */
  readonly end: number;
  /** Input ticks + offset = output ticks. */
  offset: number;
  /**
   * Re-map the input timeline at the next frame: `epoch` at the start and after a reconnect (all
   * tracks onto the new epoch), `continue` after a timestamp jump within a session (this track
   * resumes exactly where it ended).
   */
  rebase: 'epoch' | 'continue' | undefined;
  /** The previous frame's input dts, for the frame interval (reset by a re-base). */
  lastInputDts: number | undefined;
}

export class OutputTimeline {
  /** Input seconds + epochOffset = output seconds, for the current epoch. */
  #epochOffset = 0;
  /** The next frame of any track fixes the new epoch's offset. */
  #epochPending = true;
  /** Output times are input times (a variant fed with another stream's output times). */
  readonly #inputTimeline: boolean;
  readonly #wallclock: boolean;

  /**
   * `wallclockStart`: an epoch starts at its first frame's wall clock (seconds since 1970; never
   * before the previous epoch's end) instead of where the previous one ended: a recording's media
   * time then goes forward across restarts of the process, and a player's position is the time of
   * day (2026 is 1.8e9 s: 1.6e14 ticks of 90 kHz, far within MAX_TIMESTAMP).
   */
  constructor(options: { inputTimeline?: boolean; wallclockStart?: boolean } = {}) {
    this.#inputTimeline = options.inputTimeline === true;
    this.#wallclock = options.wallclockStart === true;
  }

  /** No frame has placed the current epoch yet. */
  get epochPending(): boolean {
    return this.#epochPending;
  }

  /**
   * The following frames start a new epoch (a reconnect): every track is re-based onto it, which
   * resumes where the furthest track ended.
   */
  newEpoch(video: TimelineTrack | undefined, audio: TimelineTrack | undefined): void {
    this.#epochPending = true;
    if (video !== undefined) video.rebase = 'epoch';
    if (audio !== undefined) audio.rebase = 'epoch';
  }

  /**
   * A frame's time on the output timeline (ticks of its track's clock), starting the new epoch if
   * one is pending (it resumes after the end of the stream's `video` and `audio` tracks) and
   * applying the track's pending re-base. Per frame: no allocation.
   */
  place(
    state: TimelineTrack,
    frame: HlsFrame,
    video: TimelineTrack | undefined,
    audio: TimelineTrack | undefined,
  ): number {
    if (this.#epochPending) {
      this.#epochPending = false;
      const resume = Math.max(endSeconds(video), endSeconds(audio));
      const start = this.#wallclock ? Math.max(resume, frame.wallclock / 1000) : resume < 0 ? START_SECONDS : resume;
      this.#epochOffset = this.#inputTimeline ? 0 : start - frame.dts / state.clockRate;
    }
    if (state.rebase !== undefined) {
      if (state.rebase === 'continue' && state.end >= 0) {
        state.offset = state.end - frame.dts;
      } else {
        state.offset = Math.round(this.#epochOffset * state.clockRate);
        // Never behind what this track packaged already.
        if (state.end >= 0 && frame.dts + state.offset < state.end) state.offset = state.end - frame.dts;
      }
      state.rebase = undefined;
      state.lastInputDts = undefined;
    }
    return frame.dts + state.offset;
  }
}

/** Where a track's packaged and pending media ends, seconds (-1 without any). */
function endSeconds(state: TimelineTrack | undefined): number {
  return state === undefined || state.end < 0 ? -1 : state.end / state.clockRate;
}

/**
 * What the RTSP client guarantees, checked because the packager is a library: integer timestamps
 * within 2^52 (room for the output offset), pts >= dts, 1 byte .. `maxBytes` of data, a finite
 * wall clock.
 */
export function isValidFrame(frame: HlsFrame, maxBytes: number): boolean {
  const { dts, pts, data } = frame;
  return (
    Number.isInteger(dts) &&
    Number.isInteger(pts) &&
    Math.abs(dts) < MAX_TIMESTAMP &&
    Math.abs(pts) < MAX_TIMESTAMP &&
    pts >= dts &&
    data instanceof Uint8Array &&
    data.length > 0 &&
    data.length <= maxBytes &&
    Number.isFinite(frame.wallclock)
  );
}
