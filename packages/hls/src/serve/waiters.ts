/** A request held until the stream can answer it. */
interface Waiter {
  ready(): boolean;
  resolve(timedOut: boolean): void;
  deadline: number;
}

/**
 * Requests held by blocking reloads and hinted-part GETs. Wake-ups are event
 * driven: every publish calls `notify()`, which answers the waiters whose
 * condition now holds. Deadlines use ONE timer for all waiters (they all wait
 * the same 3 x TD, so they expire in arrival order), never a timer or a poll
 * per request.
 */
export class Waiters {
  readonly #waiting: Waiter[] = [];
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  /** When the timer runs (the `now` clock). */
  #timerAt = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  get size(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with false once `ready()` holds, or with true at `timeoutMs`, or at once when `signal`
   * aborts (the client went away: nothing is held for it any longer).
   */
  wait(ready: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted === true) return Promise.resolve(true);
    return new Promise((resolve) => {
      const deadline = this.#now() + timeoutMs;
      const waiter: Waiter = { ready, resolve, deadline };
      if (signal !== undefined) {
        const onAbort = () => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          if (at === 0) this.#schedule();
          resolve(true);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.resolve = (timedOut) => {
          signal.removeEventListener('abort', onAbort);
          resolve(timedOut);
        };
      }
      // Deadlines are usually in arrival order; insert in place otherwise.
      let at = this.#waiting.length;
      while (at > 0 && (this.#waiting[at - 1] as Waiter).deadline > deadline) at--;
      this.#waiting.splice(at, 0, waiter);
      this.#schedule();
    });
  }

  /** Answers every waiter whose condition holds. */
  notify(): void {
    let kept = 0;
    for (const waiter of this.#waiting) {
      if (waiter.ready()) waiter.resolve(false);
      else this.#waiting[kept++] = waiter;
    }
    this.#waiting.length = kept;
    this.#schedule();
  }

  /** Answers every waiter now, as timed out (stream closed). */
  releaseAll(): void {
    const all = this.#waiting.splice(0);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of all) waiter.resolve(true);
  }

  /**
   * Keeps the timer armed no later than the first deadline. A timer already due at or before it is
   * left alone (it finds nothing expired and arms again for the next): a player holding a request
   * for every part would otherwise cost a clearTimeout and a setTimeout per request and per publish,
   * each with a delay of its own, which Node keeps in a timer list of its own (docs/benchmarks.md).
   */
  #schedule(): void {
    const first = this.#waiting[0];
    if (first === undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= first.deadline) return;
    clearTimeout(this.#timer);
    this.#timerAt = first.deadline;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#expire();
      },
      Math.max(0, first.deadline - this.#now()),
    );
  }

  #expire(): void {
    const now = this.#now();
    while (this.#waiting.length > 0 && (this.#waiting[0] as Waiter).deadline <= now) {
      (this.#waiting.shift() as Waiter).resolve(true);
    }
    this.#schedule();
  }
}
