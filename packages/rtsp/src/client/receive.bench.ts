import { bench, describe } from 'vitest';
import { createReceivePipeline } from './receive-pipeline.js';
import { makeRecording } from './test-recording.js';

// 10 s of a 1080p 4 Mbit/s H.264 + AAC camera over RTSP/TCP interleaved (~5.3 MB in 64 KiB reads).
const recording = makeRecording(10);
const target = Buffer.allocUnsafe(64 * 1024);
let sink = 0;

describe(`RTSP receive path, 10 s of 1080p 4 Mbit/s H.264 + AAC (${(recording.bytes / 1e6).toFixed(2)} MB)`, () => {
  bench('baseline: Buffer.copy of the same reads', () => {
    for (const chunk of recording.chunks) sink += chunk.copy(target);
  });
  bench('camgate: interleaved bytes to frames', () => {
    const { reader } = createReceivePipeline(
      [recording.video, recording.audio],
      (frame) => (sink += frame.data.length),
    );
    for (const chunk of recording.chunks) reader.feed(chunk);
  });
});
