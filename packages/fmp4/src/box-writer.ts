import { Fmp4Error, Fmp4ErrorCode } from './errors.js';

/**
 * Writes ISO BMFF boxes (ISO/IEC 14496-12 §4.2) straight into one preallocated
 * buffer: a box is opened, its fields written in place, and its 32-bit size
 * patched when it is closed. No per-box buffers, no concatenation.
 */
export class BoxWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #pos = 0;

  /** `target`: a buffer size to allocate (zero-filled), or a buffer to write into from its start. */
  constructor(target: number | Uint8Array) {
    this.#bytes = typeof target === 'number' ? new Uint8Array(target) : target;
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
  }

  /** The buffer written into. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /**
   * Starts over in `target`, from its start: a writer kept for a module's life instead of one per
   * call. V8 frees the hidden class of objects none of which is alive at a major GC, and throws
   * away the optimized code that checks for it (its "weak objects" deoptimization): a writer that
   * lives only inside one call sent the fMP4 writer's code back to the baseline tier at each
   * such GC (docs/benchmarks.md, "Few cameras: V8's tiering").
   */
  reset(target: Uint8Array): void {
    this.#bytes = target;
    this.#view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    this.#pos = 0;
  }

  get position(): number {
    return this.#pos;
  }

  /** Writes a box header with a placeholder size; returns the offset to pass to {@link endBox}. */
  startBox(type: string): number {
    const start = this.#pos;
    this.u32(0);
    this.fourcc(type);
    return start;
  }

  /** Full box header (§4.2.2): size, type, version(8), flags(24). */
  startFullBox(type: string, version: number, flags: number): number {
    const start = this.startBox(type);
    this.u8(version);
    this.u24(flags);
    return start;
  }

  endBox(start: number): void {
    this.#view.setUint32(start, this.#pos - start);
  }

  u8(value: number): void {
    this.#reserve(1);
    this.#view.setUint8(this.#pos, value);
    this.#pos += 1;
  }

  u16(value: number): void {
    this.#reserve(2);
    this.#view.setUint16(this.#pos, value);
    this.#pos += 2;
  }

  i16(value: number): void {
    this.#reserve(2);
    this.#view.setInt16(this.#pos, value);
    this.#pos += 2;
  }

  u24(value: number): void {
    this.#reserve(3);
    this.#view.setUint8(this.#pos, (value >>> 16) & 0xff);
    this.#view.setUint16(this.#pos + 1, value & 0xffff);
    this.#pos += 3;
  }

  u32(value: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#pos, value);
    this.#pos += 4;
  }

  i32(value: number): void {
    this.#reserve(4);
    this.#view.setInt32(this.#pos, value);
    this.#pos += 4;
  }

  /** 64-bit unsigned; `number` is exact up to 2^53, which is 3,000 years of a 90 kHz clock. */
  u64(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Fmp4Error(Fmp4ErrorCode.INVALID_FIELD, `${value} is not a safe unsigned 64-bit value`);
    }
    this.#reserve(8);
    this.#view.setUint32(this.#pos, Math.floor(value / 2 ** 32));
    this.#view.setUint32(this.#pos + 4, value >>> 0);
    this.#pos += 8;
  }

  fourcc(code: string): void {
    if (code.length !== 4) {
      throw new Fmp4Error(
        Fmp4ErrorCode.INVALID_FIELD,
        `four-character code ${JSON.stringify(code)} is not 4 characters`,
      );
    }
    this.#reserve(4);
    for (let i = 0; i < 4; i++) this.#bytes[this.#pos + i] = code.charCodeAt(i) & 0xff;
    this.#pos += 4;
  }

  bytesFrom(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#bytes.set(data, this.#pos);
    this.#pos += data.length;
  }

  zeros(count: number): void {
    this.#reserve(count);
    this.#bytes.fill(0, this.#pos, this.#pos + count);
    this.#pos += count;
  }

  /** The written bytes (a view, no copy). */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#pos);
  }

  /**
   * The whole buffer, which must be exactly full: callers size it before writing, so a
   * difference is a bug in a size computation, reported as FMP4_BUFFER_OVERFLOW.
   */
  finishExact(): Uint8Array {
    if (this.#pos !== this.#bytes.length) {
      throw new Fmp4Error(
        Fmp4ErrorCode.BUFFER_OVERFLOW,
        `wrote ${this.#pos} bytes into a buffer sized ${this.#bytes.length}: a size computation is wrong`,
      );
    }
    return this.#bytes;
  }

  #reserve(count: number): void {
    if (this.#pos + count > this.#bytes.length) {
      throw new Fmp4Error(
        Fmp4ErrorCode.BUFFER_OVERFLOW,
        `box data overflows its ${this.#bytes.length}-byte buffer at offset ${this.#pos} (+${count})`,
      );
    }
  }
}
