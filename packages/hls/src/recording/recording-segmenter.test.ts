import { inspectWithMp4box, type Mp4boxInspection } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import { AUDIO_TRACK, syntheticFrames, VIDEO_TRACK } from '../test-frames.js';
import type { HlsFrame } from '../types.js';
import {
  MAX_RECORDED_SEGMENT_SECONDS,
  RECORDED_TRACK_IDS,
  RecordingSegmenter,
  type RecordedMedia,
} from './recording-segmenter.js';

const WALLCLOCK = Date.UTC(2026, 10, 23, 12, 0, 0);

/** Records `frames` (tracks of `audio`/`video`), ending the recording; returns the segments. */
function record(
  frames: readonly HlsFrame[],
  options: { audio?: boolean; video?: boolean; between?: (s: RecordingSegmenter, i: number) => void } = {},
): { segments: RecordedMedia[]; recorder: RecordingSegmenter } {
  const segments: RecordedMedia[] = [];
  const recorder = new RecordingSegmenter({ onSegment: (m) => segments.push(m) });
  if (options.video !== false) recorder.setTrack(VIDEO_TRACK);
  if (options.audio !== false) recorder.setTrack(AUDIO_TRACK);
  frames.forEach((frame, i) => {
    options.between?.(recorder, i);
    recorder.push(frame);
  });
  recorder.end();
  return { segments, recorder };
}

