import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { mediaPath, RecordingFiles } from './recording-files.js';
import { Retention } from './retention.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';
import { fillSqliteIndex } from './test-index-benches.js';
import { sqliteAvailable } from './test-sqlite.js';

/**
 * Retention keeping up with 100 cameras (issue 15): each kept for a day (`maxAgeHours: 24`), so
 * every hour a pass deletes 100 hour files, one per camera, with their 600 segment rows each
 * (6 s segments) and their time in the spans. Each iteration is that hour's pass. The baseline, in
 * the same run, unlinks 100 files of the same size without an index: what deleting costs anyway.
 * Files are 256 KB here (an hour of a 4 Mbit/s camera is 1.8 GB: its unlink frees more extents).
 */
const CAMERAS = 100;
/** Hours recorded before the first pass: a pass per hour beyond the day kept. */
const HOURS = 24 + 30;
const SEGMENTS_PER_FILE = 600;
const FILE_BYTES = 256 * 1024;
const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;

let dir = '';
let index: SqliteRecordingIndex | undefined;
let retention: Retention | undefined;
let now = 0;
const spare: string[] = [];

beforeAll(async () => {
  if (!sqliteAvailable) return;
  dir = await mkdtemp(join(tmpdir(), 'camgate-retention-bench-'));
  const path = join(dir, 'index.sqlite');
  const paths: string[] = [];
  const step = HOUR / SEGMENTS_PER_FILE;
  const length = Math.floor(FILE_BYTES / SEGMENTS_PER_FILE);
  await fillSqliteIndex(path, ({ file, segment, span }) => {
    for (let c = 0; c < CAMERAS; c++) {
      const camera = `cam${c}`;
      for (let hour = 0; hour < HOURS; hour++) {
        const relative = mediaPath(camera, T0 + hour * HOUR, 0);
        paths.push(relative);
        const id = file(camera, relative, T0 + hour * HOUR, length * SEGMENTS_PER_FILE);
        for (let i = 0; i < SEGMENTS_PER_FILE; i++)
          segment(camera, id, i * length, length, T0 + hour * HOUR + i * step, step);
      }
      span(camera, T0, T0 + HOURS * HOUR);
    }
  });
  const bytes = new Uint8Array(FILE_BYTES);
  for (const relative of paths) {
    await mkdir(dirname(join(dir, relative)), { recursive: true });
    await writeFile(join(dir, relative), bytes);
  }
  // The baseline's files: as many as the passes will delete.
  await mkdir(join(dir, 'spare'));
  for (let n = 0; n < CAMERAS * (HOURS - 24); n++) {
    spare.push(join(dir, 'spare', `${n}.m4s`));
    await writeFile(spare[n] as string, bytes);
  }
  index = await SqliteRecordingIndex.open(path);
  const files = new RecordingFiles(dir, index);
  // The first pass (an hour later) finds the first hour files wholly a day old.
  now = T0 + 24 * HOUR + 1;
  retention = new Retention(files, { now: () => now, policyOf: () => ({ maxAgeHours: 24 }) });
}, 600_000);

afterAll(async () => {
  await index?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!sqliteAvailable)(`retention: ${CAMERAS} cameras, an hour file each per hour`, () => {
  const options = { iterations: HOURS - 24 - 5, warmupIterations: 5, time: 0, warmupTime: 0 };
  bench(
    `baseline: unlink ${CAMERAS} files`,
    async () => {
      const batch = spare.splice(0, CAMERAS);
      if (batch.length !== CAMERAS) throw new Error('the baseline ran out of files');
      for (const path of batch) await rm(path);
    },
    options,
  );
  bench(
    `an hour's pass: ${CAMERAS} files, their rows and spans`,
    async () => {
      now += HOUR;
      const report = await (retention as Retention).run();
      if (report.removedFiles !== CAMERAS) throw new Error(`removed ${report.removedFiles} files, not ${CAMERAS}`);
    },
    options,
  );
});
