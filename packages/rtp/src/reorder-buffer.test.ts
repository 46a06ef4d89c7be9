import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REORDER_MAX_WAIT_MS, REORDER_WINDOW, ReorderBuffer } from './reorder-buffer.js';

function harness() {
  let now = 0;
  const out: Array<[number, number]> = [];
  const buffer = new ReorderBuffer(
    (_data, seq, lost) => out.push([seq, lost]),
    () => now,
  );
  const push = (...seqs: number[]) => {
    for (const seq of seqs) buffer.push(Uint8Array.of(seq & 0xff), seq);
  };
  return {
    buffer,
    out,
    push,
    advance: (ms: number) => (now += ms),
  };
}

describe('ReorderBuffer', () => {
  it('keeps a copy of a packet held behind a gap: the caller reuses its memory (TCP after a UDP fallback)', () => {
    const delivered: Array<[number, number[]]> = [];
    const buffer = new ReorderBuffer((data, seq) => delivered.push([seq, [...data]]));
    const scratch = new Uint8Array(3);
    const push = (seq: number) => {
      scratch.set([seq, seq + 1, seq + 2]);
      buffer.push(scratch, seq);
      scratch.fill(0xee); // the next read overwrites the read buffer
    };
    push(1);
    push(3);
    push(4);
    push(2);
    expect(delivered).toEqual([
      [1, [1, 2, 3]],
      [2, [2, 3, 4]],
      [3, [3, 4, 5]],
      [4, [4, 5, 6]],
    ]);
  });

  it('passes in-order packets straight through', () => {
    const h = harness();
    h.push(10, 11, 12);
    expect(h.out).toEqual([
      [10, 0],
      [11, 0],
      [12, 0],
    ]);
  });

  it('restores order', () => {
    const h = harness();
    h.push(1, 3, 2, 5, 4);
    expect(h.out.map(([s]) => s)).toEqual([1, 2, 3, 4, 5]);
    expect(h.buffer.stats).toEqual({ lost: 0, duplicates: 0, late: 0 });
  });

  it('drops duplicates and late packets', () => {
    const h = harness();
    // The second 2 and the last 1 come after their place was passed: late. The second 4 is still buffered: duplicate.
    h.push(1, 2, 2, 4, 4, 3, 1);
    expect(h.out.map(([s]) => s)).toEqual([1, 2, 3, 4]);
    expect(h.buffer.stats).toEqual({ lost: 0, duplicates: 1, late: 2 });
  });

  it(`declares a gap lost after ${REORDER_MAX_WAIT_MS} ms`, () => {
    const h = harness();
    h.push(1, 3);
    h.advance(REORDER_MAX_WAIT_MS + 1);
    h.push(4);
    expect(h.out).toEqual([
      [1, 0],
      [3, 1],
      [4, 0],
    ]);
    expect(h.buffer.stats.lost).toBe(1);
  });

  it('declares a gap lost when the window is full', () => {
    const h = harness();
    h.push(0);
    for (let s = 2; s < REORDER_WINDOW + 2; s++) h.push(s);
    expect(h.out[1]).toEqual([2, 1]);
    expect(h.out).toHaveLength(REORDER_WINDOW + 1);
  });

  it('sees no false loss across the 16-bit wrap (fault F10)', () => {
    const h = harness();
    h.push(65533, 65534, 65535, 0, 1);
    expect(h.out.map(([s]) => s)).toEqual([65533, 65534, 65535, 0, 1]);
    expect(h.buffer.stats.lost).toBe(0);
  });

  it('resynchronizes on a jump ahead of the window, counting the jump as loss', () => {
    const h = harness();
    h.push(100, 5000, 5001);
    expect(h.out).toEqual([
      [100, 0],
      [5000, 4899],
      [5001, 0],
    ]);
  });

  it('follows a sender that restarted its numbering far behind', () => {
    const h = harness();
    h.push(30_000);
    for (let s = 0; s <= REORDER_WINDOW; s++) h.push(s);
    expect(h.out.at(-1)?.[0]).toBe(REORDER_WINDOW);
  });

  it('fuzz: delivers each distinct packet at most once, in increasing order, within the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.array(fc.tuple(fc.integer({ min: -8, max: 8 }), fc.integer({ min: 0, max: 150 })), { maxLength: 300 }),
        (start, moves) => {
          const h = harness();
          let seq = start;
          for (const [step, wait] of moves) {
            seq = (seq + step + 65536) & 0xffff;
            h.advance(wait);
            h.push(seq);
          }
          h.buffer.flush();
          const delivered = h.out.map(([s]) => s);
          for (let i = 1; i < delivered.length; i++) {
            const d = (((delivered[i] as number) - (delivered[i - 1] as number) + 0x8000) & 0xffff) - 0x8000;
            expect(d).not.toBe(0);
          }
          expect(delivered.length).toBeLessThanOrEqual(moves.length);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
