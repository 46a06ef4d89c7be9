import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { AAC_LC_48K_STEREO_ASC } from '../test-vectors.js';
import { esdsSize, writeEsds } from './esds.js';

describe('esds (ISO/IEC 14496-14 §5.6, 14496-1 §7.2.6.5)', () => {
  it('wraps the AudioSpecificConfig as received, byte-exactly', () => {
    expect(boxHex(esdsSize(AAC_LC_48K_STEREO_ASC), (w) => writeEsds(w, AAC_LC_48K_STEREO_ASC))).toBe(
      golden(
        `0000002a ${cc('esds')} 00000000`, // size 42, version 0
        '03 1c 0000 00', // ES_Descriptor, 28 bytes: ES_ID 0, no flags, priority 0
        '04 14 40 15', // DecoderConfigDescriptor, 20 bytes: MPEG-4 Audio, AudioStream, upStream 0, reserved 1
        '000000 00000000 00000000', // bufferSizeDB, maxBitrate, avgBitrate: unknown
        '05 05 119056e500', // DecoderSpecificInfo, 5 bytes: the AudioSpecificConfig
        '06 01 02', // SLConfigDescriptor, predefined 2 (MP4)
      ),
    );
  });

  it('codes descriptor sizes of 128 and more in 7-bit groups (14496-1 §8.3.3)', () => {
    const asc = new Uint8Array(130).fill(0x11);
    const written = boxHex(esdsSize(asc), (w) => writeEsds(w, asc));
    // DecoderSpecificInfo 130 = 0b1_0000010: '81 02'; DecoderConfigDescriptor 13 + 133 = 146: '81 12';
    // ES_Descriptor 3 + 149 + 3 = 155: '81 1b'. Offsets in bytes: ES at 12, DCD at 18, DSI at 34.
    const at = (byte: number, length: number) => written.slice(2 * byte, 2 * (byte + length));
    expect(at(12, 4)).toBe('03811b00');
    expect(at(18, 4)).toBe('04811240');
    expect(at(34, 3)).toBe('058102');
    expect(written.endsWith(`${'11'.repeat(130)}060102`)).toBe(true);
    expect(written.length / 2).toBe(esdsSize(asc));
  });
});
