import { describe, expect, it } from 'vitest';
import { BoxWriter } from './box-writer.js';
import { Fmp4ErrorCode } from './errors.js';

describe('BoxWriter', () => {
  it('patches nested box sizes and writes big-endian fields', () => {
    const w = new BoxWriter(64);
    const outer = w.startBox('moof');
    const inner = w.startFullBox('tfdt', 1, 0);
    w.u64(2 ** 33 + 123);
    w.endBox(inner);
    w.endBox(outer);
    // prettier-ignore
    expect([...w.finish()]).toEqual([
      0, 0, 0, 28, 0x6d, 0x6f, 0x6f, 0x66, // moof, 28 bytes
      0, 0, 0, 20, 0x74, 0x66, 0x64, 0x74, // tfdt, 20 bytes
      1, 0, 0, 0, //                          version 1, flags 0
      0, 0, 0, 2, 0, 0, 0, 123, //            2^33 + 123
    ]);
  });

  it('writes u8/u16/u24/i32, raw bytes and zeros', () => {
    const w = new BoxWriter(16);
    w.u8(0xab);
    w.u16(0x1234);
    w.u24(0x020000);
    w.i32(-2);
    w.bytesFrom(Uint8Array.of(7, 8));
    w.zeros(2);
    expect([...w.finish()]).toEqual([0xab, 0x12, 0x34, 0x02, 0x00, 0x00, 0xff, 0xff, 0xff, 0xfe, 7, 8, 0, 0]);
  });

  it('writes into a given buffer at its own offset, i16 included', () => {
    const backing = new Uint8Array(12).fill(0xee);
    const w = new BoxWriter(backing.subarray(4, 10));
    w.i16(-3);
    w.u32(0x01020304);
    expect([...w.finishExact()]).toEqual([0xff, 0xfd, 1, 2, 3, 4]);
    expect([...backing]).toEqual([0xee, 0xee, 0xee, 0xee, 0xff, 0xfd, 1, 2, 3, 4, 0xee, 0xee]);
  });

  it('finishExact refuses a buffer that is not exactly full with FMP4_BUFFER_OVERFLOW', () => {
    const w = new BoxWriter(8);
    w.u32(1);
    expect(() => w.finishExact()).toThrow(expect.objectContaining({ code: Fmp4ErrorCode.BUFFER_OVERFLOW }));
    w.u32(2);
    expect(w.finishExact()).toHaveLength(8);
  });

  it('starts over in another buffer after reset, within that buffer', () => {
    const w = new BoxWriter(8);
    w.u32(0xdeadbeef);
    const backing = new Uint8Array(12);
    const target = backing.subarray(4, 10);
    w.reset(target);
    expect(w.position).toBe(0);
    expect(w.bytes).toBe(target);
    w.u16(0x0102);
    w.u32(0x03040506);
    expect([...backing]).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0]);
    expect(w.finishExact()).toBe(target);
    expect(() => w.u8(7)).toThrow(expect.objectContaining({ code: Fmp4ErrorCode.BUFFER_OVERFLOW }));
  });

  it('refuses to write past its buffer with FMP4_BUFFER_OVERFLOW', () => {
    const w = new BoxWriter(6);
    w.u32(1);
    expect(() => w.u32(2)).toThrow(expect.objectContaining({ code: Fmp4ErrorCode.BUFFER_OVERFLOW }));
  });

  it.each([
    ['a 3-character code', (w: BoxWriter) => w.fourcc('avc')],
    ['a negative 64-bit value', (w: BoxWriter) => w.u64(-1)],
    ['an unsafe 64-bit value', (w: BoxWriter) => w.u64(2 ** 53)],
  ])('rejects %s with FMP4_INVALID_FIELD', (_name, write) => {
    expect(() => write(new BoxWriter(16))).toThrow(expect.objectContaining({ code: Fmp4ErrorCode.INVALID_FIELD }));
  });
});
