import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { DFLA_SIZE, writeDfla } from './dfla.js';

describe('dfLa (FLAC in ISOBMFF §3.3.2)', () => {
  it('writes a full box around the STREAMINFO metadata block byte-exactly', () => {
    const info = { minBlockSize: 160, maxBlockSize: 4608, sampleRate: 8000, channels: 1, bitsPerSample: 16 };
    expect(boxHex(DFLA_SIZE, (w) => writeDfla(w, info))).toBe(
      golden(
        `00000032 ${cc('dfLa')} 00000000`, // size 50, version 0, flags 0
        '80000022', // last metadata block, type 0 (STREAMINFO), length 34
        '00a0 1200 000000 000000', // block sizes 160..4608, frame sizes unknown
        '01f400f0 00000000', // 8000 Hz, 1 channel, 16 bits, total samples unknown
        '00'.repeat(16), // MD5 not computed
      ),
    );
  });
});
