import { BitsError, BitsErrorCode } from './errors.js';

/**
 * MSB-first bit reader over an RBSP (emulation prevention already removed),
 * with the exp-Golomb descriptors of ITU-T H.264 §9.1 / H.265 §9.2.
 * Every read is bounds-checked and throws {@link BitsError} instead of
 * returning garbage, because its input comes from cameras.
 */
export class BitReader {
  #data: Uint8Array;
  #bitLength: number;
  #pos = 0;

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#bitLength = data.length * 8;
  }

  /**
   * Starts over at the first bit of `data`, for a reader kept for a module's life: per-frame
   * parsers reuse one, because V8 deoptimizes the code that checks for the hidden class of
   * objects none of which survived a major GC (docs/benchmarks.md, "Few cameras: V8's tiering").
   */
  reset(data: Uint8Array): this {
    this.#data = data;
    this.#bitLength = data.length * 8;
    this.#pos = 0;
    return this;
  }

  /** Current position, in bits from the start. */
  get position(): number {
    return this.#pos;
  }

  get bitsLeft(): number {
    return this.#bitLength - this.#pos;
  }

  get byteAligned(): boolean {
    return (this.#pos & 7) === 0;
  }

  readBit(): number {
    if (this.#pos >= this.#bitLength) throw endOfData(1, 0);
    const byte = this.#data[this.#pos >>> 3] as number;
    const bit = (byte >>> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return bit;
  }

  readFlag(): boolean {
    return this.readBit() === 1;
  }

  /** u(n) for 0 <= n <= 32, as an unsigned number. */
  readBits(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) {
      throw new BitsError(BitsErrorCode.INVALID_ARGUMENT, `cannot read ${n} bits at once (0..32)`);
    }
    if (n > this.bitsLeft) throw endOfData(n, this.bitsLeft);
    let value = 0;
    let remaining = n;
    while (remaining > 0) {
      const byte = this.#data[this.#pos >>> 3] as number;
      const bitOffset = this.#pos & 7;
      const take = Math.min(8 - bitOffset, remaining);
      const chunk = (byte >>> (8 - bitOffset - take)) & ((1 << take) - 1);
      // Multiplication instead of << keeps values >= 2^31 positive.
      value = value * (1 << take) + chunk;
      remaining -= take;
      this.#pos += take;
    }
    return value;
  }

  skipBits(n: number): void {
    if (!Number.isInteger(n) || n < 0) {
      throw new BitsError(BitsErrorCode.INVALID_ARGUMENT, `cannot skip ${n} bits`);
    }
    if (n > this.bitsLeft) throw endOfData(n, this.bitsLeft);
    this.#pos += n;
  }

  /** ue(v): unsigned exp-Golomb, H.264 §9.1. Values up to 2^32 - 2. */
  readUE(): number {
    let leadingZeros = 0;
    while (this.readBit() === 0) {
      leadingZeros++;
      // 31 zeros already encode values up to 2^32 - 2; more cannot be a valid 32-bit syntax element.
      if (leadingZeros > 31) {
        throw new BitsError(BitsErrorCode.INVALID_EXP_GOLOMB, 'exp-Golomb code has more than 31 leading zero bits');
      }
    }
    // A shift, not 2 ** n: V8 calls pow() for a power it cannot fold (0.3% of a camera's CPU, slice headers).
    return (leadingZeros < 31 ? 1 << leadingZeros : 0x80000000) - 1 + this.readBits(leadingZeros);
  }

  /** se(v): signed exp-Golomb, H.264 §9.1.1 (k -> (-1)^(k+1) * ceil(k/2)). */
  readSE(): number {
    const k = this.readUE();
    const magnitude = Math.ceil(k / 2);
    // k = 0 must give +0, not -0.
    return k % 2 === 1 || k === 0 ? magnitude : -magnitude;
  }

  /**
   * more_rbsp_data() of H.264 §7.2: true while data remains before the
   * rbsp_stop_one_bit (the last set bit of the buffer).
   */
  moreRbspData(): boolean {
    if (this.#pos >= this.#bitLength) return false;
    let lastByte = this.#data.length - 1;
    while (lastByte >= 0 && this.#data[lastByte] === 0) lastByte--;
    if (lastByte < 0) return false;
    const byte = this.#data[lastByte] as number;
    let stopBit = 7;
    while (((byte >>> (7 - stopBit)) & 1) === 0) stopBit--;
    return this.#pos < lastByte * 8 + stopBit;
  }
}

function endOfData(wanted: number, left: number): BitsError {
  return new BitsError(BitsErrorCode.END_OF_DATA, `bitstream ended early: needed ${wanted} more bit(s), ${left} left`);
}
