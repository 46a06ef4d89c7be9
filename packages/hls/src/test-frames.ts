import { joinLengthPrefixed } from '@camgate/codecs';
import type { HlsFrame, HlsTrack } from './types.js';

/** SPS/PPS of a real x264 stream (Main, 320x240, packages/codecs/testdata/h264-main-bf2.h264). */
export const SPS = Buffer.from('674d400de880a0fd80880000030008000003019078a14890', 'hex');
export const PPS = Buffer.from('68ebe0e4b2', 'hex');
/** AAC-LC 48 kHz stereo AudioSpecificConfig. */
export const ASC = Uint8Array.of(0x11, 0x90);

export const VIDEO_TRACK: HlsTrack = {
  kind: 'video',
  config: { kind: 'video', codec: 'h264', sps: SPS, pps: PPS },
  clockRate: 90_000,
  width: 320,
  height: 240,
  fps: 25,
};

export const AUDIO_TRACK: HlsTrack = {
  kind: 'audio',
  config: { kind: 'audio', codec: 'aac', audioSpecificConfig: ASC },
  clockRate: 48_000,
  sampleRate: 48_000,
  channels: 2,
};

export interface SyntheticOptions {
  seconds: number;
  fps?: number;
  /** Frames per GOP. */
  gop?: number;
  /** Input timeline start, seconds (the RTSP session timeline). */
  start?: number;
  /** Jitter added to each frame's timestamps, in ticks (deterministic pattern). */
  jitter?: number;
  wallclockStart?: number;
  audio?: boolean;
  video?: boolean;
}

/** A deterministic frame sequence in arrival order: CFR video with periodic keyframes, and AAC. */
export function syntheticFrames(options: SyntheticOptions): HlsFrame[] {
  const {
    seconds,
    fps = 25,
    gop = 40,
    start = 0,
    jitter = 0,
    wallclockStart = Date.UTC(2026, 10, 23, 12, 0, 0),
  } = options;
  const frames: Array<HlsFrame & { time: number }> = [];
  if (options.video !== false) {
    const step = 90_000 / fps;
    for (let i = 0; i < seconds * fps; i++) {
      const key = i % gop === 0;
      const offset = jitter === 0 ? 0 : ((i * 7919) % (2 * jitter + 1)) - jitter;
      const dts = Math.round(start * 90_000 + i * step + offset);
      const slice = Uint8Array.of(key ? 0x65 : 0x41, 0x88, i & 0xff, (i >> 8) & 0xff, 0x10);
      const data = joinLengthPrefixed(key ? [SPS, PPS, slice] : [slice]);
      frames.push({
        kind: 'video',
        dts,
        pts: dts,
        keyframe: key,
        discontinuity: false,
        wallclock: wallclockStart + (dts / 90_000 - start) * 1000,
        data,
        time: dts / 90_000,
      });
    }
  }
  if (options.audio !== false) {
    for (let i = 0; i * 1024 < seconds * 48_000; i++) {
      const dts = Math.round(start * 48_000) + i * 1024;
      frames.push({
        kind: 'audio',
        dts,
        pts: dts,
        keyframe: true,
        discontinuity: false,
        wallclock: wallclockStart + (dts / 48_000 - start) * 1000,
        data: Uint8Array.of(0x21, i & 0xff, 0x00),
        time: dts / 48_000 + 0.003,
      });
    }
  }
  frames.sort((a, b) => a.time - b.time);
  return frames.map(({ time: _time, ...frame }) => frame);
}
