import { BitsError, BitsErrorCode } from './errors.js';

/** 64 KiB: enough for a parameter set or a small slice without regrowing. */
const DEFAULT_INITIAL_BYTES = 64 * 1024;
/** 16 MiB: larger than any access unit we accept (8 MiB), so only a runaway caller hits it. */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export interface BitWriterOptions {
  initialBytes?: number;
  maxBytes?: number;
}

/**
 * MSB-first bit writer with exp-Golomb encoders: the inverse of {@link BitReader}.
 * Used to build parameter sets and slices (simulated camera) and golden vectors.
 * The buffer doubles as needed up to `maxBytes`.
 */
export class BitWriter {
  #buf: Uint8Array;
  readonly #maxBytes: number;
  #pos = 0;

  constructor(options: BitWriterOptions = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#buf = new Uint8Array(Math.min(options.initialBytes ?? DEFAULT_INITIAL_BYTES, this.#maxBytes));
  }

  /** Bits written so far. */
  get position(): number {
    return this.#pos;
  }

  get byteAligned(): boolean {
    return (this.#pos & 7) === 0;
  }

  writeBit(bit: number | boolean): void {
    this.#ensure(1);
    if (bit === true || bit === 1) {
      const index = this.#pos >>> 3;
      this.#buf[index] = (this.#buf[index] as number) | (0x80 >>> (this.#pos & 7));
    } else if (bit !== false && bit !== 0) {
      throw new BitsError(BitsErrorCode.INVALID_ARGUMENT, `a bit must be 0 or 1, got ${bit}`);
    }
    this.#pos++;
  }

  /** u(n) for 0 <= n <= 32; `value` must fit in n bits. */
  writeBits(value: number, n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 32) {
      throw new BitsError(BitsErrorCode.INVALID_ARGUMENT, `cannot write ${n} bits at once (0..32)`);
    }
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** n) {
      throw new BitsError(BitsErrorCode.INVALID_ARGUMENT, `${value} does not fit in ${n} bits`);
    }
    this.#ensure(n);
    let remaining = n;
    while (remaining > 0) {
      const bitOffset = this.#pos & 7;
      const take = Math.min(8 - bitOffset, remaining);
      const shift = remaining - take;
      const chunk = Math.floor(value / 2 ** shift) & ((1 << take) - 1);
      const index = this.#pos >>> 3;
      this.#buf[index] = (this.#buf[index] as number) | (chunk << (8 - bitOffset - take));
      remaining -= take;
      this.#pos += take;
    }
  }

  /** ue(v), H.264 §9.1: values 0 .. 2^32 - 2. */
  writeUE(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 2 ** 32 - 2) {
      throw new BitsError(BitsErrorCode.INVALID_ARGUMENT, `${value} is outside ue(v)'s range`);
    }
    const codeNum = value + 1;
    const length = Math.floor(Math.log2(codeNum));
    this.writeBits(0, length);
    this.writeBit(1);
    this.writeBits(codeNum - 2 ** length, length);
  }

  /** se(v), H.264 §9.1.1. */
  writeSE(value: number): void {
    if (!Number.isInteger(value)) {
      throw new BitsError(BitsErrorCode.INVALID_ARGUMENT, `${value} is not an integer`);
    }
    this.writeUE(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Zero bits up to the next byte boundary. */
  alignWithZeros(): void {
    const pad = (8 - (this.#pos & 7)) & 7;
    this.#ensure(pad);
    this.#pos += pad;
  }

  /** rbsp_trailing_bits() of H.264 §7.3.2.11: a one bit, then zeros to the byte boundary. */
  writeTrailingBits(): void {
    this.writeBit(1);
    this.alignWithZeros();
  }

  /** The bytes written so far (a partial last byte is zero-padded); a copy the caller owns. */
  toUint8Array(): Uint8Array {
    return this.#buf.slice(0, (this.#pos + 7) >>> 3);
  }

  #ensure(bits: number): void {
    const neededBytes = (this.#pos + bits + 7) >>> 3;
    if (neededBytes <= this.#buf.length) return;
    if (neededBytes > this.#maxBytes) {
      throw new BitsError(BitsErrorCode.CAPACITY_EXCEEDED, `bit writer limit of ${this.#maxBytes} bytes reached`);
    }
    let size = Math.max(this.#buf.length * 2, 16);
    while (size < neededBytes) size *= 2;
    const next = new Uint8Array(Math.min(size, this.#maxBytes));
    next.set(this.#buf);
    this.#buf = next;
  }
}
