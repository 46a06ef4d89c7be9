import { describe, expect, it } from 'vitest';
import { TrackTimeline } from './track-timeline.js';

const clock = { startMs: 1000, wallStartMs: 1_700_000_000_000 };

function run(timeline: TrackTimeline, stamps: number[], arrival = 1000) {
  return stamps.map((ts) => {
    const p = timeline.map(ts >>> 0, arrival);
    return [p.pts, p.discontinuity];
  });
}

describe('TrackTimeline', () => {
  it('places the first frame at its arrival time since the session start', () => {
    const video = new TrackTimeline(90_000, clock, 3600);
    const audio = new TrackTimeline(48_000, clock, 1024);
    expect(video.map(123_456, 1000).pts).toBe(0);
    expect(audio.map(999, 1500).pts).toBe(24_000); // 0.5 s later, in 48 kHz ticks
  });

  it('continues across the 32-bit wrap with no discontinuity (F09)', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    expect(run(t, [2 ** 32 - 3600, 0, 3600])).toEqual([
      [0, false],
      [3600, false],
      [7200, false],
    ]);
  });

  it('keeps B-frame order (PTS going back a little is not a jump)', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    expect(run(t, [0, 10_800, 3600, 7200]).map(([pts]) => pts)).toEqual([0, 10_800, 3600, 7200]);
  });

  it('re-stamps a lone outlier and returns to the timeline without a discontinuity', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    expect(run(t, [0, 3600, 3600 + 9800 * 90_000, 10_800])).toEqual([
      [0, false],
      [3600, false],
      [7200, false],
      [10_800, false],
    ]);
  });

  it('adopts a jump of +1 h that persists, continuing the timeline, flagged once (F12)', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    const hour = 3600 * 90_000;
    expect(run(t, [0, 3600, hour, hour + 3600, hour + 7200, hour + 10_800])).toEqual([
      [0, false],
      [3600, false],
      [7200, false],
      [10_800, false],
      [14_400, true],
      [18_000, false],
    ]);
  });

  it('adopts a jump of -10 s (timestamp reset) with no negative step (F12)', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    const points = run(t, [900_000, 903_600, 0, 3600, 7200, 10_800]);
    const pts = points.map(([p]) => p as number);
    for (let i = 1; i < pts.length; i++) expect(pts[i]).toBeGreaterThan(pts[i - 1] as number);
    expect(points.filter(([, d]) => d)).toHaveLength(1);
  });

  it('re-bases after an SSRC change with a discontinuity (F11)', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    run(t, [0, 3600]);
    t.rebase();
    expect(run(t, [777_777, 781_377])).toEqual([
      [7200, true],
      [10_800, false],
    ]);
  });

  it('takes the wall clock from RTCP sender reports, including one sent before the first packet', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    t.onSenderReport(1_800_000_000_000, 90_000);
    expect(t.map(180_000, 1000).wallclock).toBe(1_800_000_001_000);
    t.onSenderReport(1_900_000_000_000, 270_000);
    expect(t.map(270_000 + 45_000, 1000).wallclock).toBe(1_900_000_000_500);
  });

  it('falls back to the arrival-anchored wall clock without sender reports', () => {
    const t = new TrackTimeline(90_000, clock, 3600);
    expect(t.map(5, 1000).wallclock).toBe(clock.wallStartMs);
    expect(t.map(90_005, 1000).wallclock).toBe(clock.wallStartMs + 1000);
  });
});
