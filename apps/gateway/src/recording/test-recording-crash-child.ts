/**
 * A child process for recording-files.test.ts: appends segments of known bytes to one camera's
 * files as fast as it can, and says on stdout how many were acknowledged (`acked N`) until killed.
 * Segment i is `i` repeated over `SIZE` bytes, in three chunks, an hour per 100 segments.
 */
import { RecordingFiles } from './recording-files.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';

const [root] = process.argv.slice(2) as [string];
const SIZE = 64 * 1024;
const index = await SqliteRecordingIndex.open(`${root}/index.sqlite`);
const files = new RecordingFiles(root, index);
await files.recover();
const writer = files.writer('cam1');
const init = await files.storeInit(Uint8Array.of(1, 2, 3));
for (let i = 0; ; i++) {
  const bytes = new Uint8Array(SIZE).fill(i & 0xff);
  await writer.append({
    chunks: [bytes.subarray(0, 1000), bytes.subarray(1000, 40_000), bytes.subarray(40_000)],
    startMs: Date.UTC(2026, 11, 6) + Math.floor(i / 100) * 3_600_000 + (i % 100) * 2000,
    durationMs: 2000,
    init,
    epoch: 0,
  });
  process.stdout.write(`acked ${i + 1}\n`);
}
