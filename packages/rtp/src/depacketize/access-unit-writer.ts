/** 8 MiB per access unit: a high-quality 4K I-frame is about 2 MiB; more means lost markers (B04, gortsplib MaxAccessUnitSize). */
export const MAX_ACCESS_UNIT_BYTES = 8 * 1024 * 1024;
/**
 * 256 NAL units per access unit: 4K encoders that cut one slice per macroblock
 * row send 135 (gortsplib allows 50 for H.264, which such cameras exceed);
 * bounds the per-NAL bookkeeping and a flood of tiny NALs (B05).
 */
export const MAX_NALS_PER_ACCESS_UNIT = 256;
/**
 * 256 KiB to start with: a 1080p I-frame (~150 KB at 4 Mbit/s) fits with room to spare; the slab
 * doubles only when one access unit needs more (4K I-frames), up to MAX_ACCESS_UNIT_BYTES.
 */
const INITIAL_SLAB_BYTES = 256 * 1024;
const START_CODE = Buffer.from([0, 0, 1]);

export type AccessUnitOverflow = 'bytes' | 'nals';

/**
 * Builds access units as 4-byte length-prefixed NAL units (the ISO/IEC 14496-15
 * sample format the fMP4 writer stores) directly in one reused slab: every
 * payload byte is copied once, from the packet to its final place, and a
 * finished access unit is a view on the slab (no copy, no per-frame buffer).
 *
 * The slab is a ring: a finished access unit is handed over synchronously and
 * its bytes are overwritten later, when writing wraps back to the start of the
 * slab (the frame contract: whoever keeps a frame past its listener copies it).
 * A new access unit starts at the slab's start when less room is left than the
 * largest unit seen, so wrapping moves nothing; a unit that reaches the end
 * anyway moves to the start (only its own bytes). A bigger slab is allocated
 * only when one access unit needs more than the slab holds.
 *
 * Callers write NAL units as begin / append... / end. Limits are enforced as
 * data arrives: past a limit the access unit is marked overflowed, stops
 * growing, and is dropped by finish().
 */
export class AccessUnitWriter {
  #slab: Buffer = Buffer.allocUnsafe(INITIAL_SLAB_BYTES);
  /** The largest access unit handed over so far: room a new unit starts with. */
  #largest = 0;
  #auStart = 0;
  #pos = 0;
  /** Offset of the open NAL unit's length prefix, or -1. */
  #nalStart = -1;
  /** Offsets of each NAL unit's length prefix, relative to the access unit start. */
  readonly #offsets = new Int32Array(MAX_NALS_PER_ACCESS_UNIT + 1);
  readonly #types = new Uint8Array(MAX_NALS_PER_ACCESS_UNIT);
  #count = 0;
  #overflow: AccessUnitOverflow | undefined;
  readonly #nalTypeOf: (firstByte: number) => number;

  /** `nalTypeOf` reads the NAL unit type from its first byte (H.264: & 0x1f; H.265: >> 1 & 0x3f). */
  constructor(nalTypeOf: (firstByte: number) => number) {
    this.#nalTypeOf = nalTypeOf;
  }

  get nalCount(): number {
    return this.#count;
  }

  get byteLength(): number {
    return this.#pos - this.#auStart;
  }

  /** Nothing written and nothing dropped since the last finish() or discard(). */
  get isEmpty(): boolean {
    return this.#count === 0 && this.#nalStart < 0 && this.#overflow === undefined;
  }

  get hasOpenNal(): boolean {
    return this.#nalStart >= 0;
  }

  get overflow(): AccessUnitOverflow | undefined {
    return this.#overflow;
  }

  nalType(index: number): number {
    return this.#types[index] as number;
  }

  /** NAL unit `index` without its length prefix: a view, valid until the next write, finish() or discard(). */
  nal(index: number): Uint8Array {
    const start = this.#auStart + (this.#offsets[index] as number);
    const end = index + 1 < this.#count ? this.#auStart + (this.#offsets[index + 1] as number) : this.#pos;
    return this.#slab.subarray(start + 4, end);
  }

