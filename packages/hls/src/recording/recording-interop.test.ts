import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEntryOf } from '@camgate/fmp4';
import {
  aacTestStream,
  type EncodedTrack,
  inspectWithMp4box,
  requireTools,
  runProcess,
  videoTestStream,
} from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HlsFrame, HlsTrack } from '../types.js';
import { RecordingSegmenter, type RecordedMedia } from './recording-segmenter.js';

/**
 * ffmpeg decodes a recording (init + muxed fragments, as the recorder stores them in one file per
 * hour) made from real encoder output, every error fatal: B-frames, open GOPs and H.265 across
 * the recorder's cuts.
 */

const WALLCLOCK = Date.UTC(2026, 10, 23, 12, 0, 0);
/** The 2 s test streams looped to 16 s: two recorded segments and a part of a third. */
const LOOPS = 8;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-recording-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function trackOf(kind: 'video' | 'audio', encoded: EncodedTrack): HlsTrack {
  const entry = sampleEntryOf(encoded.config);
  const { width, height, sampleRate, channels } = entry;
  return { kind, config: encoded.config, clockRate: encoded.timescale, width, height, sampleRate, channels };
}

/** `encoded`'s samples repeated to cover `seconds`, as frames on their track's clock. */
function framesOf(kind: 'video' | 'audio', encoded: EncodedTrack, period: number, seconds: number): HlsFrame[] {
  const frames: HlsFrame[] = [];
  for (let n = 0; n * period < seconds * encoded.timescale; n++) {
    for (const s of encoded.samples) {
      const dts = s.dts + n * period;
      if (dts >= seconds * encoded.timescale) break;
      const wallclock = WALLCLOCK + (dts / encoded.timescale) * 1000;
      frames.push({
        kind,
        dts,
        pts: s.pts + n * period,
        keyframe: s.sync,
        discontinuity: false,
        wallclock,
        data: s.data,
      });
    }
  }
  return frames;
}

describe('ffmpeg decodes recorded segments', () => {
  it.for<[name: string, video: string, audio: string | undefined]>([
    ['H.264 High with B-frames in a pyramid + AAC-LC', 'h264-high-bpyramid', 'aac-lc-48k-stereo'],
    ['H.265 Main, open GOP + AAC-LC', 'h265-main', 'aac-lc-48k-stereo'],
  ])('%s', async ([name, videoName, audioName], ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const video = videoTestStream(videoName);
    const seconds = LOOPS * 2;
    const frames = framesOf('video', video, 2 * video.timescale, seconds);
    const segments: RecordedMedia[] = [];
    const recorder = new RecordingSegmenter({ onSegment: (m) => segments.push(m) });
    recorder.setTrack(trackOf('video', video));
    let audioFrames = 0;
    if (audioName !== undefined) {
      const audio = aacTestStream(audioName);
      recorder.setTrack(trackOf('audio', audio));
      const looped = framesOf('audio', audio, audio.samples.length * 1024, seconds);
      audioFrames = looped.length;
      frames.push(...looped);
      const time = (f: HlsFrame) => f.dts / (f.kind === 'video' ? video.timescale : audio.timescale);
      frames.sort((a, b) => time(a) - time(b));
    }
    for (const frame of frames) recorder.push(frame);
    recorder.end();
    expect(segments.length).toBe(3);
    inspectWithMp4box(
      segments[0]!.init,
      segments.map((s) => s.fragment),
    );

    const file = join(dir, `${name.replace(/\W+/g, '-')}.mp4`);
    await writeFile(file, Buffer.concat([segments[0]!.init, ...segments.map((s) => s.fragment)]));
    const result = await runProcess(
      ffmpeg,
      ['-v', 'error', '-err_detect', 'explode', '-xerror', '-i', file, '-map', '0', '-f', 'framemd5', '-'],
      { timeoutMs: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => /^\d+,/.test(l));
    expect(lines.filter((l) => l.startsWith('0,')).length).toBe(frames.length - audioFrames);
    expect(lines.filter((l) => l.startsWith('1,')).length).toBe(audioFrames);
  });
});
