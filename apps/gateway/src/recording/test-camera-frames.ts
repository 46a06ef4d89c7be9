import type { HlsFrame } from '@camgate/hls';

/** A length-prefixed NAL unit of `size` bytes of type `header` (0x65 IDR, 0x41 non-IDR), its bytes a pattern. */
export function testNal(size: number, header: number, seed = 0): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 5; i < size; i++) data[i] = (i * 31 + seed) & 0xff;
  new DataView(data.buffer).setUint32(0, size - 4);
  data[4] = header;
  return data;
}

/**
 * Second `n` of a test camera (tests and benches of recording): 25 video frames on a 90 kHz clock,
 * a keyframe first (`keyframe` and `frame` are their bytes), then the AAC frames (48 kHz, 1024
 * samples each) of the same second, all of `aac`; wall clocks from `wallclockStart`.
 */
export function cameraSecond(
  n: number,
  media: { keyframe: Uint8Array; frame: Uint8Array; aac: Uint8Array; wallclockStart: number },
): HlsFrame[] {
  const frames: HlsFrame[] = [];
  const frame = (kind: 'video' | 'audio', dts: number, rate: number, keyframe: boolean, data: Uint8Array) =>
    frames.push({
      kind,
      dts,
      pts: dts,
      keyframe,
      discontinuity: false,
      wallclock: media.wallclockStart + Math.floor((dts * 1000) / rate),
      data,
    });
  for (let i = 0; i < 25; i++)
    frame('video', (n * 25 + i) * 3600, 90_000, i === 0, i === 0 ? media.keyframe : media.frame);
  for (let k = Math.ceil((n * 48_000) / 1024); k * 1024 < (n + 1) * 48_000; k++) {
    frame('audio', k * 1024, 48_000, true, media.aac);
  }
  return frames;
}
