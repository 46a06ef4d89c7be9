import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { firstNal, fixture, fromHex, videoProbe } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded, randomAfter } from '../test-fuzz.js';
import { writeH264Sps } from '../test-h264-writer.js';
import { h264CodecString } from './codec-string.js';
import { parseH264Sps } from './sps.js';

const spsOf = (stream: string) => firstNal(fixture(`${stream}.h264`), 'h264', 7);

describe('parseH264Sps (H.264 §7.3.2.1.1) on x264 streams', () => {
  // Expected values: ffprobe (width, height, level, r_frame_rate) and the x264 settings of generate.sh.
  const cases: Array<{
    stream: string;
    profileIdc: number;
    constraintSetFlags: number;
    picOrderCntType: number;
    maxNumReorderFrames: number;
  }> = [
    { stream: 'h264-baseline', profileIdc: 66, constraintSetFlags: 0xc0, picOrderCntType: 2, maxNumReorderFrames: 0 },
    { stream: 'h264-main-bf2', profileIdc: 77, constraintSetFlags: 0x40, picOrderCntType: 0, maxNumReorderFrames: 1 },
    {
      stream: 'h264-high-bpyramid',
      profileIdc: 100,
      constraintSetFlags: 0,
      picOrderCntType: 0,
      maxNumReorderFrames: 2,
    },
    { stream: 'h264-high-nob', profileIdc: 100, constraintSetFlags: 0, picOrderCntType: 2, maxNumReorderFrames: 0 },
    { stream: 'h264-high-1080p', profileIdc: 100, constraintSetFlags: 0, picOrderCntType: 0, maxNumReorderFrames: 2 },
  ];
  for (const c of cases) {
    it(c.stream, () => {
      const probe = videoProbe(c.stream);
      const sps = parseH264Sps(spsOf(c.stream));
      const [num, den] = probe.r_frame_rate.split('/').map(Number);
      expect(sps).toMatchObject({
        profileIdc: c.profileIdc,
        constraintSetFlags: c.constraintSetFlags,
        levelIdc: probe.level,
        width: probe.width,
        height: probe.height,
        fps: (num as number) / (den as number),
        picOrderCntType: c.picOrderCntType,
        maxNumReorderFrames: c.maxNumReorderFrames,
        frameMbsOnly: true,
        sampleAspectRatio: { num: 1, den: 1 },
      });
      // The avcC ffmpeg wrote into the MP4 carries the same profile, constraint flags and level.
      expect(h264CodecString(spsOf(c.stream))).toBe(`avc1.${probe.mp4_decoder_config_hex.slice(2, 8)}`);
    });
  }

  it('reads every field of the 1080p SPS (coded as 1920x1088, cropped by 8 rows)', () => {
    const sps = parseH264Sps(spsOf('h264-high-1080p'));
    expect({ ...sps, vui: undefined }).toEqual({
      profileIdc: 100,
      constraintSetFlags: 0,
      levelIdc: 40,
      spsId: 0,
      chromaFormatIdc: 1,
      separateColourPlane: false,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      log2MaxFrameNum: 4,
      picOrderCntType: 0,
      log2MaxPicOrderCntLsb: 6,
      deltaPicOrderAlwaysZero: false,
      offsetForNonRefPic: 0,
      offsetForTopToBottomField: 0,
      offsetsForRefFrame: [],
      maxNumRefFrames: 4,
      frameMbsOnly: true,
      mbAdaptiveFrameField: false,
      direct8x8Inference: true,
      width: 1920,
      height: 1080,
      picWidthInMbs: 120,
      picHeightInMapUnits: 68,
      gapsInFrameNumAllowed: false,
      frameCropping: { left: 0, right: 0, top: 0, bottom: 4 },
      sampleAspectRatio: { num: 1, den: 1 },
      fps: 30,
      maxNumReorderFrames: 2,
      maxDecFrameBuffering: 4,
      vui: undefined,
    });
    expect(sps.vui?.timing).toEqual({ numUnitsInTick: 1, timeScale: 60, fixedFrameRate: false });
  });
});

// SPS NAL units from cameras and hardware encoders, with the sizes and rates they are known to
// have; collected in the tests of bluenviron/mediacommon (pkg/codecs/h264/sps_test.go).
const cameraVectors: Array<[name: string, hex: string, width: number, height: number, fps: number | undefined]> = [
  ['352x288, POC type 2, 15 fps', '6764000cac3b50b04b420000030002000003003d08', 352, 288, 15],
  ['1280x720 High', '6764001facd9405005bb016c80000003008000001e078c18cb', 1280, 720, 30],
  ['1920x1080 Constrained Baseline', '6742c028d900780227e584000003000400000300f03c60c920', 1920, 1080, 30],
  ['1920x1080 NVIDIA', '67640028acd940780227e584000003000400000300f03c60c658', 1920, 1080, 30],
  ['1920x1080 with VUI colour description', '67640029ac133140780447de03ea020203e0000003002000000652', 1920, 1080, 25],
  ['Hikvision 1280x960', '67640020ac172a01401e68400001c2000057e421', 1280, 960, 25],
  [
    'scaling matrices, 2560x1440',
    '67640032ad84010c20086100430802184010c200843b5014005ad370101014000003000400000300a210',
    2560,
    1440,
    20,
  ],
  [
    'NVENC with NAL HRD',
    '6764002aac2cac0780227e5c05a808080a000007d00003a981c000004c4b00002625adde5c14',
    1920,
    1080,
    60,
  ],
  [
    'Hikvision with NAL and VCL HRD',
    '674d00299a6403c0113f2e02dc04040500000303e80000c350e86000bab40002eac4bbcb8d0c00175680005d58977970a0',
    1920,
    1080,
    25,
  ],
  [
    'field coding (frame_mbs_only_flag 0), HRD',
    '674d4028ab603c0223ef01100000030010000003032e9400356406b285080ee2c522c0',
    1920,
    1080,
    25,
  ],
];

