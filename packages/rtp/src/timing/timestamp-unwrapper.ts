/**
 * Extends 32-bit RTP timestamps to a continuous timeline (RFC 3550 §5.1: the
 * timestamp wraps every 2^32 ticks, 13 hours at 90 kHz). Each timestamp is
 * placed at the signed 32-bit distance from the previous one, so forward wraps
 * continue upwards and small backward steps (B-frame PTS) stay backward.
 * Values are exact JavaScript integers for 3,000 years at 90 kHz.
 */
export class TimestampUnwrapper {
  #last32 = 0;
  #lastValue = 0;
  #started = false;

  /** The first timestamp maps to itself (0 .. 2^32 - 1). */
  unwrap(timestamp32: number): number {
    if (!this.#started) {
      this.#started = true;
      this.#last32 = timestamp32;
      this.#lastValue = timestamp32;
      return timestamp32;
    }
    // (a - b) | 0 is the signed 32-bit difference of two unsigned 32-bit values.
    this.#lastValue += (timestamp32 - this.#last32) | 0;
    this.#last32 = timestamp32;
    return this.#lastValue;
  }

  /** Forget the history: the next timestamp starts a new timeline (SSRC change, new session). */
  reset(): void {
    this.#started = false;
  }
}
