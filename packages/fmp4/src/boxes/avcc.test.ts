import { parseH264Sps } from '@camgate/codecs';
import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { toHex } from '../test-media.js';
import { H264_HIGH_SAR_4_3, H264_MAIN } from '../test-vectors.js';
import { type AvcDecoderConfigurationRecord, avcCRecordOf, avcCSize, writeAvcC } from './avcc.js';

const recordOf = (params: { sps: Uint8Array; pps: Uint8Array }) =>
  avcCRecordOf(parseH264Sps(params.sps), params.sps, params.pps);

describe('avcC (ISO/IEC 14496-15 §5.3.3.1.2)', () => {
  it('writes a Main-profile record without the extension fields', () => {
    const record = recordOf(H264_MAIN);
    const written = boxHex(avcCSize(record), (w) => writeAvcC(w, record));
    expect(written).toBe(
      golden(
        `00000030 ${cc('avcC')}`,
        '01 4d 40 0d', // configurationVersion, profile 77, constraint flags, level 1.3
        'ff e1', // '111111' lengthSizeMinusOne 3; '111' one SPS
        `0018 ${toHex(H264_MAIN.sps)}`,
        `01 0005 ${toHex(H264_MAIN.pps)}`, // one PPS
      ),
    );
    // ffmpeg's MP4 muxer wrote the same first 23 bytes for this stream (codecs/testdata/h264-main-bf2.probe.json).
    expect(written.slice(16, 16 + 46)).toBe('014d400dffe10018674d400de880a0fd80880000030008');
  });

  it('writes a High-profile record with chroma_format, bit depths and no SPS extensions', () => {
    const record = recordOf(H264_HIGH_SAR_4_3);
    expect(boxHex(avcCSize(record), (w) => writeAvcC(w, record))).toBe(
      golden(
        `00000036 ${cc('avcC')}`,
        '01 64 00 0d ff e1', // version, High (100), flags, level 1.3, lengths 4, one SPS
        `0019 ${toHex(H264_HIGH_SAR_4_3.sps)}`,
        `01 0006 ${toHex(H264_HIGH_SAR_4_3.pps)}`,
        'fd f8 f8 00', // '111111' chroma_format 1 (4:2:0); '11111' luma 8; '11111' chroma 8; no SPS ext
      ),
    );
  });

  it.each([
    [66, false],
    [77, false],
    [88, false],
    [100, true],
    [110, true],
    [122, true],
    [144, true],
    [244, true],
  ])('profile %i carries the extension fields: %s', (profile, extended) => {
    const record: AvcDecoderConfigurationRecord = {
      ...recordOf(H264_MAIN),
      profileIndication: profile,
      chromaFormat: 2,
      bitDepthLumaMinus8: 2,
      bitDepthChromaMinus8: 2,
    };
    const written = boxHex(avcCSize(record), (w) => writeAvcC(w, record));
    expect(written.endsWith('fefafa00')).toBe(extended); // chroma 4:2:2, 10-bit
  });
});
