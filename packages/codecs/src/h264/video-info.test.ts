import { requireTools } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import { ffprobeStream } from '../test-ffprobe.js';
import { firstNal, fixture, videoProbe } from '../test-fixtures.js';
import { h264LevelName, h264ProfileName, h264VideoInfo } from './video-info.js';

const streams = ['h264-baseline', 'h264-main-bf2', 'h264-high-bpyramid', 'h264-high-nob', 'h264-high-1080p'];
const spsOf = (stream: string) => firstNal(fixture(`${stream}.h264`), 'h264', 7);

describe('h264VideoInfo', () => {
  it('describes the 1080p x264 stream', () => {
    expect(h264VideoInfo(spsOf('h264-high-1080p'))).toEqual({
      codec: 'h264',
      codecString: 'avc1.640028',
      width: 1920,
      height: 1080,
      fps: 30,
      profile: 'High',
      level: '4.0',
    });
  });

  for (const stream of streams) {
    it(`agrees with what ffprobe said when the vectors were made: ${stream}`, () => {
      const probe = videoProbe(stream);
      const info = h264VideoInfo(spsOf(stream));
      const [num, den] = probe.r_frame_rate.split('/').map(Number);
      expect(info).toMatchObject({
        profile: probe.profile,
        level: h264LevelName({ profileIdc: 100, constraintSetFlags: 0, levelIdc: probe.level }),
        width: probe.width,
        height: probe.height,
        fps: (num as number) / (den as number),
        codecString: `avc1.${probe.mp4_decoder_config_hex.slice(2, 8)}`,
      });
    });
  }

  it('interop: agrees with ffprobe on the committed streams', async (ctx) => {
    const { ffprobe } = requireTools(ctx, 'ffprobe');
    for (const stream of streams) {
      const probe = await ffprobeStream(ffprobe, `${stream}.h264`);
      const info = h264VideoInfo(spsOf(stream));
      const [num, den] = probe.r_frame_rate.split('/').map(Number);
      expect([info.profile, info.width, info.height, info.fps]).toEqual([
        probe.profile,
        probe.width,
        probe.height,
        (num as number) / (den as number),
      ]);
      expect(info.level).toBe(`${Math.floor(probe.level / 10)}.${probe.level % 10}`);
    }
  });
});

describe('h264ProfileName and h264LevelName (H.264 Annex A)', () => {
  it.each([
    [66, 0x40, 'Constrained Baseline'],
    [66, 0x00, 'Baseline'],
    [77, 0x40, 'Main'],
    [88, 0x00, 'Extended'],
    [100, 0x00, 'High'],
    [100, 0x0c, 'High'],
    [110, 0x00, 'High 10'],
    [110, 0x10, 'High 10 Intra'],
    [122, 0x00, 'High 4:2:2'],
    [244, 0x00, 'High 4:4:4 Predictive'],
    [244, 0x10, 'High 4:4:4 Intra'],
    [44, 0x00, 'CAVLC 4:4:4'],
    [118, 0x00, 'Multiview High'],
    [7, 0x00, 'profile 7'],
  ])('profile_idc %i, constraint flags %i: %s', (profileIdc, constraintSetFlags, want) => {
    expect(h264ProfileName({ profileIdc, constraintSetFlags })).toBe(want);
  });

  it.each([
    [66, 0x00, 30, '3.0'],
    [100, 0x00, 31, '3.1'],
    [100, 0x00, 51, '5.1'],
    [66, 0x10, 11, '1b'],
    [100, 0x10, 11, '1.1'],
    [100, 0x00, 9, '1b'],
  ])('profile_idc %i, constraint flags %i, level_idc %i: %s', (profileIdc, constraintSetFlags, levelIdc, want) => {
    expect(h264LevelName({ profileIdc, constraintSetFlags, levelIdc })).toBe(want);
  });
});
