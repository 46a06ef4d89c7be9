import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';
import { sqliteAvailable } from './test-sqlite.js';
import { BENCH_DAYS, BENCH_SEGMENT_MS, BENCH_T0, fillSqliteIndex, HOUR, indexBenches } from './test-index-benches.js';

/**
 * The recordings index with a month of one camera: 2 s segments for 30 days (1,278,000 rows in
 * 720 hour files; the camera reboots every 6 hours and loses 5 minutes: 121 spans), as the
 * recorder would have left it (the spans as RecordingIndex.addSegment keeps them). The queries a viewer's page makes (the
 * spans of a day, of the month; the segments of an hour for a playlist) against the baseline in
 * the same run: reading the month's rows out of SQLite, what a listing without the span query
 * would have to do. And a commit of one segment (the recorder's per-segment cost: a transaction
 * with synchronous = FULL, one fsync of the WAL).
 */
const DAYS = BENCH_DAYS;
const SEGMENT_MS = BENCH_SEGMENT_MS;
const T0 = BENCH_T0;

let dir = '';
let index: SqliteRecordingIndex | undefined;
let writeFileId = 0;
let writeAt = 0;

beforeAll(async () => {
  if (!sqliteAvailable) return;
  dir = await mkdtemp(join(tmpdir(), 'camgate-index-bench-'));
  const path = join(dir, 'index.sqlite');
  await fillSqliteIndex(path, ({ file, segment, span }) => {
    let spanStart = T0;
    for (let hour = 0; hour < DAYS * 24; hour++) {
      const segments = HOUR / SEGMENT_MS;
      const id = file('cam1', `cam1/${hour}.m4s`, T0 + hour * HOUR, segments * 1_000_000);
      // A camera that reboots every 6 hours: its first 5 minutes after the reboot are missing.
      const first = hour % 6 === 5 ? (5 * 60_000) / SEGMENT_MS : 0;
      if (first > 0) span('cam1', spanStart, T0 + hour * HOUR);
      if (first > 0) spanStart = T0 + hour * HOUR + first * SEGMENT_MS;
      for (let i = first; i < segments; i++)
        segment('cam1', id, i * 1_000_000, 1_000_000, T0 + hour * HOUR + i * SEGMENT_MS, SEGMENT_MS);
    }
    span('cam1', spanStart, T0 + DAYS * 24 * HOUR);
  });
  index = await SqliteRecordingIndex.open(path);
  const open = await index.openFile('cam1', 'cam1/now.m4s', T0 + DAYS * 24 * HOUR);
  writeFileId = open.id;
  writeAt = open.createdMs;
  process.stdout.write(
    `index: ${DAYS} days of one camera, ${(await index.spans('cam1', T0, T0 + DAYS * 24 * HOUR)).length} spans\n`,
  );
}, 600_000);

afterAll(async () => {
  await index?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!sqliteAvailable)(`recordings index: ${DAYS} days of one camera`, () => {
  indexBenches(() => index as SqliteRecordingIndex, {
    baseline: 'baseline: read the month of rows out of SQLite',
    commit: 'commit one segment (synchronous = FULL)',
    writeTo: () => ({ fileId: writeFileId, startMs: writeAt }),
  });
});
