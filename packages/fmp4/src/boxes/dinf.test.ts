import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { DINF_SIZE, writeDinf } from './dinf.js';

describe('dinf/dref (ISO/IEC 14496-12 §8.7.1, §8.7.2)', () => {
  it('writes one self-contained url entry byte-exactly', () => {
    expect(boxHex(DINF_SIZE, writeDinf)).toBe(
      golden(
        `00000024 ${cc('dinf')}`,
        `0000001c ${cc('dref')} 00000000 00000001`, // version 0, entry_count 1
        `0000000c ${cc('url ')} 00000001`, // flags 1: media in the same file, no location
      ),
    );
  });
});
