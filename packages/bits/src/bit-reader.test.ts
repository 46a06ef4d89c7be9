import { describe, expect, it } from 'vitest';
import { BitReader } from './bit-reader.js';
import { BitsErrorCode } from './errors.js';

/** "0101 1" -> bytes, MSB first, zero-padded. */
function bits(pattern: string): Uint8Array {
  const clean = pattern.replace(/\s+/g, '');
  const out = new Uint8Array(Math.ceil(clean.length / 8));
  for (let i = 0; i < clean.length; i++) {
    if (clean[i] === '1') out[i >> 3] = (out[i >> 3] as number) | (0x80 >> (i & 7));
  }
  return out;
}

describe('BitReader.readBits', () => {
  const cases: Array<{ name: string; data: number[]; reads: number[]; want: number[] }> = [
    { name: 'single bits', data: [0b1010_0000], reads: [1, 1, 1, 1], want: [1, 0, 1, 0] },
    { name: 'across a byte boundary', data: [0x0f, 0xf0], reads: [4, 8, 4], want: [0, 0xff, 0] },
    { name: 'a full 32-bit value', data: [0xff, 0xff, 0xff, 0xff], reads: [32], want: [0xffffffff] },
    { name: '32 bits unaligned', data: [0x01, 0x23, 0x45, 0x67, 0x89], reads: [4, 32, 4], want: [0, 0x12345678, 9] },
    { name: 'zero-width read', data: [0x80], reads: [0, 1], want: [0, 1] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = new BitReader(Uint8Array.from(c.data));
      expect(c.reads.map((n) => r.readBits(n))).toEqual(c.want);
    });
  }

  it('tracks position and bits left', () => {
    const r = new BitReader(new Uint8Array(3));
    r.readBits(5);
    expect([r.position, r.bitsLeft, r.byteAligned]).toEqual([5, 19, false]);
    r.skipBits(3);
    expect([r.position, r.bitsLeft, r.byteAligned]).toEqual([8, 16, true]);
  });

  it('throws BITS_END_OF_DATA past the end instead of inventing zeros', () => {
    const r = new BitReader(Uint8Array.of(0xff));
    r.readBits(6);
    expect(() => r.readBits(3)).toThrow(expect.objectContaining({ code: BitsErrorCode.END_OF_DATA }));
    expect(() => r.skipBits(3)).toThrow(expect.objectContaining({ code: BitsErrorCode.END_OF_DATA }));
    expect(r.readBits(2)).toBe(3);
    expect(() => r.readBit()).toThrow(expect.objectContaining({ code: BitsErrorCode.END_OF_DATA }));
  });

  it('starts over at the first bit of new data after reset', () => {
    const r = new BitReader(new Uint8Array([0xff]));
    expect(r.readBits(3)).toBe(0b111);
    expect(r.reset(new Uint8Array([0b1010_0000, 0x01]))).toBe(r);
    expect(r.position).toBe(0);
    expect(r.bitsLeft).toBe(16);
    expect(r.readBits(3)).toBe(0b101);
    expect(r.readBits(13)).toBe(1);
    expect(() => r.readBit()).toThrow(expect.objectContaining({ code: BitsErrorCode.END_OF_DATA }));
  });

  it('rejects bit counts outside 0..32', () => {
    const r = new BitReader(new Uint8Array(8));
    for (const n of [-1, 33, 1.5]) {
      expect(() => r.readBits(n)).toThrow(expect.objectContaining({ code: BitsErrorCode.INVALID_ARGUMENT }));
    }
  });
});

describe('BitReader exp-Golomb (H.264 §9.1, table 9-2)', () => {
  const ue: Array<[string, number]> = [
    ['1', 0],
    ['010', 1],
    ['011', 2],
    ['00100', 3],
    ['00111', 6],
    ['0001000', 7],
    ['000010001', 16],
    // 31 leading zeros, then 1 and 31 ones: the largest 32-bit codeNum, 2^32 - 2.
    ['0'.repeat(31) + '1' + '1'.repeat(31), 2 ** 32 - 2],
  ];
  for (const [pattern, want] of ue) {
    it(`ue(v) ${pattern.length > 12 ? pattern.slice(0, 12) + '...' : pattern} = ${want}`, () => {
      expect(new BitReader(bits(pattern)).readUE()).toBe(want);
    });
  }

  // [bits, value]: se(v) maps codeNum k to (-1)^(k+1) * ceil(k/2).
  const se: Array<[string, number]> = [
    ['1', 0],
    ['010', 1],
    ['011', -1],
    ['00100', 2],
    ['00101', -2],
    ['00110', 3],
  ];
  for (const [pattern, want] of se) {
    it(`se(v) ${pattern} = ${want}`, () => {
      expect(new BitReader(bits(pattern)).readSE()).toBe(want);
    });
  }

  it('rejects a code with 32 leading zeros as BITS_INVALID_EXP_GOLOMB', () => {
    const r = new BitReader(bits('0'.repeat(32) + '1' + '0'.repeat(32)));
    expect(() => r.readUE()).toThrow(expect.objectContaining({ code: BitsErrorCode.INVALID_EXP_GOLOMB }));
  });

  it('reports a truncated code as BITS_END_OF_DATA', () => {
    expect(() => new BitReader(Uint8Array.of(0x00)).readUE()).toThrow(
      expect.objectContaining({ code: BitsErrorCode.END_OF_DATA }),
    );
  });
});

describe('BitReader.moreRbspData (H.264 §7.2)', () => {
  it('is false once only the stop bit and its alignment zeros remain', () => {
    // 3 payload bits "101", stop bit, 4 alignment zeros.
    const r = new BitReader(bits('1011 0000'));
    expect(r.moreRbspData()).toBe(true);
    r.readBits(3);
    expect(r.moreRbspData()).toBe(false);
  });

  it('ignores trailing zero bytes (cabac_zero_words)', () => {
    const r = new BitReader(Uint8Array.of(0b1100_0000, 0, 0));
    r.readBit();
    expect(r.moreRbspData()).toBe(false);
  });

  it('is false for all-zero data', () => {
    expect(new BitReader(new Uint8Array(4)).moreRbspData()).toBe(false);
  });
});
