import { encodeFlacFrame } from '@camgate/codecs';
import { describe, expect, it } from 'vitest';
import { HlsStream } from './hls-stream.js';
import { syntheticFrames, VIDEO_TRACK } from './test-frames.js';
import { checkMultivariantPlaylist } from './test-playlist-rules.js';
import type { HlsFrame, HlsTrack } from './types.js';

/** G.711 from the camera, as the gateway hands it over: FLAC frames at 8 kHz mono (pcm-to-flac.ts). */
const FLAC_TRACK: HlsTrack = {
  kind: 'audio',
  config: { kind: 'audio', codec: 'flac', channels: 1, sampleRate: 8000 },
  clockRate: 8000,
  sampleRate: 8000,
  channels: 1,
};

/** FLAC frames of `samples` each (a camera's packet time), in arrival order with the video (none when `video` is false). */
function withFlac(seconds: number, samples: number, withVideo = true): HlsFrame[] {
  const video = withVideo ? syntheticFrames({ seconds, audio: false }) : [];
  const start = syntheticFrames({ seconds: 1, audio: false })[0]!.wallclock;
  const audio: HlsFrame[] = [];
  for (let i = 0; (i + 1) * samples <= seconds * 8000; i++) {
    const pcm = Int16Array.from({ length: samples }, (_, k) => ((i * samples + k) * 37) % 2000);
    audio.push({
      kind: 'audio',
      dts: i * samples,
      pts: i * samples,
      keyframe: true,
      discontinuity: false,
      wallclock: start + (i * samples) / 8,
      data: encodeFlacFrame(pcm, { channels: 1, sampleRate: 8000, position: { sampleNumber: i * samples } }),
    });
  }
  // Each audio frame arrives once its last sample is in, like the camera's packets.
  const time = (f: HlsFrame) => (f.kind === 'video' ? f.dts / 90_000 : (f.dts + samples) / 8000);
  return [...video, ...audio].sort((a, b) => time(a) - time(b));
}

describe('FLAC audio (G.711 cameras)', () => {
  it.for([160, 320, 256])(
    'frames of %i samples: audio parts hold whole frames and last exactly as long (the block size, not 20 ms)',
    async (samples) => {
      const stream = new HlsStream({ now: () => Date.now() });
      stream.setTrack(VIDEO_TRACK);
      stream.setTrack(FLAC_TRACK);
      for (const frame of withFlac(5, samples)) stream.push(frame);
      const multivariant = (await stream.handle('index.m3u8')).body as string;
      expect(multivariant).toMatch(/CODECS="avc1\.\w+,fLaC"/);
      expect(checkMultivariantPlaylist(multivariant)).toEqual([]);
      const audio = (await stream.handle('audio.m3u8')).body as string;
      const parts = [...audio.matchAll(/#EXT-X-PART:DURATION=([\d.]+)/g)].map((m) => Number(m[1]));
      expect(parts.length).toBeGreaterThan(10);
      const frameSeconds = samples / 8000;
      // Playlist durations have 5 decimals.
      const off = parts.filter((d) => Math.abs(d / frameSeconds - Math.round(d / frameSeconds)) * frameSeconds > 1e-5);
      expect(off).toEqual([]);
      stream.close();
    },
  );

  // An MJPEG or video-less camera with G.711 (40 ms and 10 ms packet times): audio-only parts.
  it.for([320, 80])(
    'audio only, frames of %i samples: parts within PART-TARGET, whole frames, none dropped',
    async (samples) => {
      const stream = new HlsStream({ now: () => Date.now() });
      stream.setTrack(FLAC_TRACK);
      const frames = withFlac(5, samples, false);
      for (const frame of frames) stream.push(frame);
      const audio = (await stream.handle('audio.m3u8')).body as string;
      const partTarget = Number(/PART-TARGET=([\d.]+)/.exec(audio)?.[1]);
      const parts = [...audio.matchAll(/#EXT-X-PART:DURATION=([\d.]+)/g)].map((m) => Number(m[1]));
      expect(parts.length).toBeGreaterThan(10);
      expect(parts.filter((d) => d > partTarget + 1e-5)).toEqual([]);
      const frameSeconds = samples / 8000;
      const off = parts.filter((d) => Math.abs(d / frameSeconds - Math.round(d / frameSeconds)) * frameSeconds > 1e-5);
      expect(off).toEqual([]);
      expect(stream.stats.droppedFrames).toBe(0);
      stream.close();
    },
  );
});
