import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { mvexSize, writeMvex } from './mvex.js';

describe('mvex/trex (ISO/IEC 14496-12 §8.8.1, §8.8.3)', () => {
  it('writes one trex per track with sample description 1 and zero defaults', () => {
    const trex = (id: number) =>
      golden(
        `00000020 ${cc('trex')} 00000000`,
        `0000000${id} 00000001`, // track_ID, default_sample_description_index
        '00000000 00000000 00000000', // default duration, size, flags
      );
    expect(boxHex(mvexSize(2), (w) => writeMvex(w, [1, 2]))).toBe(golden(`00000048 ${cc('mvex')}`, trex(1), trex(2)));
  });
});
