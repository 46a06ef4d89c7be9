import { describe, expect, it } from 'vitest';
import { AUDIO_TRACK, VIDEO_TRACK } from '../test-frames.js';
import type { HlsFrame, HlsTrack } from '../types.js';
import { isValidFrame, OutputTimeline, START_SECONDS } from './output-timeline.js';
import { TrackState } from './track-state.js';

const VIDEO = VIDEO_TRACK;
const AUDIO = AUDIO_TRACK;

const state = (track: HlsTrack) => new TrackState(track.kind, track, 0, 0, () => 0);
const frame = (kind: 'video' | 'audio', dts: number): HlsFrame => ({
  kind,
  dts,
  pts: dts,
  keyframe: true,
  discontinuity: false,
  wallclock: 0,
  data: new Uint8Array(1),
});

describe('OutputTimeline', () => {
  it('starts at 10 s whatever the camera clock, and maps every track onto the same epoch', () => {
    const timeline = new OutputTimeline();
    const v = state(VIDEO);
    const a = state(AUDIO);
    expect(timeline.place(v, frame('video', 123_456_789), v, a)).toBe(START_SECONDS * 90_000);
    // Audio 0.5 s after the first video frame, on its own clock (which started elsewhere: RTP).
    const audioStart = 777_000;
    timeline.place(a, frame('audio', audioStart), v, a);
    expect(a.offset).toBe(Math.round(START_SECONDS * 48_000 - (123_456_789 / 90_000) * 48_000));
    expect(timeline.place(v, frame('video', 123_456_789 + 45_000), v, a)).toBe(10.5 * 90_000);
  });

  /** A stream whose video packaged up to `videoEnd` s and audio up to `audioEnd` s, then reconnected. */
  function reconnected(videoEnd: number, audioEnd: number) {
    const timeline = new OutputTimeline();
    const v = state(VIDEO);
    const a = state(AUDIO);
    timeline.place(v, frame('video', 0), v, a);
    timeline.place(a, frame('audio', 0), v, a);
    v.lastEnd = videoEnd * 90_000;
    a.lastEnd = audioEnd * 48_000;
    timeline.newEpoch(v, a);
    return { timeline, v, a };
  }

  it('a new epoch (reconnect) resumes where the furthest track ended', () => {
    const { timeline, v, a } = reconnected(12, 12.1);
    expect(timeline.epochPending).toBe(true);
    expect(timeline.place(v, frame('video', 5_000_000), v, a)).toBe(12.1 * 90_000);
    expect(timeline.epochPending).toBe(false);
    expect(timeline.place(a, frame('audio', 999), v, a)).toBe(12.1 * 48_000);
  });

  it('never places a track behind what it packaged (its epoch offset is re-based at its end)', () => {
    const { timeline, v, a } = reconnected(12, 13);
    // The epoch resumes at 13 s (audio's end), video's first frame there; audio 0.5 s earlier would be behind its end.
    expect(timeline.place(v, frame('video', 90_000), v, a)).toBe(13 * 90_000);
    expect(timeline.place(a, frame('audio', 24_000), v, a)).toBe(13 * 48_000);
  });

  it("a timestamp jump within a session ('continue') resumes exactly where the track ended", () => {
    const timeline = new OutputTimeline();
    const v = state(VIDEO);
    timeline.place(v, frame('video', 0), v, undefined);
    v.lastEnd = 11 * 90_000 + 3600;
    v.rebase = 'continue';
    expect(timeline.place(v, frame('video', 987_654), v, undefined)).toBe(11 * 90_000 + 3600);
    expect(timeline.place(v, frame('video', 987_654 + 3600), v, undefined)).toBe(11 * 90_000 + 7200);
  });

  it('keeps input times as they are for a variant fed with another stream’s output', () => {
    const timeline = new OutputTimeline({ inputTimeline: true });
    const v = state(VIDEO);
    expect(timeline.place(v, frame('video', 1_234_567), v, undefined)).toBe(1_234_567);
  });
});

describe('isValidFrame', () => {
  const ok = frame('video', 1000);
  it.each([
    ['a frame', ok, true],
    ['a fractional dts', { ...ok, dts: 1000.5, pts: 1000.5 }, false],
    ['pts before dts', { ...ok, pts: 999 }, false],
    ['beyond 2^52', { ...ok, dts: 2 ** 52, pts: 2 ** 52 }, false],
    ['no data', { ...ok, data: new Uint8Array(0) }, false],
    ['more data than a part may hold', { ...ok, data: new Uint8Array(17) }, false],
    ['a wall clock that is not a number', { ...ok, wallclock: Number.NaN }, false],
  ])('%s: %s', (_name, f, valid) => {
    expect(isValidFrame(f, 16)).toBe(valid);
  });
});
