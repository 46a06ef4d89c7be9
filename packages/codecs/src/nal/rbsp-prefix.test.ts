import { BitReader, BitsErrorCode, removeEmulationPrevention } from '@camgate/bits';
import { describe, expect, it } from 'vitest';
import { parseRbspPrefix } from './rbsp-prefix.js';

describe('parseRbspPrefix', () => {
  // Header byte, then a payload with escapes right at the first prefix boundaries.
  const nal = Uint8Array.from([0x65, 0x11, 0x00, 0x00, 0x03, 0x01, 0x22, 0x00, 0x00, 0x03, 0x00, 0x33, 0x44, 0x55]);
  const rbsp = removeEmulationPrevention(nal.subarray(1));

  it('hands out a prefix of the RBSP, whatever the prefix size', () => {
    for (let first = 1; first <= nal.length; first++) {
      const seen = parseRbspPrefix(nal, 1, first, 64, (prefix) => [...prefix]);
      expect(seen).toEqual([...rbsp.subarray(0, seen.length)]);
    }
  });

  it('retries on a longer prefix when the parser runs off the end, up to the bound', () => {
    const sizes: number[] = [];
    const readAll = (prefix: Uint8Array) => {
      sizes.push(prefix.length);
      const r = new BitReader(prefix);
      return Array.from({ length: rbsp.length }, () => r.readBits(8));
    };
    expect(parseRbspPrefix(nal, 1, 2, 64, readAll)).toEqual([...rbsp]);
    expect(sizes.length).toBeGreaterThan(1);
    expect(() => parseRbspPrefix(nal, 1, 2, 4, readAll)).toThrow(
      expect.objectContaining({ code: BitsErrorCode.END_OF_DATA }),
    );
  });
});
