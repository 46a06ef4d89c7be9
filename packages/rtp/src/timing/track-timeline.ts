import { TimestampUnwrapper } from './timestamp-unwrapper.js';

/** 5 s: further from the timeline than any jitter or B-frame reordering; a jump (mediamtx PR #6255). */
export const MAX_TIMESTAMP_JUMP_SECONDS = 5;
/** A jump is adopted once 3 frames in a row agree on it; a lone outlier is re-stamped instead. */
export const JUMP_ADOPTION_FRAMES = 3;

/** The moment a session started receiving, shared by its tracks so their timelines line up. */
export interface SessionClock {
  /** Monotonic milliseconds (performance.now()) at session start. */
  startMs: number;
  /** Wall-clock milliseconds (Date.now()) at the same moment. */
  wallStartMs: number;
}

export interface TimelinePoint {
  /** Presentation time in the track's clock, on the session timeline (starts near 0). */
  pts: number;
  /** The timeline was re-based at this frame (timestamp jump adopted, SSRC change). */
  discontinuity: boolean;
  /** Wall-clock time of the frame in ms since the epoch: from RTCP sender reports when known, else from arrival. */
  wallclock: number;
}

/**
 * Maps one track's RTP timestamps to a 64-bit session timeline:
 * - unwraps 32-bit timestamps (13 h at 90 kHz);
 * - aligns tracks: each track's first frame is placed at its arrival time
 *   since the session started, so audio and video share a timeline;
 * - repairs jumps: a frame more than 5 s off the timeline is re-stamped one
 *   frame after the last; a jump that persists for 3 frames is adopted, the
 *   timeline continuing where it was, with `discontinuity` on that frame
 *   (Intelbras DVRs; Tapo resets timestamps: go2rtc PR #1943);
 * - SSRC changes re-base the timeline the same way (`rebase()`).
 */
export class TrackTimeline {
  readonly #clockRate: number;
  readonly #clock: SessionClock;
  readonly #maxJump: number;
  readonly #unwrapper = new TimestampUnwrapper();
  #started = false;
  #offset = 0;
  #lastRaw = 0;
  /** Highest pts handed out: where re-stamped frames continue from. */
  #maxPts = 0;
  #step: number;
  #candidate: { raw: number; count: number } | undefined;
  #rebasePending = false;
  /** Latest sender report, in this timeline's raw (unwrapped camera) time, valid until a jump. */
  #senderReport: { raw: number; ntpMs: number } | undefined;
  #pendingSenderReport: { timestamp32: number; ntpMs: number } | undefined;

  /** `defaultStep`: one frame in clock ticks, until the stream shows its own (e.g. 3600 at 25 fps). */
  constructor(clockRate: number, clock: SessionClock, defaultStep: number) {
    this.#clockRate = clockRate;
    this.#clock = clock;
    this.#maxJump = MAX_TIMESTAMP_JUMP_SECONDS * clockRate;
    this.#step = defaultStep;
  }

  map(timestamp32: number, arrivalMs: number): TimelinePoint {
    if (!this.#started) {
      this.#started = true;
      const raw = this.#unwrapper.unwrap(timestamp32);
      this.#offset = Math.round(((arrivalMs - this.#clock.startMs) * this.#clockRate) / 1000) - raw;
      this.#lastRaw = raw;
      this.#maxPts = raw + this.#offset;
      if (this.#pendingSenderReport !== undefined) {
        const { timestamp32: srTimestamp, ntpMs } = this.#pendingSenderReport;
        this.#senderReport = { raw: raw + ((srTimestamp - timestamp32) | 0), ntpMs };
        this.#pendingSenderReport = undefined;
      }
      return this.#point(raw, raw + this.#offset, false);
    }
    if (this.#rebasePending) {
      this.#rebasePending = false;
      this.#unwrapper.reset();
      const raw = this.#unwrapper.unwrap(timestamp32);
      return this.#adopt(raw);
    }

    const raw = this.#unwrapper.unwrap(timestamp32);
    const delta = raw - this.#lastRaw;
    if (Math.abs(delta) <= this.#maxJump) {
      this.#candidate = undefined;
      if (delta > 0 && delta <= this.#clockRate) this.#step = delta;
      this.#lastRaw = raw;
      const pts = raw + this.#offset;
      if (pts > this.#maxPts) this.#maxPts = pts;
      return this.#point(raw, pts, false);
    }

    // Off the timeline: an outlier, or the start of a jump.
    const candidate = this.#candidate;
    if (candidate !== undefined && Math.abs(raw - candidate.raw) <= this.#maxJump) {
      candidate.raw = raw;
      candidate.count++;
    } else {
      this.#candidate = { raw, count: 1 };
    }
    if ((this.#candidate?.count ?? 0) >= JUMP_ADOPTION_FRAMES) return this.#adopt(raw);
    this.#maxPts += this.#step;
    return { pts: this.#maxPts, discontinuity: false, wallclock: this.#arrivalWallclock(this.#maxPts) };
  }

  /** The next frame starts a new timeline, continuing where this one was (SSRC change). */
  rebase(): void {
    if (this.#started) this.#rebasePending = true;
  }

  /** An RTCP sender report for this track's source: maps its RTP time to the camera's wall clock. */
  onSenderReport(ntpMs: number, timestamp32: number): void {
    if (!this.#started) {
      // Reolink sends sender reports before the first RTP packet.
      this.#pendingSenderReport = { timestamp32, ntpMs };
      return;
    }
    const last32 = ((this.#lastRaw % 2 ** 32) + 2 ** 32) % 2 ** 32;
    this.#senderReport = { raw: this.#lastRaw + ((timestamp32 - last32) | 0), ntpMs };
  }

  #adopt(raw: number): TimelinePoint {
    this.#candidate = undefined;
    this.#senderReport = undefined; // it described the old timeline
    this.#offset = this.#maxPts + this.#step - raw;
    this.#lastRaw = raw;
    this.#maxPts = raw + this.#offset;
    return this.#point(raw, this.#maxPts, true);
  }

  #point(raw: number, pts: number, discontinuity: boolean): TimelinePoint {
    const sr = this.#senderReport;
    const wallclock =
      sr !== undefined ? sr.ntpMs + ((raw - sr.raw) * 1000) / this.#clockRate : this.#arrivalWallclock(pts);
    return { pts, discontinuity, wallclock };
  }

  #arrivalWallclock(pts: number): number {
    return this.#clock.wallStartMs + (pts * 1000) / this.#clockRate;
  }
}
