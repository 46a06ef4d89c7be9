import { describe, expect, it } from 'vitest';
import type { Frame } from './frame.js';
import { createReceivePipeline } from './receive-pipeline.js';
import { makeRecording } from './test-recording.js';

describe('receive pipeline on the benchmark recording (1080p, 4 Mbit/s, H.264 + AAC)', () => {
  it('turns every byte into the frames the camera sent, without errors', () => {
    const recording = makeRecording(4);
    const frames: Frame[] = [];
    const { reader, receivers } = createReceivePipeline([recording.video, recording.audio], (f) => frames.push(f));
    for (const chunk of recording.chunks) reader.feed(chunk);

    expect(receivers[0]?.track).toMatchObject({ width: 1920, height: 1080, codecString: 'avc1.4d4028' });
    const video = frames.filter((f) => f.trackId === 0);
    const audio = frames.filter((f) => f.trackId === 1);
    // The marker bit ends each access unit: every frame is out as soon as its last packet is in.
    expect(video.length).toBe(recording.videoFrames);
    expect(audio.length).toBe(recording.audioFrames);
    expect(video.filter((f) => f.keyframe)).toHaveLength(2);
    expect(video.every((f, i) => i === 0 || f.dts > (video[i - 1] as Frame).dts)).toBe(true);
    expect(receivers.map((r) => r.stats.errors)).toEqual([{}, {}]);
    expect(recording.bytes / 4).toBeGreaterThan(500_000); // about 4.1 Mbit/s on the wire
  });
});
