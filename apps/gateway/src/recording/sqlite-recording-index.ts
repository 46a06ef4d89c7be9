/**
 * The recordings index in SQLite (recording-index.ts), the single node's: a file beside the
 * recordings, through better-sqlite3 (an optional native dependency: without it, recording is
 * unavailable and says why). Its calls are synchronous underneath (a commit is a fraction of a
 * millisecond, benchmarks.md "The recordings index"); they answer as promises, as PostgreSQL's do.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { isCodedError } from '@camgate/bits';
import { errors, GatewayErrorCode } from '../errors.js';
import {
  continuedSpan,
  MAX_SEGMENT_MS,
  segmentProblem,
  type FileCursor,
  type IndexedSegment,
  type RecordedSegment,
  type RecordedSpan,
  type RecordingFile,
  type RecordingIndex,
} from './recording-index.js';

/** The node a single gateway's files are on. */
export const LOCAL_NODE = 'local';

/**
 * Schema versions, applied in order inside a transaction (PRAGMA user_version counts them). A
 * database from a newer camgate is refused rather than guessed at.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE files (
     id INTEGER PRIMARY KEY,
     camera TEXT NOT NULL,
     path TEXT NOT NULL UNIQUE,
     created_ms INTEGER NOT NULL,
     bytes INTEGER NOT NULL DEFAULT 0,
     sealed INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX files_camera_created ON files (camera, created_ms);
   CREATE TABLE segments (
     id INTEGER PRIMARY KEY,
     camera TEXT NOT NULL,
     file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
     offset INTEGER NOT NULL,
     length INTEGER NOT NULL,
     start_ms INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     init TEXT NOT NULL,
     epoch INTEGER NOT NULL
   );
   CREATE INDEX segments_camera_start ON segments (camera, start_ms);
   CREATE INDEX segments_file ON segments (file_id);
   -- Recorded spans, kept as segments are added and files deleted: a month's timeline is a few rows.
   CREATE TABLE spans (
     id INTEGER PRIMARY KEY,
     camera TEXT NOT NULL,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER NOT NULL,
     epoch INTEGER NOT NULL
   );
   CREATE INDEX spans_camera_end ON spans (camera, end_ms);`,
];

interface FileRow {
  id: number;
  camera: string;
  path: string;
  created_ms: number;
  bytes: number;
  sealed: number;
}

const fileOf = (row: FileRow): RecordingFile => ({
  id: row.id,
  camera: row.camera,
  node: LOCAL_NODE,
  path: row.path,
  createdMs: row.created_ms,
  bytes: row.bytes,
  sealed: row.sealed !== 0,
});

export class SqliteRecordingIndex implements RecordingIndex {
  readonly node = LOCAL_NODE;
  readonly #db: BetterSqlite3.Database;
  readonly #insertFile: BetterSqlite3.Statement;
  readonly #insertSegment: BetterSqlite3.Statement;
  readonly #setFileBytes: BetterSqlite3.Statement;
  readonly #latestSpan: BetterSqlite3.Statement;
  readonly #extendSpan: BetterSqlite3.Statement;
  readonly #insertSpan: BetterSqlite3.Statement;
  readonly #addSegment: (segment: RecordedSegment) => void;

  private constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#insertFile = db.prepare(
      'INSERT INTO files (camera, path, created_ms) VALUES (?, ?, ?) RETURNING id, camera, path, created_ms, bytes, sealed',
    );
    this.#insertSegment = db.prepare(
      `INSERT INTO segments (camera, file_id, offset, length, start_ms, duration_ms, init, epoch)
       VALUES (@camera, @fileId, @offset, @length, @startMs, @durationMs, @init, @epoch)`,
    );
    this.#setFileBytes = db.prepare('UPDATE files SET bytes = ? WHERE id = ? AND bytes = ?');
    this.#latestSpan = db.prepare(
      'SELECT id, end_ms AS endMs, epoch FROM spans WHERE camera = ? ORDER BY end_ms DESC LIMIT 1',
    );
    this.#extendSpan = db.prepare('UPDATE spans SET end_ms = MAX(end_ms, ?) WHERE id = ?');
    this.#insertSpan = db.prepare('INSERT INTO spans (camera, start_ms, end_ms, epoch) VALUES (?, ?, ?, ?)');
    this.#addSegment = db.transaction((segment: RecordedSegment) => {
      const end = segment.offset + segment.length;
      // A segment goes at the indexed end of an unsealed file of its camera: anything else is a bug
      // in the writer, and a row pointing at bytes another segment holds would corrupt playback.
      const changed = this.#setFileBytes.run(end, segment.fileId, segment.offset).changes;
      const file = this.#file(segment.fileId);
      if (changed !== 1 || file?.camera !== segment.camera || file.sealed || file.bytes !== end)
        throw errors.recordingIndex(
          `segment at ${segment.offset} does not follow file ${segment.fileId}'s indexed end`,
        );
      const problem = segmentProblem(segment);
      if (problem !== undefined) throw errors.recordingIndex(problem);
      const { camera, fileId, offset, length, startMs, durationMs, init, epoch } = segment;
      this.#insertSegment.run({ camera, fileId, offset, length, startMs, durationMs, init, epoch });
      const last = this.#latestSpan.get(segment.camera) as { id: number; endMs: number; epoch: number } | undefined;
      const continued = continuedSpan(last, segment);
      if (continued !== undefined) this.#extendSpan.run(startMs + durationMs, continued.id);
      else this.#insertSpan.run(camera, startMs, startMs + durationMs, epoch);
    });
  }

  /**
   * Opens (or creates) the index at `path` (':memory:' for tests). Throws
   * CAMGATE_ERR_RECORDING_UNAVAILABLE when better-sqlite3 is not installed (no C++ compiler when
   * camgate was installed) or the database cannot be opened.
   */
  static async open(path: string): Promise<SqliteRecordingIndex> {
    let Database: typeof BetterSqlite3;
    try {
      Database = (await import('better-sqlite3')).default;
    } catch (err) {
      throw errors.recordingUnavailable(
        'the SQLite module (better-sqlite3) is not installed: it is built when camgate is installed, which needs a C++ compiler (Debian: build-essential, python3)',
        err,
      );
    }
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      // FULL: a committed row survives a power cut too, not only a crash of the process.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
      return new SqliteRecordingIndex(db);
    } catch (err) {
      db?.close();
      if (isCodedError(err, GatewayErrorCode.RECORDING_UNAVAILABLE)) throw err;
      throw errors.recordingUnavailable(`the recordings index ${path} cannot be opened`, err);
    }
  }

  openFile(camera: string, path: string, createdMs: number): Promise<RecordingFile> {
    return answer(() => fileOf(this.#insertFile.get(camera, path, createdMs) as FileRow));
  }

  addSegment(segment: RecordedSegment): Promise<void> {
    return answer(() => this.#addSegment(segment));
  }

  sealFile(id: number): Promise<void> {
    return answer(() => {
      this.#db.prepare('UPDATE files SET sealed = 1 WHERE id = ?').run(id);
    });
  }

  file(id: number): Promise<RecordingFile | undefined> {
    return answer(() => this.#file(id));
  }

  #file(id: number): RecordingFile | undefined {
    const row = this.#db.prepare('SELECT * FROM files WHERE id = ?').get(id) as FileRow | undefined;
    return row === undefined ? undefined : fileOf(row);
  }

  unsealedFiles(): Promise<RecordingFile[]> {
    return answer(() =>
      (this.#db.prepare('SELECT * FROM files WHERE sealed = 0 ORDER BY id').all() as FileRow[]).map(fileOf),
    );
  }

  oldestFiles(limit: number, options: { camera?: string; after?: FileCursor } = {}): Promise<RecordingFile[]> {
    return answer(() => {
      const { camera, after } = options;
      const afterCreated = after?.createdMs ?? Number.MIN_SAFE_INTEGER;
      const afterId = after?.id ?? 0;
      const rows =
        camera === undefined
          ? this.#db
              .prepare(
                `SELECT * FROM files WHERE sealed = 1 AND (created_ms, id) > (?, ?)
                 ORDER BY created_ms, id LIMIT ?`,
              )
              .all(afterCreated, afterId, limit)
          : this.#db
              .prepare(
                `SELECT * FROM files WHERE sealed = 1 AND camera = ? AND (created_ms, id) > (?, ?)
                 ORDER BY created_ms, id LIMIT ?`,
              )
              .all(camera, afterCreated, afterId, limit);
      return (rows as FileRow[]).map(fileOf);
    });
  }

  filesEndedBefore(camera: string, cutoffMs: number, limit: number): Promise<RecordingFile[]> {
    return answer(() =>
      (
        this.#db
          .prepare(
            `SELECT f.* FROM files f
             WHERE f.sealed = 1 AND f.camera = ?
               AND COALESCE((SELECT MAX(s.start_ms + s.duration_ms) FROM segments s WHERE s.file_id = f.id), f.created_ms) < ?
             ORDER BY f.created_ms, f.id LIMIT ?`,
          )
          .all(camera, cutoffMs, limit) as FileRow[]
      ).map(fileOf),
    );
  }

  maxEpoch(camera: string): Promise<number> {
    return answer(() => {
      // A span has its segments' epoch, and there are far fewer of them.
      const row = this.#db.prepare('SELECT MAX(epoch) AS epoch FROM spans WHERE camera = ?').get(camera) as {
        epoch: number | null;
      };
      return row.epoch ?? -1;
    });
  }

  cameras(): Promise<string[]> {
    return answer(() =>
      (this.#db.prepare('SELECT DISTINCT camera FROM files ORDER BY camera').all() as Array<{ camera: string }>).map(
        (row) => row.camera,
      ),
    );
  }

  deleteFile(id: number): Promise<void> {
    return answer(() => {
      this.#db.transaction(() => {
        const file = this.#file(id);
        const range = this.#db
          .prepare('SELECT MIN(start_ms) AS start, MAX(start_ms + duration_ms) AS end FROM segments WHERE file_id = ?')
          .get(id) as { start: number | null; end: number | null };
        this.#db.prepare('DELETE FROM files WHERE id = ?').run(id);
        if (file !== undefined && range.start !== null && range.end !== null)
          this.#cutSpans(file.camera, range.start, range.end);
      })();
    });
  }

  /**
   * The segments of [start, end) are gone: each span overlapping it keeps what remains before
   * (up to the end of the last segment left there) and after (from the first segment left there).
   */
  #cutSpans(camera: string, start: number, end: number): void {
    const overlapping = this.#db
      .prepare(
        'SELECT id, start_ms AS startMs, end_ms AS endMs, epoch FROM spans WHERE camera = ? AND end_ms > ? AND start_ms < ?',
      )
      .all(camera, start, end) as Array<{ id: number; startMs: number; endMs: number; epoch: number }>;
    for (const span of overlapping) {
      this.#db.prepare('DELETE FROM spans WHERE id = ?').run(span.id);
      if (span.startMs < start) {
        const before = this.#db
          // The last segment before `start` ends latest (a camera's segments do not overlap): one index seek.
          .prepare(
            `SELECT start_ms + duration_ms AS endMs FROM segments
             WHERE camera = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms DESC LIMIT 1`,
          )
          .get(camera, span.startMs, start) as { endMs: number } | undefined;
        if (before !== undefined) this.#insertSpan.run(camera, span.startMs, before.endMs, span.epoch);
      }
      if (span.endMs > end) {
        const after = this.#db
          .prepare('SELECT MIN(start_ms) AS startMs FROM segments WHERE camera = ? AND start_ms >= ? AND start_ms < ?')
          .get(camera, start, span.endMs) as { startMs: number | null };
        if (after.startMs !== null) this.#insertSpan.run(camera, after.startMs, span.endMs, span.epoch);
      }
    }
  }

  bytes(camera?: string): Promise<number> {
    return answer(() => {
      const row = (
        camera === undefined
          ? this.#db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM files').get()
          : this.#db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM files WHERE camera = ?').get(camera)
      ) as { n: number };
      return row.n;
    });
  }

  segments(camera: string, startMs: number, endMs: number): Promise<IndexedSegment[]> {
    return answer(
      () =>
        this.#db
          .prepare(
            `SELECT s.id, s.camera, s.file_id AS fileId, s.offset, s.length, s.start_ms AS startMs,
                  s.duration_ms AS durationMs, s.init, s.epoch, f.path, '${LOCAL_NODE}' AS node
           FROM segments s JOIN files f ON f.id = s.file_id
           WHERE s.camera = ? AND s.start_ms > ? AND s.start_ms < ? AND s.start_ms + s.duration_ms > ?
           ORDER BY s.start_ms, s.id`,
          )
          // A segment overlapping startMs began less than MAX_SEGMENT_MS before it: the range scan starts there.
          .all(camera, startMs - MAX_SEGMENT_MS, endMs, startMs) as IndexedSegment[],
    );
  }

  spans(camera: string, startMs: number, endMs: number): Promise<RecordedSpan[]> {
    return answer(
      () =>
        this.#db
          .prepare(
            `SELECT start_ms AS startMs, end_ms AS endMs FROM spans
           WHERE camera = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms`,
          )
          .all(camera, startMs, endMs) as RecordedSpan[],
    );
  }

  close(): Promise<void> {
    return answer(() => {
      if (this.#db.open) this.#db.close();
    });
  }
}

/** A synchronous call's result (or throw) as a promise, as the index's callers take it. */
function answer<T>(call: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(call()));
}

function migrate(db: BetterSqlite3.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length)
    throw errors.recordingUnavailable(
      `the recordings index is of a newer camgate (schema ${version}, this one knows ${MIGRATIONS.length})`,
    );
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
