/**
 * Gives each frame ffmpeg writes the timing of the input frame it came from. With
 * `-fps_mode passthrough` and no B-frames, every input frame gives one output frame, and the
 * decoder hands pictures to the encoder in presentation order: output frame N is the input frame
 * with the N-th smallest presentation time. Pending input frames are kept sorted by pts; each
 * output frame takes the smallest. A frame ffmpeg dropped (undecodable input) would shift every
 * later pairing by one (ffmpeg drops or repeats a frame now and then while it starts), so pairings
 * resynchronise at keyframes, which are forced where the input has them: an output keyframe takes
 * the next input keyframe (the frames before it were lost), and an output frame that is no
 * keyframe while an input keyframe is next is one too many. At worst one GOP is a frame off.
 */

export interface PendingFrame {
  /** Presentation time on the main stream's output timeline, 90 kHz. */
  pts: number;
  /** Wall clock of the input frame, ms since the epoch. */
  wallclock: number;
  keyframe: boolean;
}

/** 120 frames pending at most (4 s at 30 fps): ffmpeg holds a few; more means it stalls or lost frames. */
export const MAX_PENDING_FRAMES = 120;

export class TimestampPairing {
  /** Sorted by pts. */
  readonly #pending: PendingFrame[] = [];
  /** Input frames that never got an output frame (dropped by ffmpeg, or beyond the bound). */
  lost = 0;
  /** Output frames without an input frame of their own (repeated by ffmpeg): left out. */
  extra = 0;
  #paired = 0;

  get size(): number {
    return this.#pending.length;
  }

  /** An input frame written to ffmpeg. */
  input(frame: PendingFrame): void {
    if (this.#pending.length >= MAX_PENDING_FRAMES) {
      this.#pending.shift();
      this.lost++;
    }
    // Usually in order (or a few B-frames back): search from the end.
    let at = this.#pending.length;
    while (at > 0 && (this.#pending[at - 1]?.pts ?? 0) > frame.pts) at--;
    this.#pending.splice(at, 0, frame);
  }

  /** The timing of the next output frame; undefined when no input is pending (an extra frame: drop it). */
  output(keyframe: boolean): PendingFrame | undefined {
    if (keyframe && this.#pending[0]?.keyframe === false) {
      const next = this.#pending.findIndex((f) => f.keyframe);
      if (next > 0) {
        this.#pending.splice(0, next);
        this.lost += next;
      }
    }
    // A frame ffmpeg repeated: the pending keyframe's own output is a keyframe, so this is extra.
    if (!keyframe && this.#pending[0]?.keyframe === true && this.#paired > 0) {
      this.extra++;
      return undefined;
    }
    const next = this.#pending.shift();
    if (next !== undefined) this.#paired++;
    return next;
  }

  /** ffmpeg restarted: nothing it was given is coming back. */
  clear(): void {
    this.lost += this.#pending.length;
    this.#pending.length = 0;
  }
}
