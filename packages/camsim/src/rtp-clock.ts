import { CamsimError, CamsimErrorCode } from './errors.js';

/** A frame rate as a fraction, e.g. 30000/1001 for NTSC's 29.97 fps. */
export interface Rational {
  num: number;
  den: number;
}

const TIMESTAMP_MODULUS = 2n ** 32n;

/**
 * RTP timestamps for the simulated camera's frames: frame `n` is stamped
 * `initialTimestamp + floor(n * clockRate * den / num)` modulo 2^32 (RFC 3550 §5.1).
 * Computed from the frame index rather than by adding a rounded step, so 29.97 fps
 * never drifts, and with BigInt so a year-long stream stays exact. The initial
 * timestamp is a parameter because tests start near 2^32 to exercise wrap-around.
 */
export class RtpClock {
  readonly clockRate: number;
  readonly initialTimestamp: number;
  readonly #num: bigint;
  readonly #den: bigint;

  constructor(clockRate: number, frameRate: Rational, initialTimestamp = 0) {
    if (!Number.isSafeInteger(clockRate) || clockRate <= 0) throw invalidConfig(`invalid clock rate ${clockRate}`);
    if (
      !Number.isSafeInteger(frameRate.num) ||
      !Number.isSafeInteger(frameRate.den) ||
      frameRate.num <= 0 ||
      frameRate.den <= 0
    ) {
      throw invalidConfig(`invalid frame rate ${frameRate.num}/${frameRate.den}`);
    }
    if (!Number.isInteger(initialTimestamp) || initialTimestamp < 0 || initialTimestamp >= 2 ** 32) {
      throw invalidConfig(`initial RTP timestamp ${initialTimestamp} is not a 32-bit value`);
    }
    this.clockRate = clockRate;
    this.initialTimestamp = initialTimestamp;
    this.#num = BigInt(frameRate.num);
    this.#den = BigInt(frameRate.den);
  }

  /** Clock ticks from the first frame to frame `index` (not wrapped). */
  ticksAt(index: number): number {
    return Number((BigInt(index) * BigInt(this.clockRate) * this.#den) / this.#num);
  }

  /** The 32-bit RTP timestamp of frame `index`. */
  timestampAt(index: number): number {
    return Number((BigInt(this.initialTimestamp) + BigInt(this.ticksAt(index))) % TIMESTAMP_MODULUS);
  }

  /** Wall-clock milliseconds from the first frame to frame `index`, for pacing. */
  millisecondsAt(index: number): number {
    return (index * 1000 * Number(this.#den)) / Number(this.#num);
  }
}

function invalidConfig(message: string): CamsimError {
  return new CamsimError(CamsimErrorCode.INVALID_CONFIG, message);
}
