import type { H264Level } from './h264-level.js';

/**
 * ffmpeg's arguments for one transcoder: Annex B H.265 (or H.264) on stdin, Annex B H.264 on stdout,
 * one output frame per input frame in presentation order (no B-frames, `-fps_mode passthrough`), a
 * keyframe wherever the camera has one (`-force_key_frames source`: segments of both variants start
 * together), parameter sets before every keyframe, each frame flushed at once.
 */

/** The encoders camgate knows how to drive (CAMGATE_TRANSCODE_ENCODER). */
export const TRANSCODE_ENCODERS = ['libx264', 'h264_vaapi', 'h264_nvenc', 'h264_qsv'] as const;
export type TranscodeEncoder = (typeof TRANSCODE_ENCODERS)[number];

/** Hardware decoding (CAMGATE_TRANSCODE_HWACCEL): `none` decodes on the CPU. */
export const TRANSCODE_HWACCELS = ['none', 'vaapi', 'cuda', 'qsv'] as const;
export type TranscodeHwaccel = (typeof TRANSCODE_HWACCELS)[number];

/** The render node VAAPI uses when CAMGATE_TRANSCODE_DEVICE is empty (the first GPU). */
export const DEFAULT_VAAPI_DEVICE = '/dev/dri/renderD128';

export interface TranscodeArgsInput {
  /** The camera's video codec (what is written to stdin). */
  input: 'h264' | 'h265';
  encoder: TranscodeEncoder;
  hwaccel: TranscodeHwaccel;
  /** A VAAPI render node or a CUDA/QSV device; empty for the default. */
  device: string;
  level: H264Level;
  /** VBV maximum rate, bits/s. */
  bitrate: number;
}

export function transcodeArgs(options: TranscodeArgsInput): string[] {
  const { encoder, hwaccel, level, bitrate } = options;
  const device = options.device;
  const rate = String(bitrate);
  // Frames stay in GPU memory from decoder to encoder when both are on the same API.
  const onGpu =
    (hwaccel === 'vaapi' && encoder === 'h264_vaapi') ||
    (hwaccel === 'cuda' && encoder === 'h264_nvenc') ||
    (hwaccel === 'qsv' && encoder === 'h264_qsv');
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error'];
  if (hwaccel !== 'none') {
    args.push('-hwaccel', hwaccel);
    if (device !== '') args.push('-hwaccel_device', device);
    if (onGpu) args.push('-hwaccel_output_format', hwaccel);
  } else if (encoder === 'h264_vaapi') {
    args.push('-vaapi_device', device === '' ? DEFAULT_VAAPI_DEVICE : device);
  }
  // No probing delay: the first bytes are a keyframe with its parameter sets.
  // One decoding thread: frame threads would hold a frame each before the first comes out.
  args.push('-fflags', '+nobuffer', '-probesize', '32', '-analyzeduration', '0', '-threads', '1');
  args.push('-f', options.input === 'h265' ? 'hevc' : 'h264', '-i', 'pipe:0');
  args.push('-map', '0:v:0', '-an', '-sn', '-dn', '-fps_mode', 'passthrough', '-force_key_frames', 'source');
  switch (encoder) {
    case 'libx264':
      args.push(
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-tune',
        'zerolatency',
        '-pix_fmt',
        'yuv420p',
        '-profile:v',
        'high',
        '-level:v',
        level.name,
        '-bf',
        '0',
        '-crf',
        '23',
        '-maxrate',
        rate,
        '-bufsize',
        rate,
        // An access unit delimiter opens every frame; scene cuts add no keyframes of their own.
        '-x264-params',
        'aud=1:scenecut=0',
      );
      break;
    case 'h264_vaapi':
      if (!onGpu) args.push('-vf', 'format=nv12,hwupload');
      args.push(
        '-c:v',
        'h264_vaapi',
        '-profile:v',
        'high',
        '-level',
        level.name,
        '-bf',
        '0',
        '-b:v',
        rate,
        '-maxrate',
        rate,
        '-aud',
        '1',
      );
      break;
    case 'h264_nvenc':
      args.push(
        '-c:v',
        'h264_nvenc',
        '-preset',
        'p2',
        '-tune',
        'll',
        '-zerolatency',
        '1',
        '-forced-idr',
        '1',
        '-profile:v',
        'high',
        '-level',
        level.name,
        '-bf',
        '0',
        '-b:v',
        rate,
        '-maxrate',
        rate,
        '-bufsize',
        rate,
        '-aud',
        '1',
      );
      if (!onGpu) args.push('-pix_fmt', 'yuv420p');
      break;
    case 'h264_qsv':
      args.push(
        '-c:v',
        'h264_qsv',
        '-preset',
        'veryfast',
        '-forced_idr',
        '1',
        '-profile:v',
        'high',
        '-level',
        level.name,
        '-bf',
        '0',
        '-b:v',
        rate,
        '-maxrate',
        rate,
        '-aud',
        '1',
      );
      if (!onGpu) args.push('-pix_fmt', 'nv12');
      break;
  }
  args.push('-flush_packets', '1', '-f', 'h264', 'pipe:1');
  return args;
}
