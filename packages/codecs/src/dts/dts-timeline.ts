import { CodecsError, CodecsErrorCode } from '../errors.js';
import { MAX_DPB_FRAMES } from '../limits.js';

/** One picture, in decode order, as the codec-specific extractors see it. */
export interface TimelinePicture {
  /** Presentation timestamp, 90 kHz (any safe integer). */
  pts: number;
  /** Picture order count: presentation order within its sequence. */
  poc: number;
  /**
   * True when every earlier picture is output before this one and POC starts again (H.264 IDR or
   * memory_management_control_operation 5, H.265 IRAP with NoRaslOutputFlag).
   */
  startsSequence: boolean;
  /**
   * How many pictures the stream may reorder: the most that precede any picture in decode order
   * and follow it in output order (H.264 max_num_reorder_frames, H.265 sps_max_num_reorder_pics).
   * Undefined when the stream does not say: the timeline then learns it from picture order counts.
   * Read when a sequence starts.
   */
  reorderDepth: number | undefined;
  /** Frame duration in 90 kHz ticks from VUI timing, if known: only used to start a stream with B-frames. */
  frameDurationHint: number | undefined;
}

interface Pending {
  sequence: number;
  poc: number;
  pts: number;
}

/** 3000 ticks (30 fps, the most common camera rate): used only when nothing better is known. */
const FALLBACK_FRAME_DURATION = 3000;
/** 10 s: longer gaps between consecutive output pictures are pauses or timestamp jumps, not frame rates. */
const MAX_FRAME_DURATION = 10 * 90_000;

/**
 * Derives decode timestamps from presentation timestamps, for pictures that arrive in decode order.
 *
 * A decoder that holds back `depth` pictures before output (the stream's reorder depth, D) outputs,
 * when it decodes picture n, the picture of output rank n - D. So the DTS of picture n is the PTS
 * of the picture presented (n - D) places into the stream, which is exactly how encoders such as
 * x264 and x265 stamp DTS (dts[n] = the n-th smallest pts, shifted back by D frames). Every picture
 * of rank <= n - D has been decoded by then (a conforming stream reorders at most D pictures), so
 * the value is known without waiting: keep the last D + 1 pictures sorted by presentation order
 * (sequence, POC) and hand out the PTS of the earliest. This gives DTS <= PTS (the current picture
 * is among those kept), non-decreasing DTS, and even steps at a constant frame rate, and it follows
 * the real timestamps when the frame rate varies. Only the first D pictures of a stream need a DTS
 * from before the first PTS; those are extrapolated back by the frame duration.
 *
 * The same ranks continue across sequences (all pictures of the previous one are presented before
 * the new one starts); a sequence whose first PTS goes backwards restarts the timeline.
 *
 * When the stream does not signal D it starts at 0 (DTS = PTS for streams without B-frames) and
 * grows it as soon as the POC shows pictures missing in between, that is, pictures that will
 * come later in decode order. Growing D repeats the last DTS for a few pictures. A stream that
 * reorders more than D anyway gets CODECS_REORDER_EXCEEDED for the one picture that cannot get a
 * DTS, and a larger D from then on.
 */
export class DtsTimeline {
  /** Sorted by (sequence, poc); at most depth + 1 entries between calls. */
  readonly #pending: Pending[] = [];
  readonly #spare: Pending[] = [];
  #depth = 0;
  /** The largest depth a stream has shown beyond what it signaled; kept until reset(). */
  #depthFloor = 0;
  #learning = false;
  #sequence = 0;
  #started = false;
  #prevDts: number | undefined;
  /** True once a DTS has been taken from a real picture since the timeline (re)started. */
  #outputStarted = false;
  #lastOutputPts: number | undefined;
  #frameDuration: number | undefined;
  // Learning mode, per sequence: the largest POC so far, its POC step, and the deepest reordering seen.
  #maxPoc = 0;
  #firstPoc = 0;
  #pocStep = 2;
  #observedDepth = 0;

  /** The reorder depth in use (for tests and diagnostics). */
  get reorderDepth(): number {
    return this.#depth;
  }

  reset(): void {
    this.#pending.length = 0;
    this.#depth = 0;
    this.#depthFloor = 0;
    this.#started = false;
    this.#restart();
    this.#frameDuration = undefined;
  }