/** Every segment of one init, read by mp4box as one file. */
function inspect(segments: readonly RecordedMedia[]): Mp4boxInspection {
  return inspectWithMp4box(
    segments[0]!.init,
    segments.map((s) => s.fragment),
  );
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('RecordingSegmenter', () => {
  it('cuts muxed segments at the first keyframe past 6 s, with the audio of their time', () => {
    // 25 fps, a keyframe every 1.6 s: cuts at 6.4 s and 12.8 s, the rest at the end.
    const frames = syntheticFrames({ seconds: 16, gop: 40 });
    const { segments, recorder } = record(frames);
    expect(segments.map((s) => s.durationMs)).toEqual([6400, 6400, 3200]);
    expect(segments.map((s) => s.startMs)).toEqual([WALLCLOCK, WALLCLOCK + 6400, WALLCLOCK + 12800]);
    expect(segments.every((s) => s.independent && s.epoch === 0 && s.init === segments[0]!.init)).toBe(true);
    expect(recorder.stats).toMatchObject({ segments: 3, forcedCuts: 0, droppedFrames: 0 });

    const read = inspect(segments);
    expect(read.tracks.map((t) => [t.id, t.codec])).toEqual([
      [RECORDED_TRACK_IDS.video, 'avc1.4d400d'],
      [RECORDED_TRACK_IDS.audio, 'mp4a.40.2'],
    ]);
    const video = read.samples.get(RECORDED_TRACK_IDS.video)!;
    const audio = read.samples.get(RECORDED_TRACK_IDS.audio)!;
    expect(video).toHaveLength(frames.filter((f) => f.kind === 'video').length);
    expect(audio).toHaveLength(frames.filter((f) => f.kind === 'audio').length);
    // One moof per segment with a video and an audio traf, each starting where the one before ended.
    for (const [i, fragment] of read.fragments.entries()) {
      expect(fragment.trafs.map((t) => t.trackId)).toEqual([1, 2]);
      const [v, a] = fragment.trafs;
      // Media time is the wall clock (seconds since 1970), on the 90 kHz clock.
      expect(v!.baseMediaDecodeTime).toBe((WALLCLOCK / 1000) * 90_000 + i * 6.4 * 90_000);
      // Audio starts within a frame of the video.
      expect(Math.abs(a!.baseMediaDecodeTime / 48_000 - v!.baseMediaDecodeTime / 90_000)).toBeLessThan(1024 / 48_000);
    }
    for (const samples of [video, audio]) {
      samples.slice(1).forEach((s, i) => expect(s.dts).toBe(samples[i]!.dts + samples[i]!.duration));
    }
    expect(video.filter((s) => s.isSync).map((s) => Math.round((s.dts / 90_000 - WALLCLOCK / 1000) * 10) / 10)).toEqual(
      [0, 1.6, 3.2, 4.8, 6.4, 8, 9.6, 11.2, 12.8, 14.4],
    );
  });

  it('waits for audio that arrives late, up to AUDIO_WAIT_SECONDS', () => {
    // Audio reaches the recorder 0.5 s after the video of the same instant.
    const frames = syntheticFrames({ seconds: 14, gop: 40 });
    const time = (f: HlsFrame) => (f.kind === 'video' ? f.dts / 90_000 : f.dts / 48_000 + 0.5);
    const late = [...frames].sort((a, b) => time(a) - time(b));
    const { segments } = record(late);
    const read = inspect(segments);
    // Every segment has the audio of its time: audio starts within a frame of video in each.
    for (const fragment of read.fragments) {
      const [v, a] = fragment.trafs;
      expect(Math.abs(a!.baseMediaDecodeTime / 48_000 - v!.baseMediaDecodeTime / 90_000)).toBeLessThan(1024 / 48_000);
    }
    expect(read.samples.get(2)).toHaveLength(frames.filter((f) => f.kind === 'audio').length);
  });

  it.for<[name: string, seconds: number, gop: number, durations: number[], independent: boolean[]]>([
    ['GOP of 2 s: cut at 6 s', 13, 50, [6000, 6000, 1000], [true, true, true]],
    ['GOP of 8 s: every keyframe', 20, 200, [8000, 8000, 4000], [true, true, true]],
    // Cut before the frame that would reach 30 s; the next keyframe (40 s) cuts again.
    ['GOP of 40 s: forced before 30 s', 45, 1000, [29960, 10040, 5000], [true, false, true]],
  ])('%s', ([, seconds, gop, durations, independent]) => {
    const { segments, recorder } = record(syntheticFrames({ seconds, gop }), { audio: false });
    expect(segments.map((s) => s.durationMs)).toEqual(durations);
    expect(recorder.stats.forcedCuts).toBe(independent.filter((i) => !i).length);
    expect(segments.map((s) => s.independent)).toEqual(independent);
    expect(MAX_RECORDED_SEGMENT_SECONDS).toBe(30);
    inspect(segments);
  });

  it('starts a new epoch at a discontinuity: the open segment is cut, video waits for a keyframe', () => {
    const first = syntheticFrames({ seconds: 4, gop: 40 });
    // The next connection starts mid-GOP (0.4 s before a keyframe) on a new timeline, 10 s later.
    const second = syntheticFrames({ seconds: 8, gop: 40, start: 500, wallclockStart: WALLCLOCK + 14_000 }).filter(
      (f) => f.dts / (f.kind === 'video' ? 90_000 : 48_000) >= 500 + 1.2,
    );
    const { segments, recorder } = record([...first, ...second], {
      between: (s, i) => i === first.length && s.markDiscontinuity(),
    });
    expect(segments.map((s) => [s.epoch, s.startMs, s.durationMs])).toEqual([
      [0, WALLCLOCK, 4000],
      [1, WALLCLOCK + 14_000 + 1600, 6400],
    ]);
    expect(recorder.stats.droppedFrames).toBeGreaterThan(0);
    const read = inspect(segments);
    // The new epoch starts at its wall clock: media time goes forward across it.
    expect(read.fragments[1]!.trafs[0]!.baseMediaDecodeTime).toBe(((WALLCLOCK + 14_000 + 1600) / 1000) * 90_000);
    // Its first video sample is the keyframe the recorder waited for.
    const video = read.samples.get(RECORDED_TRACK_IDS.video)!;
    expect(video[first.filter((f) => f.kind === 'video').length]!.isSync).toBe(true);
  });

  it('a new codec configuration gets a new init segment and epoch; the same one again changes nothing', () => {
    const frames = syntheticFrames({ seconds: 8, gop: 40 });
    const { segments } = record(frames, {
      between: (s, i) => {
        if (i === 50) s.setTrack(VIDEO_TRACK);
        if (i === 100)
          s.setTrack({
            ...AUDIO_TRACK,
            config: { kind: 'audio', codec: 'aac', audioSpecificConfig: Uint8Array.of(0x11, 0x88) },
          });
      },
    });
    expect(segments.length).toBe(2);
    expect(segments[0]!.init).not.toBe(segments[1]!.init);
    expect(segments.map((s) => s.epoch)).toEqual([0, 1]);
    inspect(segments.slice(0, 1));
    inspect(segments.slice(1));
  });

  it('records audio-only cameras in segments of 6 s', () => {
    const { segments } = record(syntheticFrames({ seconds: 13, video: false }), { video: false });
    expect(segments.map((s) => Math.round(s.durationMs / 100))).toEqual([60, 60, 10]);
    const read = inspect(segments);
    expect(read.tracks.map((t) => t.id)).toEqual([RECORDED_TRACK_IDS.audio]);
    expect(sum(read.samples.get(2)!.map((s) => s.duration))).toBe(Math.ceil((13 * 48_000) / 1024) * 1024);
  });

  it('drops what it cannot record and counts it', () => {
    const segments: RecordedMedia[] = [];
    const recorder = new RecordingSegmenter({ onSegment: (m) => segments.push(m) });
    const [key] = syntheticFrames({ seconds: 1, audio: false });
    recorder.push(key!); // no track yet
    recorder.setTrack(VIDEO_TRACK);
    recorder.push({ ...key!, keyframe: false }); // before the first keyframe
    recorder.push({ ...key!, dts: 1.5, pts: 1.5 }); // not an integer
    recorder.push({ ...key!, pts: key!.dts - 1 }); // pts before dts
    recorder.end();
    expect(segments).toEqual([]);
    expect(recorder.stats.droppedFrames).toBe(4);
  });
});