  beginNal(): void {
    if (this.#nalStart >= 0) this.abortNal();
    if (this.#overflow !== undefined) return;
    if (this.#count >= MAX_NALS_PER_ACCESS_UNIT) {
      this.#overflow = 'nals';
      return;
    }
    if (!this.#reserve(4)) return;
    this.#nalStart = this.#pos;
    this.#pos += 4;
  }

  appendByte(byte: number): void {
    if (this.#nalStart < 0 || !this.#reserve(1)) return;
    this.#slab[this.#pos++] = byte;
  }

  append(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (this.#nalStart < 0 || length <= 0 || !this.#reserve(length)) return;
    copyBytes(source, this.#slab, this.#pos, start, end);
    this.#pos += length;
  }

  /**
   * Closes the open NAL unit. An empty one is dropped. A NAL unit that turns out
   * to hold Annex-B start codes (cameras that wrap NAL units in Annex-B, or put
   * SPS, PPS and IDR in one fragmented unit: scrypted, WebRTC#391) is split in
   * place. Returns how many NAL units were added (0, 1, or more after a split).
   */
  endNal(): number {
    const start = this.#nalStart;
    if (start < 0) return 0;
    this.#nalStart = -1;
    const size = this.#pos - start - 4;
    if (size <= 0 || this.#overflow !== undefined) {
      this.#pos = start;
      return 0;
    }
    const body = this.#slab.subarray(start + 4, this.#pos);
    // A valid NAL unit never holds 00 00 01: emulation prevention escapes it (H.264 §7.4.1).
    if (body.indexOf(START_CODE) >= 0) return this.#splitAnnexB(start, body);
    this.#record(start, size);
    return 1;
  }

  /** Drops the open NAL unit (a fragmented unit cut by loss). */
  abortNal(): void {
    if (this.#nalStart < 0) return;
    this.#pos = this.#nalStart;
    this.#nalStart = -1;
  }

  /** Inserts whole NAL units before the first one (parameter sets before a keyframe). */
  prepend(nals: readonly Uint8Array[]): void {
    if (this.#nalStart >= 0) this.abortNal();
    let extra = 0;
    for (const nal of nals) extra += 4 + nal.length;
    if (extra === 0 || this.#overflow !== undefined) return;
    if (this.#count + nals.length > MAX_NALS_PER_ACCESS_UNIT) {
      this.#overflow = 'nals';
      return;
    }
    if (!this.#reserve(extra)) return;
    this.#slab.copyWithin(this.#auStart + extra, this.#auStart, this.#pos);
    this.#offsets.copyWithin(nals.length, 0, this.#count);
    this.#types.copyWithin(nals.length, 0, this.#count);
    for (let i = nals.length; i < this.#count + nals.length; i++)
      this.#offsets[i] = (this.#offsets[i] as number) + extra;
    let at = this.#auStart;
    nals.forEach((nal, i) => {
      this.#slab.writeUInt32BE(nal.length, at);
      this.#slab.set(nal, at + 4);
      this.#offsets[i] = at - this.#auStart;
      this.#types[i] = this.#nalTypeOf(nal[0] ?? 0);
      at += 4 + nal.length;
    });
    this.#count += nals.length;
    this.#pos += extra;
  }

  /**
   * Removes the NAL units for which `keep` is false, moving the others together
   * (a rare repair; the common path never calls it).
   */
  compact(keep: (index: number, type: number) => boolean): void {
    if (this.#nalStart >= 0) this.abortNal();
    let write = this.#auStart;
    let kept = 0;
    for (let i = 0; i < this.#count; i++) {
      const start = this.#auStart + (this.#offsets[i] as number);
      const end = i + 1 < this.#count ? this.#auStart + (this.#offsets[i + 1] as number) : this.#pos;
      const type = this.#types[i] as number;
      if (!keep(i, type)) continue;
      if (write !== start) this.#slab.copyWithin(write, start, end);
      this.#offsets[kept] = write - this.#auStart;
      this.#types[kept] = type;
      kept++;
      write += end - start;
    }
    this.#count = kept;
    this.#pos = write;
  }

  /**
   * Hands the access unit over: a view on the slab, valid until the next access unit is written
   * (the slab is reused: copy to keep). Undefined when it is empty or overflowed (then it is discarded).
   */
  finish(): Uint8Array | undefined {
    if (this.#nalStart >= 0) this.abortNal();
    if (this.#count === 0 || this.#overflow !== undefined) {
      this.discard();
      return undefined;
    }
    const unit = this.#slab.subarray(this.#auStart, this.#pos);
    if (unit.length > this.#largest) this.#largest = unit.length;
    this.#auStart = this.#pos;
    this.#count = 0;
    return unit;
  }

  discard(): void {
    this.#pos = this.#auStart;
    this.#nalStart = -1;
    this.#count = 0;
    this.#overflow = undefined;
  }

  #record(start: number, size: number): void {
    this.#slab.writeUInt32BE(size, start);
    this.#offsets[this.#count] = start - this.#auStart;
    this.#types[this.#count] = this.#nalTypeOf(this.#slab[start + 4] as number);
    this.#count++;
  }

  /** Makes room for `bytes` more; false (and overflowed) past MAX_ACCESS_UNIT_BYTES. */
  #reserve(bytes: number): boolean {
    if (this.#overflow !== undefined) return false;
    const used = this.#pos - this.#auStart;
    if (used + bytes > MAX_ACCESS_UNIT_BYTES) {
      this.#overflow = 'bytes';
      // Release what the runaway unit holds; it is dropped at finish().
      this.#pos = this.#auStart;
      this.#nalStart = -1;
      this.#count = 0;
      return false;
    }
    const slab = this.#slab;
    if (used === 0 && this.#auStart > 0 && slab.length - this.#auStart < Math.max(this.#largest, bytes)) {
      // A new access unit with less room left than the largest one needed: start over at the slab's start
      // (nothing to move; the units before were handed over already).
      this.#auStart = 0;
      this.#pos = 0;
    }
    if (this.#pos + bytes <= slab.length) return true;
    if (used + bytes <= slab.length) {
      // Wrap: move the unfinished unit to the start, over units handed over already.
      slab.copyWithin(0, this.#auStart, this.#pos);
    } else {
      // One access unit needs more than the slab: a bigger one (the old one is garbage once the unit moves).
      const next = Buffer.allocUnsafe(Math.min(MAX_ACCESS_UNIT_BYTES, Math.max(slab.length * 2, used + bytes)));
      slab.copy(next, 0, this.#auStart, this.#pos);
      this.#slab = next;
    }
    if (this.#nalStart >= 0) this.#nalStart -= this.#auStart;
    this.#pos = used;
    this.#auStart = 0;
    return true;
  }

  /** Rewrites an Annex-B body (at `start`, after its prefix) as length-prefixed NAL units. */
  #splitAnnexB(start: number, body: Buffer): number {
    const copy = Buffer.from(body); // the region is rewritten in place below
    const pieces: Array<[number, number]> = [];
    let from = 0;
    while (from < copy.length) {
      const code = copy.indexOf(START_CODE, from);
      let end = code < 0 ? copy.length : code;
      // Zeros before 00 00 01 belong to the start code (4-byte codes); a NAL unit never ends in 0x00.
      while (end > from && copy[end - 1] === 0) end--;
      if (end > from) pieces.push([from, end]);
      if (code < 0) break;
      from = code + 3;
    }
    this.#pos = start;
    let added = 0;
    for (const [from2, to] of pieces) {
      if (this.#count >= MAX_NALS_PER_ACCESS_UNIT) {
        this.#overflow = 'nals';
        return added;
      }
      if (!this.#reserve(4 + to - from2)) return added;
      const at = this.#pos;
      this.#slab.set(copy.subarray(from2, to), at + 4);
      this.#pos += 4 + to - from2;
      this.#record(at, to - from2);
      added++;
    }
    return added;
  }
}

/** Copies `source[start, end)` to `target` at `at`; from a Buffer (socket reads are) without a view per call. */
function copyBytes(source: Uint8Array, target: Buffer, at: number, start: number, end: number): void {
  if (Buffer.isBuffer(source)) source.copy(target, at, start, end);
  else target.set(source.subarray(start, end), at);
}
