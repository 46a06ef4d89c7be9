import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { SMHD_SIZE, VMHD_SIZE, writeSmhd, writeVmhd } from './media-header.js';

describe('media headers (ISO/IEC 14496-12 §12.1.2, §12.2.2)', () => {
  it('writes vmhd with flags 1 byte-exactly', () => {
    expect(boxHex(VMHD_SIZE, writeVmhd)).toBe(
      golden(`00000014 ${cc('vmhd')} 00000001`, '0000 0000 0000 0000'), // graphicsmode, opcolor
    );
  });

  it('writes smhd byte-exactly', () => {
    expect(boxHex(SMHD_SIZE, writeSmhd)).toBe(golden(`00000010 ${cc('smhd')} 00000000`, '0000 0000')); // balance, reserved
  });
});
