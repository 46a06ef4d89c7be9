/**
 * A block of memory parts are carved from, in order. `refs` counts what keeps it: the parts written
 * into it that are still held, the responses being sent from it (leases), and the arena while it
 * is the chunk new parts go into. At 0 it goes back to its arena's free list (or to the GC).
 */
export class ArenaChunk {
  readonly bytes: Uint8Array;
  refs = 0;
  /** A chunk of the arena's size, reusable; false for a part's own buffer (a part larger than a chunk). */
  readonly pooled: boolean;
  readonly #arena: PartArena;

  constructor(arena: PartArena, size: number, pooled: boolean) {
    this.#arena = arena;
    this.pooled = pooled;
    const buffer = Buffer.allocUnsafeSlow(size);
    this.bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, size);
  }

  /** Drops one reference; the last one hands the chunk back to its arena. */
  unref(): void {
    if (--this.refs === 0) this.#arena.recycle(this);
  }
}

/** Where a part was written: one view, or two when it continues from the end of a chunk into the next. */
export interface ArenaSlot {
  /** The part's bytes in order: one view, or two. */
  views: Uint8Array[];
  /** The chunks the views are on (one reference each, held for the part until `PartArena.release`). */
  chunks: ArenaChunk[];
}

/**
 * A chunk holds about 4 parts of the rendition (sized from a running average of its parts): small
 * enough that the chunks at the window's two ends (the one being filled, the one whose oldest parts
 * expired) and the free list add little to the media the window holds (a 4 Mbit/s video rendition
 * holds ~15 MB: 512 KiB chunks, ~6 % more), large enough that few parts continue into a next chunk
 * (the only ones written twice).
 */
const PARTS_PER_CHUNK = 4;
/** 16 KiB: the chunk of a low-rate audio rendition (128 kbit/s: 3.4 KB parts); below it, per-chunk cost dominates. */
export const MIN_CHUNK_BYTES = 16 * 1024;
/** 1 MiB: a chunk never grows past it; a larger part gets a buffer of its own. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** Chunk sizes are multiples of 16 KiB (the average moves a little: the size should not). */
const CHUNK_GRANULE = 16 * 1024;
/**
 * Free chunks kept for reuse at most: a segment expiring frees 2-3 chunks at once, which the next
 * segment's parts take again, and a burst (segments expiring together) a few more; beyond that
 * they would only hold memory (the excess goes to the GC). `trim` returns what a stretch did not use.
 */
export const MAX_FREE_CHUNKS = 8;
/**
 * The free list is trimmed to what 4 segments did not use: over a single segment, what one expiry
 * frees and the next segment takes differ (a chunk shared by two segments is freed with the later
 * one), and trimming to that would allocate again soon after.
 */
const TRIM_SEGMENTS = 4;
/** The average part size follows the last ~16 parts (a GOP or two). */
const AVERAGE_WEIGHT = 1 / 16;

/** Shared by every arena (JavaScript runs one write at a time): where a part spanning two chunks is written first. */
let scratch = new Uint8Array(0);

/**
 * The memory of one rendition's parts: chunks reused in turn instead of a new buffer per part, so
 * the packager makes no garbage on the media path (external memory is what drives V8's full
 * collections). Parts are carved in publication order; a part that does not fit the rest of the
 * current chunk continues into the next one (two views), so no chunk has an unused tail. A chunk
 * is reused once nothing refers to it any more: its parts expired and no response is being sent
 * from it (`lease`). A forgotten lease costs one chunk's reuse, never a leak: the arena keeps no
 * list of its chunks, the GC takes one nothing refers to.
 */
export class PartArena {
  #current: ArenaChunk | undefined;
  #used = 0;
  readonly #free: ArenaChunk[] = [];
  /** The fewest free chunks since the last trim: that many were not needed meanwhile. */
  #lowWater = 0;
  #segmentsSinceTrim = 0;
  #chunkSize = 0;
  #averagePart = 0;
  #reserved = 0;
  #allocated = 0;
  #closed = false;

  /** Bytes of the chunks (and own part buffers) still alive: held parts, leased ones, the free list. */
  get bytesReserved(): number {
    return this.#reserved;
  }

  /** Chunks and own buffers allocated so far (a steady stream stops allocating). */
  get chunksAllocated(): number {
    return this.#allocated;
  }

