import { BitWriter, addEmulationPrevention } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { firstNal, fixture, fromHex, videoProbe } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded, randomAfter } from '../test-fuzz.js';
import { parseH265Sps } from './sps.js';

const spsOf = (stream: string) => firstNal(fixture(`${stream}.h265`), 'h265', 33);
const streams = ['h265-main', 'h265-main10', 'h265-main-nob'];

describe('parseH265Sps (H.265 §7.3.2.2) on x265 streams', () => {
  for (const stream of streams) {
    it(stream, () => {
      const probe = videoProbe(stream);
      const sps = parseH265Sps(spsOf(stream));
      const [num, den] = probe.r_frame_rate.split('/').map(Number);
      const tenBit = probe.pix_fmt.includes('10');
      expect(sps).toMatchObject({
        width: probe.width,
        height: probe.height,
        fps: (num as number) / (den as number),
        bitDepthLuma: tenBit ? 10 : 8,
        bitDepthChroma: tenBit ? 10 : 8,
        chromaFormatIdc: 1,
        // x265: --bframes 4 with b-pyramid reorders 2 pictures, --bframes 0 none.
        maxNumReorderPics: stream === 'h265-main-nob' ? 0 : 2,
        sampleAspectRatio: { num: 1, den: 1 },
      });
      expect(sps.profileTierLevel.generalLevelIdc).toBe(probe.level);
    });
  }

  it('reads every field of the x265 Main SPS', () => {
    const sps = parseH265Sps(spsOf('h265-main'));
    expect({ ...sps, vui: undefined }).toEqual({
      vpsId: 0,
      spsId: 0,
      maxSubLayersMinus1: 0,
      temporalIdNesting: true,
      profileTierLevel: {
        generalProfileSpace: 0,
        generalTierFlag: 0,
        generalProfileIdc: 1,
        generalProfileCompatibilityFlags: 0x60000000,
        generalConstraintIndicatorFlags: Uint8Array.of(0x90, 0, 0, 0, 0, 0),
        generalLevelIdc: 60,
      },
      chromaFormatIdc: 1,
      width: 320,
      height: 240,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      log2MaxPicOrderCntLsb: 8,
      maxDecPicBufferingMinus1: 4,
      maxNumReorderPics: 2,
      maxLatencyIncreasePlus1: 5,
      fps: 25,
      sampleAspectRatio: { num: 1, den: 1 },
      separateColourPlane: false,
      codedWidth: 320,
      codedHeight: 240,
      log2MinLumaCodingBlockSize: 3,
      log2CtbSize: 6,
      picSizeInCtbs: 20,
      scalingListEnabled: false,
      ampEnabled: false,
      sampleAdaptiveOffsetEnabled: true,
      pcmEnabled: false,
      numShortTermRefPicSets: 0,
      shortTermRefPicSets: [],
      longTermRefPicsPresent: false,
      numLongTermRefPicsSps: 0,
      spsTemporalMvpEnabled: true,
      strongIntraSmoothingEnabled: true,
      vui: undefined,
    });
  });
});

// SPS NAL units from cameras and encoders with their known sizes and rates; collected in the tests
// of bluenviron/mediacommon (pkg/codecs/h265/sps_test.go).
const cameraVectors: Array<[name: string, hex: string, width: number, height: number, fps: number]> = [
  ['1920x1080', '420101016000000300900000030000030078a003c08010e596666924cae010000003001000000301e080', 1920, 1080, 30],
  [
    '1920x800, conformance window, 23.976 fps',
    '420101016000000300900000030000030078a003c08032165959a4932bc05a80808082000007d20000bb8010',
    1920,
    800,
    24000 / 1001,
  ],
  [
    '1280x720 Rext profile',
    '420101040800000300980800000300005d9000501005a2294b7494985ffe00020002d404040410000003001000000301e080',
    1280,
    720,
    30,
  ],
  [
    'Main 10, high tier',
    '420101222000000300900000030000030078a003c08010e4d96666924caf0101000003006400000bb508',
    1920,
    1080,
    29.97,
  ],
  [
    'NVENC with HRD',
    '4201010140000003000003000003000003007ba003c0801107cb96b4a42592e3016a02020208000003000800000301e3002ef2880007270c0000989682',
    1920,
    1080,
    60,
  ],
  [
    'Avigilon 3072x1728',
    '420101016000000300800000030000030096a001802006c1fe36bbb5377725d602dc0404041000003e800004268721dee510016e200066ff000b71000337f880',
    3072,
    1728,
    17,
  ],
  [
    'long-term reference pictures',
    '420101016000000300b0000003000003005da00280802d1636b924cbf0080000030008000003019508',
    1280,
    720,
    50,
  ],
];

