// Test support for the recordings' tests: a camera's frames (the H.264 test stream looped, wall
// clocks from T0), its pipeline's sink list as the recordings see it, and its record.
import type { FrameSink, HlsFrame, HlsTrack } from '@camgate/hls';
import { videoTestStream } from '@camgate/testkit';
import type { CameraRecord } from '../store/camera-store.js';
import { planClip, type ClipPlan } from './clip.js';
import type { Recordings, RecordingSource } from './recordings.js';

/** The test clock's start: the wall clock of the first frame. */
export const T0 = Date.UTC(2026, 11, 7, 3, 0, 0);
export const video = videoTestStream('h264-main-bf2');
export const VIDEO: HlsTrack = {
  kind: 'video',
  config: video.config,
  clockRate: video.timescale,
};

/** `seconds` of the 2 s test stream looped (a keyframe a second), from `start` s of its timeline. */
export function frames(seconds: number, start = 0): HlsFrame[] {
  const period = 2 * video.timescale;
  const out: HlsFrame[] = [];
  for (let n = 0; n * 2 < seconds; n++) {
    for (const s of video.samples) {
      const dts = s.dts + n * period;
      if (dts >= seconds * video.timescale) break;
      const at = start * video.timescale + dts;
      out.push({
        kind: 'video',
        dts: at,
        pts: at + (s.pts - s.dts),
        keyframe: s.sync,
        discontinuity: false,
        wallclock: T0 + (at / video.timescale) * 1000,
        data: s.data,
      });
    }
  }
  return out;
}

/** A camera pipeline's sink list, as the recordings see it. */
export class Source implements RecordingSource {
  sinks: FrameSink[] = [];
  addSink(sink: FrameSink): void {
    this.sinks.push(sink);
    sink.setTrack(VIDEO);
  }
  removeSink(sink: FrameSink): void {
    this.sinks = this.sinks.filter((s) => s !== sink);
  }
  push(list: readonly HlsFrame[]): void {
    for (const frame of list) for (const sink of this.sinks) sink.push(frame);
  }
}

export const camera = (recording: CameraRecord['recording'], id = 'cam1'): CameraRecord => ({
  id,
  name: id,
  url: 'rtsp://127.0.0.1/x',
  transport: 'auto',
  onDemand: false,
  audio: 'auto',
  enabled: true,
  ...(recording === undefined ? {} : { recording }),
  createdAt: new Date(T0).toISOString(),
  updatedAt: new Date(T0).toISOString(),
});

/** The plan of camera cam1's clip from `startMs` to `endMs`, as the clip route makes it: its segments from the index, then planClip. */
export async function clipOf(recordings: Recordings, startMs: number, endMs: number): Promise<ClipPlan | undefined> {
  return planClip(recordings.files, await recordings.index.segments('cam1', startMs, endMs), startMs, endMs);
}
