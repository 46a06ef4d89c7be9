import { parseH265Sps } from '@camgate/codecs';
import { describe, expect, it } from 'vitest';
import { boxHex, cc, golden } from '../test-boxes.js';
import { codecsTestdata, toHex } from '../test-media.js';
import { H265_MAIN, H265_MAIN_SAR_16_11 } from '../test-vectors.js';
import { type HevcDecoderConfigurationRecord, hvcCRecordOf, hvcCSize, writeHvcC } from './hvcc.js';

const recordOf = (params: { vps: Uint8Array; sps: Uint8Array; pps: Uint8Array }) =>
  hvcCRecordOf(parseH265Sps(params.sps), params);

describe('hvcC (ISO/IEC 14496-15 §8.3.3.1.2)', () => {
  it('writes a Main-profile record byte-exactly, reserved bits all ones', () => {
    const record = recordOf(H265_MAIN_SAR_16_11);
    expect(boxHex(hvcCSize(record), (w) => writeHvcC(w, record))).toBe(
      golden(
        `00000077 ${cc('hvcC')}`,
        '01', // configurationVersion
        '01', // general_profile_space 0, tier Main, profile_idc 1 (Main)
        '60000000', // compatibility flags 1 and 2
        '900000000000', // progressive_source, frame_only_constraint
        '3c', // general_level_idc 60 (level 2)
        'f000', // '1111' + min_spatial_segmentation_idc 0 (mp4box.js 2.4.1 would write 0000 here)
        'fc', // '111111' + parallelismType 0
        'fd', // '111111' + chromaFormat 1
        'f8 f8', // '11111' + bit depths 8, 8
        '0000', // avgFrameRate: unspecified
        '0f', // constantFrameRate 0, numTemporalLayers 1, temporalIdNested 1, lengthSizeMinusOne 3
        '03', // numOfArrays
        `a0 0001 0018 ${toHex(H265_MAIN_SAR_16_11.vps)}`, // complete, VPS (32): one of 24 bytes
        `a1 0001 002a ${toHex(H265_MAIN_SAR_16_11.sps)}`, // complete, SPS (33): one of 42 bytes
        `a2 0001 0007 ${toHex(H265_MAIN_SAR_16_11.pps)}`, // complete, PPS (34): one of 7 bytes
      ),
    );
  });

  it.each([['h265-main', H265_MAIN]])(
    'matches the fixed fields ffmpeg wrote for %s, except numOfArrays (ffmpeg adds an SEI array)',
    (stream, params) => {
      const record = recordOf(params);
      const written = boxHex(hvcCSize(record), (w) => writeHvcC(w, record));
      const probe = JSON.parse(new TextDecoder().decode(codecsTestdata(`${stream}.probe.json`))) as {
        mp4_decoder_config_hex: string;
      };
      expect(written.slice(16, 16 + 44)).toBe(probe.mp4_decoder_config_hex.slice(0, 44));
      expect(probe.mp4_decoder_config_hex.slice(44)).toBe('04');
      expect(written.slice(16 + 44, 16 + 46)).toBe('03');
    },
  );

  it('packs sub-layers, tier and a non-zero min_spatial_segmentation_idc into their fields', () => {
    const record: HevcDecoderConfigurationRecord = {
      ...recordOf(H265_MAIN),
      generalProfileSpace: 1,
      generalTierFlag: 1,
      minSpatialSegmentationIdc: 0xabc,
      parallelismType: 2,
      numTemporalLayers: 3,
      temporalIdNested: false,
      constantFrameRate: 1,
      avgFrameRate: 0x1234,
    };
    const written = boxHex(hvcCSize(record), (w) => writeHvcC(w, record));
    expect(written.slice(18, 20)).toBe('61'); // space 1, tier 1, profile 1
    expect(written.slice(16 + 26, 16 + 46)).toBe('fabcfefdf8f812345b03'); // ... (1<<6)|(3<<3)|0|3 = 0x5b
  });
});