  /** The size new chunks get. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /**
   * Writes a part of `size` bytes: `write` fills the target it is given (exactly `size` bytes) and
   * returns the view it wrote. Returns where the part is; its chunks stay referenced until
   * `release(slot)`. If `write` throws, nothing is kept.
   */
  write(size: number, write: (target: Uint8Array) => Uint8Array): ArenaSlot {
    this.#adapt(size);
    if (this.#closed || size > this.#chunkSize) {
      // Its own buffer: never carved, never pooled (a stream closed meanwhile, or an outsized part).
      const own = this.#allocate(size, false);
      own.refs = 1;
      try {
        return { views: [write(own.bytes)], chunks: [own] };
      } catch (err) {
        own.unref();
        throw err;
      }
    }
    let current = this.#take();
    const room = current.bytes.length - this.#used;
    if (size <= room) {
      const view = write(current.bytes.subarray(this.#used, this.#used + size));
      this.#used += size;
      current.refs++;
      return { views: [view], chunks: [current] };
    }
    // The part starts in this chunk's last bytes (room > 0: a full chunk is never current) and
    // continues at the start of a new one: written once more, via the scratch buffer.
    if (scratch.length < size) scratch = new Uint8Array(Math.max(size, Math.min(2 * scratch.length, MAX_CHUNK_BYTES)));
    const written = write(scratch.subarray(0, size));
    const head = current.bytes.subarray(this.#used);
    head.set(written.subarray(0, room));
    current.refs++;
    const first = current;
    this.#retire();
    current = this.#take();
    const tail = current.bytes.subarray(0, size - room);
    tail.set(written.subarray(room));
    this.#used = size - room;
    current.refs++;
    return { views: [head, tail], chunks: [first, current] };
  }

  /** A part was removed: its chunks lose its reference. */
  release(slot: ArenaSlot): void {
    for (const chunk of slot.chunks) chunk.unref();
    slot.chunks.length = 0;
  }

  /**
   * Keeps the chunks of `slots` until the returned function is called (a response sent from them).
   * Calling it again does nothing.
   */
  lease(slots: readonly ArenaSlot[]): () => void {
    const chunks: ArenaChunk[] = [];
    for (const slot of slots) {
      for (const chunk of slot.chunks) {
        // Consecutive parts mostly share a chunk: one reference per chunk is enough.
        if (chunks.at(-1) === chunk || chunks.includes(chunk)) continue;
        chunk.refs++;
        chunks.push(chunk);
      }
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const chunk of chunks) chunk.unref();
    };
  }

  /** The rendition is gone: free chunks go to the GC, and so does every chunk once its last reference is dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const chunk of this.#free) this.#reserved -= chunk.bytes.length;
    this.#free.length = 0;
    this.#retire();
  }

  /**
   * Called once per segment, just before segments expire: every TRIM_SEGMENTS calls, gives the GC
   * the free chunks no part took meanwhile (the free list never went below that many), so that
   * what expiries free and the next segments' parts take again stays, and what sat unused goes.
   */
  trim(): void {
    if (++this.#segmentsSinceTrim < TRIM_SEGMENTS) return;
    this.#segmentsSinceTrim = 0;
    // One spare stays: segments vary in size, and one a little larger than the last must not allocate.
    for (let surplus = Math.min(this.#lowWater - 1, this.#free.length); surplus > 0; surplus--) {
      this.#reserved -= (this.#free.shift() as ArenaChunk).bytes.length;
    }
    this.#lowWater = this.#free.length;
  }

  /** Called by a chunk whose last reference was dropped. */
  recycle(chunk: ArenaChunk): void {
    if (
      !this.#closed &&
      chunk.pooled &&
      chunk.bytes.length === this.#chunkSize &&
      this.#free.length < MAX_FREE_CHUNKS
    ) {
      this.#free.push(chunk);
      return;
    }
    this.#reserved -= chunk.bytes.length;
  }

  /** The chunk parts go into now: the current one while it has room, else a free or new one. */
  #take(): ArenaChunk {
    if (this.#current !== undefined && this.#used < this.#current.bytes.length) return this.#current;
    this.#retire();
    let chunk = this.#free.pop();
    // Free chunks of a size the arena moved away from go to the GC.
    while (chunk !== undefined && chunk.bytes.length !== this.#chunkSize) {
      this.#reserved -= chunk.bytes.length;
      chunk = this.#free.pop();
    }
    this.#lowWater = Math.min(this.#lowWater, this.#free.length);
    chunk ??= this.#allocate(this.#chunkSize, true);
    chunk.refs = 1; // the arena's own, while parts go into it
    this.#current = chunk;
    this.#used = 0;
    return chunk;
  }

  /** The current chunk is full (or the arena closes): the arena drops its reference. */
  #retire(): void {
    const current = this.#current;
    this.#current = undefined;
    this.#used = 0;
    current?.unref();
  }

  #allocate(size: number, pooled: boolean): ArenaChunk {
    this.#allocated++;
    this.#reserved += size;
    return new ArenaChunk(this, size, pooled);
  }

  /** Follows the parts' average size; the chunk size changes only when it is off by more than 2x. */
  #adapt(size: number): void {
    this.#averagePart =
      this.#averagePart === 0 ? size : this.#averagePart + (size - this.#averagePart) * AVERAGE_WEIGHT;
    const ideal = PARTS_PER_CHUNK * this.#averagePart;
    if (this.#chunkSize !== 0 && ideal <= 2 * this.#chunkSize && ideal >= this.#chunkSize / 2) return;
    const rounded = Math.ceil(ideal / CHUNK_GRANULE) * CHUNK_GRANULE;
    this.#chunkSize = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, rounded));
  }
}
