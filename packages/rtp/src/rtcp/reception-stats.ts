import { sequenceDistance } from '../sequence.js';

/** One report block of a receiver report, RFC 3550 §6.4.1. */
export interface ReportBlock {
  ssrc: number;
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSequence: number;
  jitter: number;
  lastSenderReport: number;
  delaySinceLastSenderReport: number;
}

/**
 * Reception statistics of one source for RTCP receiver reports, per RFC 3550
 * §A.3 (loss) and §A.8 (interarrival jitter). Counts packets as they arrive,
 * before reordering.
 */
export class ReceptionStats {
  ssrc = 0;
  #started = false;
  #maxSequence = 0;
  #cycles = 0;
  #baseSequence = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #jitter = 0;
  #lastTransit = 0;
  #lastSrMiddle = 0;
  #lastSrArrivalMs = 0;
  readonly #clockRate: number;

  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** Packets lost so far (expected minus received, RFC 3550 §A.3). */
  get cumulativeLost(): number {
    if (!this.#started) return 0;
    return Math.max(0, this.#cycles + this.#maxSequence - this.#baseSequence + 1 - this.#received);
  }

  /** Records a packet; `arrivalMs` from a monotonic clock. */
  onPacket(ssrc: number, sequenceNumber: number, rtpTimestamp: number, arrivalMs: number): void {
    if (!this.#started || ssrc !== this.ssrc) {
      this.#started = true;
      this.ssrc = ssrc;
      this.#baseSequence = sequenceNumber;
      this.#maxSequence = sequenceNumber;
      this.#cycles = 0;
      this.#received = 0;
      this.#expectedPrior = 0;
      this.#receivedPrior = 0;
      this.#jitter = 0;
      this.#lastTransit = arrivalMs * (this.#clockRate / 1000) - rtpTimestamp;
    }
    this.#received++;
    const step = sequenceDistance(this.#maxSequence, sequenceNumber);
    if (step > 0) {
      if (sequenceNumber < this.#maxSequence) this.#cycles += 0x10000;
      this.#maxSequence = sequenceNumber;
    }
    // §A.8: J += (|D| - J) / 16, D the difference of relative transit times, in timestamp units.
    const transit = arrivalMs * (this.#clockRate / 1000) - rtpTimestamp;
    const d = Math.abs((transit - this.#lastTransit) | 0);
    this.#lastTransit = transit;
    this.#jitter += (d - this.#jitter) / 16;
  }

  /** Records the arrival of a sender report for this source (for LSR/DLSR). */
  onSenderReport(ntpMiddle: number, arrivalMs: number): void {
    this.#lastSrMiddle = ntpMiddle;
    this.#lastSrArrivalMs = arrivalMs;
  }

  /** Builds the report block and starts a new reporting interval; undefined before any packet. */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (!this.#started) return undefined;
    const extended = this.#cycles + this.#maxSequence;
    const expected = extended - this.#baseSequence + 1;
    const lost = expected - this.#received;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(fractionLost, 255),
      // 24-bit signed, clamped (§6.4.1).
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, lost)),
      extendedHighestSequence: extended >>> 0,
      jitter: Math.floor(this.#jitter) >>> 0,
      lastSenderReport: this.#lastSrMiddle,
      delaySinceLastSenderReport:
        this.#lastSrMiddle === 0 ? 0 : Math.floor(((nowMs - this.#lastSrArrivalMs) / 1000) * 65536) >>> 0,
    };
  }
}
