// Test support for the recordings index benchmarks: the month of one camera both engines' benches
// fill, and the queries a viewer's page makes of it, registered once per engine.
import { bench } from 'vitest';
import type { RecordedSegment, RecordingIndex } from './recording-index.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';

/** Rows a fixture inserts straight into the SQLite schema (files sealed, epoch 0). */
export interface SqliteFixtureRows {
  /** A sealed file; its id. */
  file: (camera: string, path: string, createdMs: number, bytes: number) => number;
  segment: (
    camera: string,
    fileId: number,
    offset: number,
    length: number,
    startMs: number,
    durationMs: number,
  ) => void;
  span: (camera: string, startMs: number, endMs: number) => void;
}

/**
 * Creates a SQLite index at `path` and fills it in one transaction through `fill`, straight into the
 * schema (a million commits would take an hour).
 */
export async function fillSqliteIndex(path: string, fill: (rows: SqliteFixtureRows) => void): Promise<void> {
  await (await SqliteRecordingIndex.open(path)).close();
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  try {
    const file = db.prepare('INSERT INTO files (camera, path, created_ms, bytes, sealed) VALUES (?, ?, ?, ?, 1)');
    const segment = db.prepare(
      `INSERT INTO segments (camera, file_id, offset, length, start_ms, duration_ms, init, epoch)
       VALUES (?, ?, ?, ?, ?, ?, 'init/a.mp4', 0)`,
    );
    const span = db.prepare('INSERT INTO spans (camera, start_ms, end_ms, epoch) VALUES (?, ?, ?, 0)');
    db.transaction(() =>
      fill({
        file: (camera, path, createdMs, bytes) => Number(file.run(camera, path, createdMs, bytes).lastInsertRowid),
        segment: (...args) => segment.run(...args),
        span: (...args) => span.run(...args),
      }),
    )();
  } finally {
    db.close();
  }
}

/** Days of one camera in the fixture (CAMGATE_BENCH_DAYS to shorten a trial run). */
export const BENCH_DAYS = Number(process.env['CAMGATE_BENCH_DAYS'] ?? 30);
export const BENCH_SEGMENT_MS = 2000;
export const BENCH_T0 = Date.UTC(2026, 10, 1);
export const HOUR = 3_600_000;

/**
 * The benches of one engine, inside its `describe`: the baseline (`baseline` reads the month's
 * rows, through the index or `readMonth`), the spans of the month and of a day, the segments of an hour, and a commit of one
 * segment at the end of the file `writeTo` gives (with the segment's other fields in `segment`).
 */
export function indexBenches(
  index: () => RecordingIndex,
  options: {
    baseline: string;
    /** What the baseline reads (default: the month's segments through the index). */
    readMonth?: () => Promise<unknown>;
    commit: string;
    writeTo: () => { fileId: number; startMs: number };
  } & Partial<Pick<RecordedSegment, 'leaseEpoch'>>,
): void {
  const end = BENCH_T0 + BENCH_DAYS * 24 * HOUR;
  let offset = 0;
  let at: number | undefined;
  bench(options.baseline, async () => {
    await (options.readMonth?.() ?? index().segments('cam1', BENCH_T0, end));
  });
  bench('spans of the month', async () => {
    await index().spans('cam1', BENCH_T0, end);
  });
  bench('spans of a day', async () => {
    await index().spans('cam1', BENCH_T0 + 10 * 24 * HOUR, BENCH_T0 + 11 * 24 * HOUR);
  });
  bench('segments of an hour (a VOD playlist)', async () => {
    await index().segments('cam1', BENCH_T0 + 100 * HOUR, BENCH_T0 + 101 * HOUR);
  });
  bench(options.commit, async () => {
    const file = options.writeTo();
    at ??= file.startMs;
    await index().addSegment({
      camera: 'cam1',
      fileId: file.fileId,
      offset,
      length: 1000,
      startMs: at,
      durationMs: BENCH_SEGMENT_MS,
      init: 'init/a.mp4',
      epoch: 0,
      ...(options.leaseEpoch === undefined ? {} : { leaseEpoch: options.leaseEpoch }),
    });
    offset += 1000;
    at += BENCH_SEGMENT_MS;
  });
}
