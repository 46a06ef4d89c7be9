import type { HlsFrame, HlsStream } from '@camgate/hls';
import { videoTestStream } from '@camgate/testkit';

/**
 * Feeds `stream` the H.264 test vector (640x360, B-frame pyramid) as a camera would, but only its
 * first `fraction`: the stream is live, and `rest()` pushes the remaining frames. Tests only.
 */
export function feedTestVector(stream: HlsStream, fraction = 0.6): { rest: () => void } {
  const video = videoTestStream('h264-high-bpyramid');
  if (video.config.kind !== 'video' || video.config.codec !== 'h264') throw new Error('H.264 vector expected');
  stream.setTrack({ kind: 'video', config: video.config, clockRate: video.timescale, width: 640, height: 360 });
  const frames: HlsFrame[] = video.samples.map((sample) => ({
    kind: 'video',
    dts: sample.dts,
    pts: sample.pts,
    keyframe: sample.sync,
    discontinuity: false,
    wallclock: Date.UTC(2026, 10, 24) + sample.dts / 90,
    data: sample.data,
  }));
  const cut = Math.floor(frames.length * fraction);
  for (const frame of frames.slice(0, cut)) stream.push(frame);
  return { rest: () => frames.slice(cut).forEach((frame) => stream.push(frame)) };
}
