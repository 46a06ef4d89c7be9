/**
 * Reconnect delays: 1 s doubling to 30 s, each with ±20% jitter so that cameras behind one failed
 * switch do not all reconnect in the same instant; back to 1 s once a session has streamed for a
 * minute (a camera that drops every few seconds keeps backing off).
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A session that lasted this long resets the delay. */
  stableMs?: number;
  /** Fraction of the delay added or taken away at random. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #stableMs: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 1_000;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#stableMs = options.stableMs ?? 60_000;
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

  /** A session ended after `lastedMs` of streaming: long enough, and the next failure starts from 1 s again. */
  sessionEnded(lastedMs: number): void {
    if (lastedMs >= this.#stableMs) this.#attempt = 0;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