describe('parseH265Sps on camera SPS', () => {
  for (const [name, hexText, width, height, fps] of cameraVectors) {
    it(name, () => {
      const sps = parseH265Sps(fromHex(hexText));
      expect([sps.width, sps.height]).toEqual([width, height]);
      expect(sps.fps).toBeCloseTo(fps, 9);
    });
  }

  it('reads short-term reference picture sets, predicted ones included', () => {
    const sps = parseH265Sps(fromHex(cameraVectors[4]?.[1] as string));
    expect(sps.numShortTermRefPicSets).toBe(sps.shortTermRefPicSets.length);
    const avigilon = parseH265Sps(fromHex(cameraVectors[5]?.[1] as string));
    expect(avigilon.shortTermRefPicSets.length).toBe(avigilon.numShortTermRefPicSets);
  });
});

/** A minimal Main-profile SPS with the given picture size (§7.3.2.2), for the limit tests. */
function spsWithSize(width: number, height: number): Uint8Array {
  const w = new BitWriter({ initialBytes: 64 });
  w.writeBits(0, 4); // sps_video_parameter_set_id
  w.writeBits(0, 3); // sps_max_sub_layers_minus1
  w.writeBit(1); // sps_temporal_id_nesting_flag
  w.writeBits(0x01, 8); // profile space 0, tier 0, profile 1
  w.writeBits(0x60000000, 32);
  w.writeBits(0x900000, 24);
  w.writeBits(0, 24);
  w.writeBits(93, 8); // general_level_idc
  w.writeUE(0); // sps_seq_parameter_set_id
  w.writeUE(1); // chroma_format_idc
  w.writeUE(width);
  w.writeUE(height);
  w.writeBit(0); // conformance_window_flag
  w.writeUE(0);
  w.writeUE(0); // bit depths
  w.writeUE(4); // log2_max_pic_order_cnt_lsb_minus4
  w.writeBit(1); // sps_sub_layer_ordering_info_present_flag
  w.writeUE(4);
  w.writeUE(2);
  w.writeUE(0);
  w.writeUE(0); // log2_min_luma_coding_block_size_minus3
  w.writeUE(3); // log2_diff_max_min_luma_coding_block_size
  w.writeUE(0);
  w.writeUE(3); // transform block sizes
  w.writeUE(0);
  w.writeUE(0); // transform hierarchy depths
  w.writeBits(0, 4); // scaling list, AMP, SAO, PCM
  w.writeUE(0); // num_short_term_ref_pic_sets
  w.writeBits(0, 4); // long-term, temporal MVP, strong intra smoothing, VUI
  w.writeTrailingBits();
  return Uint8Array.from([0x42, 0x01, ...addEmulationPrevention(w.toUint8Array())]);
}

describe('parseH265Sps rejects what it cannot use', () => {
  it('accepts 16384 x 16384 and refuses more with CODECS_UNSUPPORTED', () => {
    expect(parseH265Sps(spsWithSize(16384, 16384))).toMatchObject({
      width: 16384,
      height: 16384,
      picSizeInCtbs: 65536,
    });
    for (const [w, h] of [
      [16392, 64],
      [64, 2 ** 31],
    ]) {
      expect(() => parseH265Sps(spsWithSize(w as number, h as number))).toThrow(
        expect.objectContaining({ code: CodecsErrorCode.UNSUPPORTED }),
      );
    }
  });

  it.each([
    ['a VPS', [0x40, 0x01, 0x0c, 0x01]],
    ['a 2-byte header alone', [0x42, 0x01]],
    ['a truncated SPS', [0x42, 0x01, 0x01, 0x01, 0x60, 0x00]],
    ['a zero-sized picture', [...spsWithSize(0, 64)]],
  ])('%s: CODECS_INVALID_PARAMETER_SET', (_name, bytes) => {
    expect(() => parseH265Sps(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }),
    );
  });

  const seeds = [...streams.map(spsOf), ...cameraVectors.map(([, hexText]) => fromHex(hexText))];
  const check = (data: Uint8Array) => {
    const sps = parsesOrThrowsCoded(() => parseH265Sps(data));
    if (sps === undefined) return;
    expect(sps.width).toBeLessThanOrEqual(16384);
    expect(sps.height).toBeLessThanOrEqual(16384);
    expect(sps.shortTermRefPicSets.length).toBeLessThanOrEqual(64);
    for (const set of sps.shortTermRefPicSets)
      expect(set.deltaPocS0.length + set.deltaPocS1.length).toBeLessThanOrEqual(16);
  };

  it('fuzz: random bytes after an SPS header parse or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    fc.assert(fc.property(randomAfter([0x42, 0x01], 96), check), { numRuns: fuzzRuns() });
  });

  it('fuzz: damaged real SPS parse within limits or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    fc.assert(fc.property(mutated(seeds, 2), check), { numRuns: fuzzRuns() });
  });
});
