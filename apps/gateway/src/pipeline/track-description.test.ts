import type { Track } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { describeTrack } from './track-description.js';

const base = { id: 0, clockRate: 90_000, config: {} } as const;

describe('describeTrack', () => {
  it.each<[string, Track, object]>([
    [
      'a video track with what the camera announced',
      { ...base, kind: 'video', codec: 'h264', codecString: 'avc1.640028', width: 1920, height: 1080, fps: 25 },
      { kind: 'video', codec: 'h264', codecString: 'avc1.640028', width: 1920, height: 1080, fps: 25 },
    ],
    [
      'an audio track',
      {
        ...base,
        id: 1,
        kind: 'audio',
        codec: 'aac',
        codecString: 'mp4a.40.2',
        clockRate: 48_000,
        sampleRate: 48_000,
        channels: 2,
      },
      { kind: 'audio', codec: 'aac', codecString: 'mp4a.40.2', sampleRate: 48_000, channels: 2 },
    ],
    [
      'a track that announced nothing more: no keys for the unknown values',
      { ...base, kind: 'audio', codec: 'pcma', codecString: 'alaw' },
      { kind: 'audio', codec: 'pcma', codecString: 'alaw' },
    ],
  ])('%s', (_name, track, expected) => {
    const description = describeTrack(track);
    expect(description).toStrictEqual(expected);
    expect(Object.keys(description)).toEqual(Object.keys(expected));
  });
});
