import { describe, expect, it } from 'vitest';
import { h264HighCodecString, h264LevelFor, transcodeBitrate } from './h264-level.js';

describe('h264LevelFor (H.264 Table A-1)', () => {
  it.each([
    // width, height, fps, level
    [320, 240, 30, '3.0'],
    [640, 360, 25, '3.0'],
    [720, 576, 25, '3.0'], // 1620 MBs x 25 = 40,500: exactly level 3
    [720, 576, 30, '3.1'],
    [1280, 720, 30, '3.1'],
    [1280, 720, 60, '3.2'],
    [1920, 1080, 30, '4.0'], // 8160 MBs (1088 lines)
    [1920, 1080, 60, '4.2'],
    [2560, 1440, 30, '5.0'],
    [2688, 1520, 20, '5.0'],
    [3840, 2160, 30, '5.1'],
    [3840, 2160, 60, '5.2'],
    [4096, 2160, 30, '5.2'], // 34,560 MBs x 30 > 983,040
  ])('%ix%i at %i fps: level %s', (width, height, fps, name) => {
    expect(h264LevelFor(width, height, fps)?.name).toBe(name);
  });

  it('a picture wider than sqrt(8 x MaxFS) macroblocks needs a higher level', () => {
    // 2048x64: 256 MBs per frame (fits 3.0 by area) but 128 MBs wide > sqrt(8 x 1620) = 113.8.
    expect(h264LevelFor(2048, 64, 25)?.name).toBe('3.1');
  });

  it('8K at 60 fps is beyond level 5.2', () => {
    expect(h264LevelFor(7680, 4320, 60)).toBeUndefined();
  });

  it('assumes 30 fps when the rate is unknown', () => {
    expect(h264LevelFor(720, 576)?.name).toBe('3.1');
  });
});

describe('h264HighCodecString', () => {
  it.each([
    ['3.0', 'avc1.64001e'],
    ['3.1', 'avc1.64001f'],
    ['4.0', 'avc1.640028'],
    ['5.1', 'avc1.640033'],
  ])('level %s: %s', (name, codec) => {
    const level = [640, 1280, 1920, 3840].map((w) => h264LevelFor(w, (w * 9) / 16, 30)).find((l) => l?.name === name);
    expect(level).toBeDefined();
    if (level !== undefined) expect(h264HighCodecString(level)).toBe(codec);
  });
});

describe('transcodeBitrate', () => {
  it.each([
    [320, 180, 15, 300_000],
    [640, 360, 25, 576_000],
    [1920, 1080, 30, 6_220_800],
  ])('%ix%i at %i fps: %i bit/s', (width, height, fps, bitrate) => {
    const level = h264LevelFor(width, height, fps);
    if (level === undefined) throw new Error('no level');
    expect(transcodeBitrate(width, height, fps, level)).toBe(bitrate);
  });
});
