import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HlsStream, RecordingSegmenter, type HlsFrame, type HlsTrack } from '@camgate/hls';
import { aacTestStream, videoTestStream } from '@camgate/testkit';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { Recorder } from './recorder.js';
import { RecordingFiles } from './recording-files.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';
import { cameraSecond, testNal } from './test-camera-frames.js';
import { sqliteAvailable } from './test-sqlite.js';

/**
 * What recording costs per camera: a minute of one 4 Mbit/s camera (25 fps, a keyframe a second
 * of 100 KB, other frames 18 KB, AAC 48 kHz) through the recorder, against the baseline in the same
 * run: the live HlsStream every camera already has, fed the same frames. Three steps: cutting
 * alone (RecordingSegmenter: copying frames, writing fragments), and the whole Recorder writing
 * to a temporary directory (an fdatasync and an index commit per 6 s segment), whose time gives
 * the write throughput.
 */
const SECONDS = 60;
const WALLCLOCK = Date.UTC(2026, 11, 7, 3, 0, 0);
const video = videoTestStream('h264-main-bf2');
const audio = aacTestStream('aac-lc-48k-stereo');
const VIDEO: HlsTrack = { kind: 'video', config: video.config, clockRate: 90_000, width: 320, height: 240, fps: 25 };
const AUDIO: HlsTrack = { kind: 'audio', config: audio.config, clockRate: 48_000, sampleRate: 48_000, channels: 2 };

/** A minute of the camera, frames of both tracks in the order of their times. */
function minuteOfFrames(): HlsFrame[] {
  const media = {
    keyframe: testNal(100_000, 0x65),
    frame: testNal(18_000, 0x41, 7),
    aac: (audio.samples[0] as { data: Uint8Array }).data,
    wallclockStart: WALLCLOCK,
  };
  const time = (f: HlsFrame) => f.dts / (f.kind === 'video' ? 90_000 : 48_000);
  return Array.from({ length: SECONDS }, (_, n) => cameraSecond(n, media))
    .flat()
    .sort((a, b) => time(a) - time(b));
}

const frames = minuteOfFrames();
const mediaBytes = frames.reduce((n, f) => n + f.data.length, 0);
let dir = '';
let files: RecordingFiles | undefined;
let camera = 0;

beforeAll(async () => {
  process.stdout.write(`recorder: ${SECONDS} s of one camera, ${(mediaBytes / 1e6).toFixed(1)} MB of media\n`);
  if (!sqliteAvailable) return;
  dir = await mkdtemp(join(tmpdir(), 'camgate-recorder-bench-'));
  files = new RecordingFiles(dir, await SqliteRecordingIndex.open(join(dir, 'index.sqlite')));
});

afterAll(async () => {
  await files?.index.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe(`recording ${SECONDS} s of one 4 Mbit/s camera`, () => {
  bench('baseline: the live HlsStream packages it', () => {
    const stream = new HlsStream({ partDurationMs: 200, segmentDurationMs: 2000 });
    stream.setTrack(VIDEO);
    stream.setTrack(AUDIO);
    for (const frame of frames) stream.push(frame);
    stream.close();
  });

  bench('RecordingSegmenter cuts it (no disk)', () => {
    const segmenter = new RecordingSegmenter({ onSegment: () => undefined });
    segmenter.setTrack(VIDEO);
    segmenter.setTrack(AUDIO);
    for (const frame of frames) segmenter.push(frame);
    segmenter.end();
  });

  bench.skipIf(!sqliteAvailable)(
    'Recorder writes it to disk (fdatasync and index commit per segment)',
    async () => {
      const recorder = new Recorder(`cam${camera++}`, files as RecordingFiles, { epochBase: 0 });
      recorder.setTrack(VIDEO);
      recorder.setTrack(AUDIO);
      for (const frame of frames) recorder.push(frame);
      await recorder.stop();
    },
    { iterations: 10 },
  );
});