describe('parseH264Sps on camera SPS', () => {
  for (const [name, hexText, width, height, fps] of cameraVectors) {
    it(name, () => {
      const sps = parseH264Sps(fromHex(hexText));
      expect([sps.width, sps.height, sps.fps]).toEqual([width, height, fps]);
    });
  }
});

describe('parseH264Sps rejects what it cannot use', () => {
  const base = { profileIdc: 100, log2MaxFrameNum: 4, picOrderCntType: 0, picWidthInMbs: 20, picHeightInMapUnits: 15 };

  it.each([
    ['a PPS', [0x68, 0xce, 0x3c, 0x80]],
    ['three bytes', [0x67, 0x64, 0x00]],
    ['a truncated SPS', [...spsOf('h264-high-1080p').subarray(0, 6)]],
    ['seq_parameter_set_id 32', [...writeH264Sps({ ...base, spsId: 32 })]],
  ])('%s: CODECS_INVALID_PARAMETER_SET', (_name, bytes) => {
    expect(() => parseH264Sps(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }),
    );
  });

  it('more than 255 offsets in the POC cycle: CODECS_INVALID_PARAMETER_SET before reading them', () => {
    const sps = writeH264Sps({ ...base, picOrderCntType: 1, offsetsForRefFrame: new Array<number>(256).fill(1) });
    expect(() => parseH264Sps(sps)).toThrow(expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }));
    const ok = parseH264Sps(writeH264Sps({ ...base, picOrderCntType: 1, offsetsForRefFrame: [1, -2, 3] }));
    expect(ok.offsetsForRefFrame).toEqual([1, -2, 3]);
  });

  it('cropping that leaves no picture: CODECS_INVALID_PARAMETER_SET', () => {
    const sps = writeH264Sps({ ...base, crop: { left: 80, right: 80, top: 0, bottom: 0 } });
    expect(() => parseH264Sps(sps)).toThrow(expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }));
  });

  it.each([
    [1025, 15],
    [20, 1025],
  ])('%i x %i macroblocks (over 16384 samples): CODECS_UNSUPPORTED', (w, h) => {
    const sps = writeH264Sps({ ...base, picWidthInMbs: w, picHeightInMapUnits: h });
    expect(() => parseH264Sps(sps)).toThrow(expect.objectContaining({ code: CodecsErrorCode.UNSUPPORTED }));
  });

  it('accepts exactly 16384 x 16384', () => {
    expect(parseH264Sps(writeH264Sps({ ...base, picWidthInMbs: 1024, picHeightInMapUnits: 1024 }))).toMatchObject({
      width: 16384,
      height: 16384,
    });
  });

  it('keeps the picture when the VUI is truncated (camera quirk), dropping what is cut off', () => {
    const full = spsOf('h264-high-1080p');
    const sps = parseH264Sps(full.subarray(0, full.length - 6));
    expect([sps.width, sps.height, sps.maxNumReorderFrames]).toEqual([1920, 1080, undefined]);
  });

  it('ignores an insane VUI frame rate', () => {
    const sps = parseH264Sps(writeH264Sps({ ...base, vui: { timing: { numUnitsInTick: 1, timeScale: 90000 } } }));
    expect(sps.fps).toBeUndefined();
    expect(sps.vui?.timing).toEqual({ numUnitsInTick: 1, timeScale: 90000, fixedFrameRate: true });
  });
});

describe('parseH264Sps fuzz', () => {
  const seeds = [
    ...['h264-baseline', 'h264-main-bf2', 'h264-high-bpyramid', 'h264-high-1080p'].map(spsOf),
    ...cameraVectors.map(([, hexText]) => fromHex(hexText)),
  ];
  const check = (data: Uint8Array) => {
    const sps = parsesOrThrowsCoded(() => parseH264Sps(data));
    if (sps === undefined) return;
    expect(sps.width).toBeGreaterThan(0);
    expect(sps.width).toBeLessThanOrEqual(16384);
    expect(sps.height).toBeGreaterThan(0);
    expect(sps.height).toBeLessThanOrEqual(16384);
    expect(sps.offsetsForRefFrame.length).toBeLessThanOrEqual(255);
    if (sps.fps !== undefined) expect(sps.fps).toBeLessThanOrEqual(300);
  };

  it('fuzz: random bytes after an SPS header parse or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    fc.assert(fc.property(randomAfter([0x67]), check), { numRuns: fuzzRuns() });
  });

  it('fuzz: damaged real SPS parse within limits or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    fc.assert(fc.property(mutated(seeds, 1), check), { numRuns: fuzzRuns() });
  });
});
