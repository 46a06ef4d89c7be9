/**
 * Reconnect delays: 1 s doubling to 30 s, each with ±20% jitter so that cameras behind one failed
 * switch do not all reconnect in the same instant. The camera pipeline resets the delay as soon as
 * a session delivers media: a camera that reboots is back within a second or two of answering
 * again, however often it has rebooted before, while one that keeps failing to connect backs off
 * to the cap.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Fraction of the delay added or taken away at random. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 1_000;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, after a failure. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const spread = base * this.#jitter * (2 * this.#random() - 1);
    return Math.max(0, Math.round(Math.min(this.#maxMs, base + spread)));
  }

  /** The camera works again (a session delivered media): the next failure waits the shortest delay. */
  reset(): void {
    this.#attempt = 0;
  }
}
