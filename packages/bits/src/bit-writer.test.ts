import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader } from './bit-reader.js';
import { BitWriter } from './bit-writer.js';
import { BitsErrorCode } from './errors.js';

type Op = { kind: 'bits'; value: number; n: number } | { kind: 'ue'; value: number } | { kind: 'se'; value: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 0, max: 32 }).chain((n) =>
    fc.record({
      kind: fc.constant('bits' as const),
      n: fc.constant(n),
      value: fc.integer({ min: 0, max: 2 ** n - 1 }),
    }),
  ),
  fc.record({ kind: fc.constant('ue' as const), value: fc.integer({ min: 0, max: 2 ** 32 - 2 }) }),
  fc.record({ kind: fc.constant('se' as const), value: fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }) }),
);

describe('BitWriter', () => {
  it('writes golden exp-Golomb codes (H.264 table 9-2)', () => {
    const w = new BitWriter();
    w.writeUE(0); // 1
    w.writeUE(3); // 00100
    w.writeSE(-2); // codeNum 4: 00101
    w.writeTrailingBits(); // 1 + 3 zero bits
    // 1 00100 00 | 101 1 0000
    expect([...w.toUint8Array()]).toEqual([0b1001_0000, 0b1011_0000]);
  });

  it('fuzz: any sequence of writes round-trips through BitReader', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 64 }), (ops) => {
        const w = new BitWriter({ initialBytes: 1 });
        for (const o of ops) {
          if (o.kind === 'bits') w.writeBits(o.value, o.n);
          else if (o.kind === 'ue') w.writeUE(o.value);
          else w.writeSE(o.value);
        }
        const r = new BitReader(w.toUint8Array());
        for (const o of ops) {
          const got = o.kind === 'bits' ? r.readBits(o.n) : o.kind === 'ue' ? r.readUE() : r.readSE();
          expect(got).toBe(o.value);
        }
        expect(r.bitsLeft).toBeLessThan(8);
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('rejects values that do not fit', () => {
    const w = new BitWriter();
    expect(() => w.writeBits(4, 2)).toThrow(expect.objectContaining({ code: BitsErrorCode.INVALID_ARGUMENT }));
    expect(() => w.writeUE(-1)).toThrow(expect.objectContaining({ code: BitsErrorCode.INVALID_ARGUMENT }));
    expect(() => w.writeBit(2)).toThrow(expect.objectContaining({ code: BitsErrorCode.INVALID_ARGUMENT }));
  });

  it('stops at its size bound with BITS_CAPACITY_EXCEEDED', () => {
    const w = new BitWriter({ initialBytes: 1, maxBytes: 4 });
    w.writeBits(0xffffffff, 32);
    expect(() => w.writeBit(1)).toThrow(expect.objectContaining({ code: BitsErrorCode.CAPACITY_EXCEEDED }));
  });
});
