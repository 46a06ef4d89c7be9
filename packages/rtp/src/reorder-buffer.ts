import { sequenceDistance } from './sequence.js';

/** 64 packets: gortsplib's window; ~180 ms of a 4 Mbit/s stream. */
export const REORDER_WINDOW = 64;
/**
 * 100 ms: how long a gap is waited for before its packet is declared lost.
 * Bounds the latency a loss adds (a full window of a low-rate audio track is
 * over a second), while real reordering on a LAN is a few milliseconds.
 */
export const REORDER_MAX_WAIT_MS = 100;

/** Receives packets in sequence order; `lost` is how many packets were skipped just before this one. */
export type InOrderHandler = (data: Uint8Array, sequenceNumber: number, lost: number) => void;

export interface ReorderStats {
  /** Packets never received (gaps given up on). */
  lost: number;
  /** Packets received twice while the first copy was still buffered. */
  duplicates: number;
  /** Packets that arrived after their place was passed (including copies of delivered ones), dropped. */
  late: number;
}

/**
 * Puts UDP packets back in sequence order (RFC 3550 §A.1 arithmetic) with a
 * bounded window: a gap is waited for until the window fills or
 * REORDER_MAX_WAIT_MS passes, then declared lost. Duplicates and late packets
 * are dropped. A jump beyond the window (sender restart) resynchronizes.
 * Holds at most REORDER_WINDOW packets. A packet delivered at once is not copied; one held behind
 * a gap is (the caller may reuse its memory: an interleaved packet over TCP after a fallback from
 * UDP is a view on the connection's read buffer).
 */
export class ReorderBuffer {
  readonly stats: ReorderStats = { lost: 0, duplicates: 0, late: 0 };
  readonly #slots: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(REORDER_WINDOW);
  readonly #arrival = new Float64Array(REORDER_WINDOW);
  readonly #deliver: InOrderHandler;
  readonly #now: () => number;
  #expected = 0;
  #started = false;
  #buffered = 0;
  #lostSinceDelivery = 0;
  /** Consecutive packets from far behind the window: a sender that restarted its sequence. */
  #oldInARow = 0;

  constructor(deliver: InOrderHandler, now: () => number = () => performance.now()) {
    this.#deliver = deliver;
    this.#now = now;
  }

  push(data: Uint8Array, sequenceNumber: number): void {
    if (!this.#started) {
      this.#started = true;
      this.#expected = sequenceNumber;
    }
    const distance = sequenceDistance(this.#expected, sequenceNumber);

    if (distance < 0) {
      if (distance > -REORDER_WINDOW) {
        this.stats.late++;
        this.#oldInARow = 0;
        return;
      }
      // Far behind: a stray packet, or the sender restarted its numbering.
      if (++this.#oldInARow <= REORDER_WINDOW) {
        this.stats.late++;
        return;
      }
      this.#resync(sequenceNumber);
    } else if (distance >= REORDER_WINDOW) {
      this.#resync(sequenceNumber);
    }
    this.#oldInARow = 0;

    const slot = sequenceNumber % REORDER_WINDOW;
    if (this.#slots[slot] !== undefined) {
      this.stats.duplicates++;
      return;
    }
    this.#slots[slot] = data;
    this.#arrival[slot] = this.#now();
    this.#buffered++;
    this.#drain();
    // Still held (a gap before it): the caller may reuse `data` once push returns (an interleaved
    // packet is a view on the connection's read buffer), so the buffer keeps a copy.
    if (this.#slots[slot] === data) this.#slots[slot] = data.slice();

    if (this.#buffered > 0 && this.#now() - this.#oldestArrival() > REORDER_MAX_WAIT_MS) {
      this.#skipGap();
      this.#drain();
    }
  }

  /** Delivers what is buffered, declaring the gaps lost (end of stream). */
  flush(): void {
    while (this.#buffered > 0) {
      this.#skipGap();
      this.#drain();
    }
  }

  /** Forgets everything buffered without delivering it. */
  reset(): void {
    this.#slots.fill(undefined);
    this.#buffered = 0;
    this.#started = false;
    this.#lostSinceDelivery = 0;
    this.#oldInARow = 0;
  }

  #drain(): void {
    for (;;) {
      const slot = this.#expected % REORDER_WINDOW;
      const data = this.#slots[slot];
      if (data === undefined) return;
      this.#slots[slot] = undefined;
      this.#buffered--;
      const lost = this.#lostSinceDelivery;
      this.#lostSinceDelivery = 0;
      const sequenceNumber = this.#expected;
      this.#expected = (this.#expected + 1) & 0xffff;
      this.#deliver(data, sequenceNumber, lost);
    }
  }

  /** Gives up on the missing packets before the first buffered one. */
  #skipGap(): void {
    while (this.#slots[this.#expected % REORDER_WINDOW] === undefined && this.#buffered > 0) {
      this.#expected = (this.#expected + 1) & 0xffff;
      this.#lostSinceDelivery++;
      this.stats.lost++;
    }
  }

  #oldestArrival(): number {
    let oldest = Infinity;
    for (let i = 0; i < REORDER_WINDOW; i++) {
      if (this.#slots[i] !== undefined && (this.#arrival[i] as number) < oldest) oldest = this.#arrival[i] as number;
    }
    return oldest;
  }

  /** Jump to `sequenceNumber`: deliver what is buffered first, counting the jump as loss. */
  #resync(sequenceNumber: number): void {
    this.flush();
    const jumped = sequenceDistance(this.#expected, sequenceNumber);
    if (jumped > 0) {
      this.stats.lost += jumped;
      this.#lostSinceDelivery += jumped;
    }
    this.#expected = sequenceNumber;
  }
}
