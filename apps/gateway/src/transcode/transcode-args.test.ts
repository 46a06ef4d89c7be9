import { describe, expect, it } from 'vitest';
import { h264LevelFor } from './h264-level.js';
import { transcodeArgs, type TranscodeArgsInput } from './transcode-args.js';

const level = h264LevelFor(1920, 1080, 25);
if (level === undefined) throw new Error('no level');
const base: TranscodeArgsInput = {
  input: 'h265',
  encoder: 'libx264',
  hwaccel: 'none',
  device: '',
  level,
  bitrate: 5_000_000,
};

/** `flag value` pairs (or a lone flag) as they appear in the arguments. */
function has(args: string[], ...sequence: string[]): boolean {
  return args.some((_, i) => sequence.every((s, j) => args[i + j] === s));
}

describe('transcodeArgs', () => {
  it.each<[string, Partial<TranscodeArgsInput>, string[][], string[][]]>([
    [
      'libx264 on the CPU',
      {},
      [
        ['-f', 'hevc', '-i', 'pipe:0'],
        ['-c:v', 'libx264'],
        ['-tune', 'zerolatency'],
        ['-profile:v', 'high', '-level:v', '4.0'],
        ['-bf', '0'],
        ['-maxrate', '5000000', '-bufsize', '5000000'],
        ['-x264-params', 'aud=1:scenecut=0'],
      ],
      [['-hwaccel']],
    ],
    ['an H.264 camera', { input: 'h264' }, [['-f', 'h264', '-i', 'pipe:0']], []],
    [
      'VAAPI decode and encode',
      { encoder: 'h264_vaapi', hwaccel: 'vaapi', device: '/dev/dri/renderD129' },
      [
        ['-hwaccel', 'vaapi', '-hwaccel_device', '/dev/dri/renderD129', '-hwaccel_output_format', 'vaapi'],
        ['-c:v', 'h264_vaapi'],
        ['-level', '4.0'],
        ['-aud', '1'],
      ],
      [
        ['-vf', 'format=nv12,hwupload'],
        ['-c:v', 'libx264'],
      ],
    ],
    [
      'VAAPI encode after CPU decode: frames uploaded',
      { encoder: 'h264_vaapi' },
      [
        ['-vaapi_device', '/dev/dri/renderD128'],
        ['-vf', 'format=nv12,hwupload'],
      ],
      [['-hwaccel']],
    ],
    [
      'NVENC with CUDA decode',
      { encoder: 'h264_nvenc', hwaccel: 'cuda' },
      [
        ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda'],
        ['-c:v', 'h264_nvenc'],
        ['-zerolatency', '1', '-forced-idr', '1'],
        ['-bf', '0'],
      ],
      [['-pix_fmt']],
    ],
    ['NVENC after CPU decode', { encoder: 'h264_nvenc' }, [['-pix_fmt', 'yuv420p']], [['-hwaccel']]],
    [
      'QSV',
      { encoder: 'h264_qsv', hwaccel: 'qsv' },
      [
        ['-hwaccel', 'qsv', '-hwaccel_output_format', 'qsv'],
        ['-c:v', 'h264_qsv'],
        ['-forced_idr', '1'],
      ],
      [['-pix_fmt']],
    ],
    [
      'libx264 after VAAPI decode: frames come back to memory',
      { hwaccel: 'vaapi' },
      [
        ['-hwaccel', 'vaapi'],
        ['-c:v', 'libx264'],
      ],
      [['-hwaccel_output_format']],
    ],
  ])('%s', (_, change, present, absent) => {
    const args = transcodeArgs({ ...base, ...change });
    for (const sequence of present) expect(has(args, ...sequence), sequence.join(' ')).toBe(true);
    for (const sequence of absent) expect(has(args, ...sequence), sequence.join(' ')).toBe(false);
    // Always: one frame out per frame in, keyframes where the camera has them, raw H.264 flushed per frame.
    for (const sequence of [
      ['-fps_mode', 'passthrough'],
      ['-force_key_frames', 'source'],
      ['-an'],
      ['-flush_packets', '1', '-f', 'h264', 'pipe:1'],
    ])
      expect(has(args, ...sequence), sequence.join(' ')).toBe(true);
    expect(args.at(-1)).toBe('pipe:1');
  });
});
