import { requireTools } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import { ffprobeStream } from '../test-ffprobe.js';
import { firstNal, fixture } from '../test-fixtures.js';
import { type H265ProfileTierLevel } from './profile-tier-level.js';
import { h265LevelName, h265ProfileName, h265VideoInfo } from './video-info.js';

const streams = ['h265-main', 'h265-main10', 'h265-main-nob'];
const spsOf = (stream: string) => firstNal(fixture(`${stream}.h265`), 'h265', 33);

describe('h265VideoInfo', () => {
  it.each([
    ['h265-main', 'Main', 'hvc1.1.6.L60.90'],
    ['h265-main10', 'Main 10', 'hvc1.2.4.L60.90'],
  ])('%s', (stream, profile, codecString) => {
    expect(h265VideoInfo(spsOf(stream))).toEqual({
      codec: 'h265',
      codecString,
      width: 320,
      height: 240,
      fps: 25,
      profile,
      level: '2.0',
    });
  });

  it('interop: agrees with ffprobe on the committed streams', async (ctx) => {
    const { ffprobe } = requireTools(ctx, 'ffprobe');
    for (const stream of streams) {
      const probe = await ffprobeStream(ffprobe, `${stream}.h265`);
      const info = h265VideoInfo(spsOf(stream));
      const [num, den] = probe.r_frame_rate.split('/').map(Number);
      expect([info.profile, info.width, info.height, info.fps]).toEqual([
        probe.profile,
        probe.width,
        probe.height,
        (num as number) / (den as number),
      ]);
      expect(info.level).toBe(h265LevelName({ generalLevelIdc: probe.level } as H265ProfileTierLevel));
    }
  });
});

describe('h265ProfileName and h265LevelName (H.265 Annex A)', () => {
  const ptl = (generalProfileIdc: number, generalProfileCompatibilityFlags = 0, generalLevelIdc = 93) =>
    ({ generalProfileIdc, generalProfileCompatibilityFlags, generalLevelIdc }) as H265ProfileTierLevel;

  it.each([
    [ptl(1), 'Main'],
    [ptl(2), 'Main 10'],
    [ptl(3), 'Main Still Picture'],
    [ptl(4), 'Rext'],
    [ptl(0, 0x40000000), 'Main'],
    [ptl(0, 0x20000000), 'Main 10'],
    [ptl(0, 0), 'profile 0'],
    [ptl(30), 'profile 30'],
  ])('%j: %s', (p, want) => {
    expect(h265ProfileName(p)).toBe(want);
  });

  it.each([
    [30, '1.0'],
    [60, '2.0'],
    [63, '2.1'],
    [93, '3.1'],
    [120, '4.0'],
    [123, '4.1'],
    [153, '5.1'],
    [186, '6.2'],
  ])('level_idc %i: %s', (level, want) => {
    expect(h265LevelName(ptl(1, 0, level))).toBe(want);
  });
});
