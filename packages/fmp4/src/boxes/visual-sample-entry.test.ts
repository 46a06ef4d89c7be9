import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import {
  PASP_SIZE,
  startVisualSampleEntry,
  VISUAL_SAMPLE_ENTRY_HEADER_SIZE,
  writePasp,
} from './visual-sample-entry.js';

describe('VisualSampleEntry (ISO/IEC 14496-12 §12.1.3) and pasp (§12.1.4)', () => {
  it.each([
    ['avc1', 320, 240, '0140 00f0'],
    ['hvc1', 1920, 1080, '0780 0438'],
  ])('writes the %s fields for %ix%i byte-exactly', (fourcc, width, height, size) => {
    const written = boxHex(VISUAL_SAMPLE_ENTRY_HEADER_SIZE, (w) => {
      w.endBox(startVisualSampleEntry(w, fourcc, width, height));
    });
    expect(written).toBe(
      golden(
        `00000056 ${cc(fourcc)}`, // size 86
        '000000000000 0001', // reserved, data_reference_index 1
        '0000 0000 000000000000000000000000', // pre_defined, reserved, pre_defined[3]
        size, // width, height
        '00480000 00480000 00000000 0001', // 72 dpi, 72 dpi, reserved, frame_count 1
        '00'.repeat(32), // compressorname: empty
        '0018 ffff', // depth 24, pre_defined -1
      ),
    );
  });

  it('writes pasp byte-exactly', () => {
    expect(boxHex(PASP_SIZE, (w) => writePasp(w, 4, 3))).toBe(golden(`00000010 ${cc('pasp')} 00000004 00000003`));
  });
});
