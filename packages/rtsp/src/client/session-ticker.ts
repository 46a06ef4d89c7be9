/**
 * 500 ms: the resolution of every session's periodic work (read-timeout watchdog, UDP fallback,
 * keepalives, UDP receiver reports). Keepalives (every ≥ 1 s) and receiver reports (every 5 s,
 * RFC 3550 §6.2's minimum) are due at most one tick late.
 */
export const SESSION_TICK_MS = 500;

export interface TickListener {
  /** A tick at `nowMs` (performance.now() clock). */
  tick(nowMs: number): void;
}

/**
 * One interval for the periodic work of all sessions of the process, instead of
 * three timers per session (each a wake-up of its own): it runs only while some
 * session is playing, and keeps the process alive then, as the per-session
 * timers did.
 */
export class SessionTicker {
  readonly #periodMs: number;
  readonly #now: () => number;
  readonly #listeners = new Set<TickListener>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { periodMs?: number; now?: () => number } = {}) {
    this.#periodMs = options.periodMs ?? SESSION_TICK_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Listeners registered (for tests: 0 once every session closed). */
  get size(): number {
    return this.#listeners.size;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  add(listener: TickListener): void {
    this.#listeners.add(listener);
    this.#timer ??= setInterval(() => this.#tick(), this.#periodMs);
  }

  /** Idempotent. The interval stops with the last listener. */
  remove(listener: TickListener): void {
    this.#listeners.delete(listener);
    if (this.#listeners.size > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = this.#now();
    // A listener may remove itself (or another) while this runs: Set iteration allows it.
    for (const listener of this.#listeners) listener.tick(now);
  }
}

/** The process's ticker: every session registers with it while playing. */
export const sessionTicker = new SessionTicker();
