import { bench, describe } from 'vitest';
import { READ_BUFFER_BYTES } from './rtsp-connection.js';
import { makeRecording, receivePath } from './test-recording.js';

// 10 s of a 1080p 4 Mbit/s H.264 + AAC camera over RTSP/TCP interleaved (~5.3 MB in 64 KiB reads).
const recording = makeRecording(10);
const target = Buffer.allocUnsafe(READ_BUFFER_BYTES);
let sink = 0;

describe(`RTSP receive path, 10 s of 1080p 4 Mbit/s H.264 + AAC (${(recording.bytes / 1e6).toFixed(2)} MB)`, () => {
  bench('baseline: Buffer.copy of the same reads into one 64 KiB buffer', () => {
    for (const chunk of recording.chunks) sink += chunk.copy(target);
  });
  // The session's own classes (MessageReader, InterleavedDemux, TrackReceiver), each read copied into
  // one reused read buffer first, as the connection's onread does: the baseline's copy plus the protocol.
  bench('camgate: interleaved bytes to frames (what RtspSession runs)', () => {
    const { read } = receivePath([recording.video, recording.audio], (frame) => (sink += frame.data.length));
    for (const chunk of recording.chunks) read(chunk);
  });
});
