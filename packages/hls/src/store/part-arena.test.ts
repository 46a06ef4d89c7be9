import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_BYTES, MAX_FREE_CHUNKS, MIN_CHUNK_BYTES, PartArena, type ArenaSlot } from './part-arena.js';

/** Writes a part of `size` bytes, each byte `fill`. */
function part(arena: PartArena, size: number, fill: number): ArenaSlot {
  return arena.write(size, (target) => target.fill(fill));
}

const joined = (slot: ArenaSlot) => Buffer.concat(slot.views);
const same = (slot: ArenaSlot, size: number, fill: number) =>
  joined(slot).length === size && joined(slot).every((b) => b === fill);

describe('PartArena', () => {
  it('carves parts in order from one chunk; a part that does not fit continues into the next one', () => {
    const arena = new PartArena();
    // 4 x the average, rounded up to 16 KiB: 2 x 16 KiB, room for 7 of them.
    const size = MIN_CHUNK_BYTES / 4 + 100;
    const slots = [1, 2, 3, 4, 5].map((fill) => part(arena, size, fill));
    expect(arena.chunkSize).toBe(2 * MIN_CHUNK_BYTES);
    slots.forEach((slot, i) => expect(same(slot, size, i + 1)).toBe(true));
    expect(slots.every((slot) => slot.views[0]?.buffer === slots[0]?.views[0]?.buffer)).toBe(true);
  });

  it('a part spanning two chunks is two views, and holds both chunks', () => {
    const arena = new PartArena();
    const size = 5000;
    const slots: ArenaSlot[] = [];
    while (slots.every((s) => s.views.length === 1)) slots.push(part(arena, size, slots.length + 1));
    const spanning = slots.at(-1) as ArenaSlot;
    expect(spanning.views).toHaveLength(2);
    expect(spanning.chunks).toHaveLength(2);
    expect(same(spanning, size, slots.length)).toBe(true);
    // The chunk before is released once its parts and the spanning part are.
    for (const slot of slots) arena.release(slot);
    expect(arena.bytesReserved).toBe(2 * arena.chunkSize);
  });

  it('reuses chunks whose parts were released: a long run allocates a bounded number of chunks', () => {
    const arena = new PartArena();
    const window: ArenaSlot[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Parts of 90-170 KB (a 4 Mbit/s camera's), 150 held at a time (the window), oldest released first.
      // A segment of 10 parts completes: the rendition trims the free list.
      if (i % 10 === 0) arena.trim();
      window.push(part(arena, 90_000 + ((i * 7919) % 80_000), i & 0xff));
      if (window.length > 150) arena.release(window.shift() as ArenaSlot);
    }
    const held = window.reduce((n, s) => n + joined(s).length, 0);
    expect(arena.chunksAllocated).toBeLessThan(60);
    // The window's memory: the media it holds, plus the chunks at its two ends and the free list.
    expect(arena.bytesReserved).toBeLessThanOrEqual(held + (2 + MAX_FREE_CHUNKS) * arena.chunkSize);
    expect(arena.bytesReserved / held).toBeLessThan(1.2);
    window.forEach((slot, i) =>
      expect(
        same(
          slot,
          slot.views.reduce((n, v) => n + v.length, 0),
          (20_000 - 150 + i) & 0xff,
        ),
      ).toBe(true),
    );
  });

  it('a leased part keeps its bytes after it was released and its memory was reused many times', () => {
    const arena = new PartArena();
    const leased = part(arena, 20_000, 0xab);
    const release = arena.lease([leased]);
    arena.release(leased);
    const window: ArenaSlot[] = [];
    for (let i = 0; i < 5_000; i++) {
      window.push(part(arena, 20_000, i & 0x7f));
      if (window.length > 10) arena.release(window.shift() as ArenaSlot);
    }
    expect(same({ ...leased, views: leased.views }, 20_000, 0xab)).toBe(true);
    const before = arena.bytesReserved;
    release();
    release(); // a second call changes nothing
    expect(arena.bytesReserved).toBeLessThanOrEqual(before);
    // Counts were not corrupted: the window's parts are intact while more are written.
    for (let i = 0; i < 200; i++) part(arena, 20_000, 0xcd);
    window.forEach((slot, i) => expect(same(slot, 20_000, (5_000 - 10 + i) & 0x7f)).toBe(true));
  });

  it.each([
    { name: 'a part larger than the largest chunk', sizes: [MAX_CHUNK_BYTES + 1] },
    { name: 'a part much larger than the chunks so far', sizes: [1000, 1000, 1000, 200_000] },
  ])('$name gets a buffer of its own, not pooled', ({ sizes }) => {
    const arena = new PartArena();
    const slots = sizes.map((size, i) => part(arena, size, i + 1));
    const big = slots.at(-1) as ArenaSlot;
    expect(big.views).toHaveLength(1);
    expect(big.views[0]?.byteLength).toBe(big.views[0]?.buffer.byteLength);
    const before = arena.bytesReserved;
    arena.release(big);
    expect(arena.bytesReserved).toBe(before - (sizes.at(-1) as number));
  });

  it('keeps at most MAX_FREE_CHUNKS free chunks; the rest goes to the GC', () => {
    const arena = new PartArena();
    const size = MIN_CHUNK_BYTES; // 4 parts fill a chunk exactly
    const slots = Array.from({ length: 4 * (MAX_FREE_CHUNKS + 4) }, (_, i) => part(arena, size / 4, i));
    const allocated = arena.chunksAllocated;
    for (const slot of slots) arena.release(slot);
    expect(arena.bytesReserved).toBeLessThanOrEqual((MAX_FREE_CHUNKS + 1) * arena.chunkSize);
    expect(allocated).toBeGreaterThan(MAX_FREE_CHUNKS + 1);
  });

  it('trim(), once per segment: free chunks no part took over 4 segments go to the GC, but one spare', () => {
    const arena = new PartArena();
    const slots = Array.from({ length: 4 * 6 }, (_, i) => part(arena, MIN_CHUNK_BYTES / 4, i));
    for (const slot of slots) arena.release(slot);
    const chunk = arena.chunkSize;
    expect(arena.bytesReserved).toBe(6 * chunk); // 5 free, and the current one
    const segments = (count: number) => {
      for (let i = 0; i < count; i++) arena.trim();
    };
    segments(4); // the low-water mark starts at 0: nothing known unused yet
    expect(arena.bytesReserved).toBe(6 * chunk);
    part(arena, MIN_CHUNK_BYTES / 4, 0); // fills the current chunk: none taken from the free list
    segments(3);
    expect(arena.bytesReserved).toBe(6 * chunk);
    segments(1); // 5 sat unused for 4 segments: 4 go, one spare stays
    expect(arena.bytesReserved).toBe(2 * chunk);
  });

  it('a part that fails to write keeps nothing', () => {
    const arena = new PartArena();
    const first = part(arena, 1000, 1);
    expect(() =>
      arena.write(1000, () => {
        throw new Error('no');
      }),
    ).toThrow('no');
    const next = part(arena, 1000, 2);
    expect(next.views[0]?.byteOffset).toBe((first.views[0]?.byteOffset ?? 0) + 1000);
  });

  it('close(): free chunks go, and leased ones once their lease ends', () => {
    const arena = new PartArena();
    const slots = Array.from({ length: 40 }, (_, i) => part(arena, 4000, i));
    const release = arena.lease(slots.slice(0, 2));
    for (const slot of slots) arena.release(slot);
    arena.close();
    expect(arena.bytesReserved).toBe(arena.chunkSize);
    expect(same(slots[0] as ArenaSlot, 4000, 0)).toBe(true);
    release();
    expect(arena.bytesReserved).toBe(0);
  });
});