  /** Returns the DTS of the next picture in decode order. */
  push(picture: TimelinePicture): number {
    const { pts, poc } = picture;
    if (picture.startsSequence) this.#startSequence(picture);
    else if (!this.#started) {
      throw new CodecsError(CodecsErrorCode.NO_RANDOM_ACCESS_POINT, 'the first picture must start a sequence');
    } else if (this.#learning) this.#anticipate(poc);

    // How many pictures of this sequence, already decoded, are presented after this one.
    let later = 0;
    for (const p of this.#pending) if (p.sequence === this.#sequence && p.poc > poc) later++;
    this.#observedDepth = Math.max(this.#observedDepth, later);

    this.#insert(pts, poc);
    let candidate: number;
    if (this.#pending.length > this.#depth) {
      candidate = this.#output();
    } else if (!this.#outputStarted) {
      // Stream start: the earliest picture kept is presented first; extrapolate back from it.
      const missing = this.#depth + 1 - this.#pending.length;
      candidate = Math.round((this.#pending[0] as Pending).pts - missing * this.#duration(picture));
    } else {
      // The depth just grew: hold the DTS until the pictures kept catch up.
      candidate = -Infinity;
    }

    const prev = this.#prevDts ?? -Infinity;
    if (prev > pts) {
      this.#depth = Math.min(MAX_DPB_FRAMES, Math.max(this.#depth + 1, later));
      this.#depthFloor = Math.max(this.#depthFloor, this.#depth);
      throw new CodecsError(
        CodecsErrorCode.REORDER_EXCEEDED,
        `picture with PTS ${pts} comes after DTS ${prev} was handed out: the stream reorders more than ` +
          `${this.#depth - 1} picture(s); drop it (reorder depth is now ${this.#depth})`,
      );
    }
    // A PTS that disagrees with the POC order would give a candidate above PTS: clamp.
    const dts = Math.min(pts, Math.max(prev, candidate));
    this.#prevDts = dts;
    return dts;
  }

  #startSequence(picture: TimelinePicture): void {
    // Timestamps went backwards into a new sequence (camera restart, stream switch): start over.
    const backwards =
      (this.#prevDts !== undefined && picture.pts < this.#prevDts) || this.#pending.some((p) => p.pts > picture.pts);
    if (backwards) {
      this.#pending.length = 0;
      this.#restart();
    }
    this.#learning = picture.reorderDepth === undefined;
    let wanted: number;
    if (!this.#learning) wanted = picture.reorderDepth as number;
    else if (!this.#started) wanted = 0;
    // Learning: keep a depth the last sequence used (growing it again would repeat DTS values every
    // sequence), and drop one it never used (a POC gap from a lost picture, not reordering).
    else wanted = this.#observedDepth > 0 ? Math.max(this.#depth, this.#observedDepth) : 0;
    this.#depth = Math.min(MAX_DPB_FRAMES, Math.max(wanted, this.#depthFloor));
    this.#started = true;
    this.#sequence++;
    this.#maxPoc = this.#firstPoc = picture.poc;
    this.#pocStep = 2;
    this.#observedDepth = 0;
    // A shallower depth than before: output what the new depth no longer holds back (the DTS skips ahead).
    while (this.#pending.length > this.#depth) this.#output();
  }

  /**
   * Without a signaled depth: a POC beyond the next expected one means the pictures in between
   * come later in decode order, each after this one; make room for all of them. POC steps by 2 per
   * frame in nearly every encoder (field pairs), by 1 in some: an odd distance from the first POC says so.
   */
  #anticipate(poc: number): void {
    if ((poc - this.#firstPoc) % 2 !== 0) this.#pocStep = 1;
    if (poc <= this.#maxPoc) return;
    const between = Math.floor((poc - this.#maxPoc) / this.#pocStep) - 1;
    this.#maxPoc = poc;
    if (between > this.#depth) this.#depth = Math.min(MAX_DPB_FRAMES, between);
  }

  #restart(): void {
    this.#prevDts = undefined;
    this.#outputStarted = false;
    this.#lastOutputPts = undefined;
    this.#observedDepth = 0;
  }

  #duration(picture: TimelinePicture): number {
    return this.#frameDuration ?? picture.frameDurationHint ?? FALLBACK_FRAME_DURATION;
  }

  #insert(pts: number, poc: number): void {
    const entry = this.#spare.pop() ?? { sequence: 0, poc: 0, pts: 0 };
    entry.sequence = this.#sequence;
    entry.poc = poc;
    entry.pts = pts;
    let at = this.#pending.length;
    while (at > 0) {
      const before = this.#pending[at - 1] as Pending;
      if (before.sequence < entry.sequence || (before.sequence === entry.sequence && before.poc <= entry.poc)) break;
      at--;
    }
    this.#pending.splice(at, 0, entry);
  }

  /** Removes the earliest-presented picture kept and returns its PTS; learns the frame duration from it. */
  #output(): number {
    const entry = this.#pending.shift() as Pending;
    this.#spare.push(entry);
    const pts = entry.pts;
    if (this.#lastOutputPts !== undefined) {
      const step = pts - this.#lastOutputPts;
      if (step > 0 && step <= MAX_FRAME_DURATION) this.#frameDuration = step;
    }
    this.#lastOutputPts = pts;
    this.#outputStarted = true;
    return pts;
  }
}
