import { describe, expect, it } from 'vitest';
import { flacCrc16, flacCrc8 } from './crc.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('FLAC CRCs (RFC 9639 §9.1.8, §9.3)', () => {
  // Check values of the catalogued CRCs with these parameters: CRC-8 (poly 0x07, init 0,
  // "CRC-8/SMBUS") and CRC-16/UMTS (poly 0x8005, init 0, no reflection, "CRC-16/BUYPASS").
  const cases: Array<[name: string, crc: (b: Uint8Array) => number, input: Uint8Array, want: number]> = [
    ['CRC-8 of "123456789"', flacCrc8, ascii('123456789'), 0xf4],
    ['CRC-8 of nothing', flacCrc8, new Uint8Array(0), 0],
    ['CRC-16 of "123456789"', flacCrc16, ascii('123456789'), 0xfee8],
    ['CRC-16 of nothing', flacCrc16, new Uint8Array(0), 0],
    // The header of the first frame of RFC 9639 Appendix D.1 (example 1) ends in CRC-8 0xbf.
    ['CRC-8 of RFC 9639 D.1 frame header', flacCrc8, Uint8Array.of(0xff, 0xf8, 0x69, 0x18, 0x00, 0x00), 0xbf],
  ];
  it.each(cases)('%s', (_name, crc, input, want) => {
    expect(crc(input)).toBe(want);
  });

  it('a range gives the same CRC as the sliced bytes', () => {
    const bytes = ascii('xx123456789yy');
    expect(flacCrc8(bytes, 2, 11)).toBe(0xf4);
    expect(flacCrc16(bytes, 2, 11)).toBe(0xfee8);
  });
});
