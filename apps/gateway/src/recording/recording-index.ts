/**
 * The recordings index (issue 15): which media files hold which recorded segments of which camera,
 * so that listing, playback and retention query rows instead of scanning directories
 * (mediamtx#5094: `/list` slow because it walks the filesystem). SQLite in the embedded default,
 * through better-sqlite3 (an optional native dependency: without it, recording is unavailable and
 * says why).
 *
 * Crash safety rests on one order: a segment's bytes are written and fdatasync'd before its row is
 * committed, and a file's indexed end (`files.bytes`) moves in the same transaction as the row.
 * After a crash, bytes past a file's indexed end are a segment that was never acknowledged, and
 * are cut off (RecordingFiles.recover).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { isCodedError } from '@camgate/bits';
import { errors, GatewayErrorCode } from '../errors.js';

/** A media file of one camera: whole CMAF fragments appended, one segment after another. */
export interface RecordingFile {
  id: number;
  camera: string;
  /** Relative to the recordings directory. */
  path: string;
  createdMs: number;
  /** Bytes indexed: the end of the file's last committed segment. */
  bytes: number;
  /** No more segments will be appended (the writer moved on, or recovery closed it). */
  sealed: boolean;
}

/** One recorded segment: `length` bytes at `offset` of a file, starting with a keyframe. */
export interface RecordedSegment {
  camera: string;
  fileId: number;
  offset: number;
  length: number;
  /** Wall clock of its first frame (its PROGRAM-DATE-TIME), ms since the epoch. */
  startMs: number;
  durationMs: number;
  /** The init segment it plays with (relative path of a content-addressed file). */
  init: string;
  /** Segments of one epoch follow each other without a discontinuity (a reconnect starts another). */
  epoch: number;
}

/** A recorded segment with the path of its file, for playback. */
export interface IndexedSegment extends RecordedSegment {
  id: number;
  path: string;
}

/** A stretch of recording without a gap. */
export interface RecordedSpan {
  startMs: number;
  endMs: number;
}

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
   CREATE INDEX segments_file ON segments (file_id);`,
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
  path: row.path,
  createdMs: row.created_ms,
  bytes: row.bytes,
  sealed: row.sealed !== 0,
});

export class RecordingIndex {
  readonly #db: BetterSqlite3.Database;
  readonly #insertFile: BetterSqlite3.Statement;
  readonly #insertSegment: BetterSqlite3.Statement;
  readonly #setFileBytes: BetterSqlite3.Statement;
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
    this.#addSegment = db.transaction((segment: RecordedSegment) => {
      const end = segment.offset + segment.length;
      // A segment goes at the indexed end of an unsealed file of its camera: anything else is a bug
      // in the writer, and a row pointing at bytes another segment holds would corrupt playback.
      const changed = this.#setFileBytes.run(end, segment.fileId, segment.offset).changes;
      const file = this.file(segment.fileId);
      if (changed !== 1 || file?.camera !== segment.camera || file.sealed || file.bytes !== end)
        throw errors.recordingIndex(
          `segment at ${segment.offset} does not follow file ${segment.fileId}'s indexed end`,
        );
      this.#insertSegment.run(segment);
    });
  }

  /**
   * Opens (or creates) the index at `path` (':memory:' for tests). Throws
   * CAMGATE_ERR_RECORDING_UNAVAILABLE when better-sqlite3 is not installed (no C++ compiler when
   * camgate was installed) or the database cannot be opened.
   */
  static async open(path: string): Promise<RecordingIndex> {
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
      return new RecordingIndex(db);
    } catch (err) {
      db?.close();
      if (isCodedError(err, GatewayErrorCode.RECORDING_UNAVAILABLE)) throw err;
      throw errors.recordingUnavailable(`the recordings index ${path} cannot be opened`, err);
    }
  }

  /** Registers a new media file of `camera`, before its first byte is written. */
  openFile(camera: string, path: string, createdMs: number): RecordingFile {
    return fileOf(this.#insertFile.get(camera, path, createdMs) as FileRow);
  }

  /** Commits a segment whose bytes are on disk (written and fdatasync'd) at the file's indexed end. */
  addSegment(segment: RecordedSegment): void {
    this.#addSegment(segment);
  }

  /** No more segments go into this file. */
  sealFile(id: number): void {
    this.#db.prepare('UPDATE files SET sealed = 1 WHERE id = ?').run(id);
  }

  file(id: number): RecordingFile | undefined {
    const row = this.#db.prepare('SELECT * FROM files WHERE id = ?').get(id) as FileRow | undefined;
    return row === undefined ? undefined : fileOf(row);
  }

  /** Files a writer had open when the process stopped: recovery cuts them at their indexed end. */
  unsealedFiles(): RecordingFile[] {
    return (this.#db.prepare('SELECT * FROM files WHERE sealed = 0 ORDER BY id').all() as FileRow[]).map(fileOf);
  }

  /** Sealed files, oldest first (by their first segment's time), of one camera or of all: what retention deletes. */
  oldestFiles(limit: number, camera?: string): RecordingFile[] {
    const rows =
      camera === undefined
        ? this.#db.prepare('SELECT * FROM files WHERE sealed = 1 ORDER BY created_ms, id LIMIT ?').all(limit)
        : this.#db
            .prepare('SELECT * FROM files WHERE sealed = 1 AND camera = ? ORDER BY created_ms, id LIMIT ?')
            .all(camera, limit);
    return (rows as FileRow[]).map(fileOf);
  }

  /**
   * Sealed files of `camera` whose every segment ended before `cutoffMs` (a file with none: created
   * before it), oldest first: what retention by age deletes.
   */
  filesEndedBefore(camera: string, cutoffMs: number, limit: number): RecordingFile[] {
    return (
      this.#db
        .prepare(
          `SELECT f.* FROM files f
           WHERE f.sealed = 1 AND f.camera = ?
             AND COALESCE((SELECT MAX(s.start_ms + s.duration_ms) FROM segments s WHERE s.file_id = f.id), f.created_ms) < ?
           ORDER BY f.created_ms, f.id LIMIT ?`,
        )
        .all(camera, cutoffMs, limit) as FileRow[]
    ).map(fileOf);
  }

  /** The cameras that have recordings. */
  cameras(): string[] {
    return (
      this.#db.prepare('SELECT DISTINCT camera FROM files ORDER BY camera').all() as Array<{ camera: string }>
    ).map((row) => row.camera);
  }

  /** Forgets a file and its segments (retention; the file is deleted after). */
  deleteFile(id: number): void {
    this.#db.prepare('DELETE FROM files WHERE id = ?').run(id);
  }

  /** Bytes indexed, of one camera or of all. */
  bytes(camera?: string): number {
    const row = (
      camera === undefined
        ? this.#db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM files').get()
        : this.#db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM files WHERE camera = ?').get(camera)
    ) as { n: number };
    return row.n;
  }

  /** The segments of `camera` that overlap [startMs, endMs), in time order. */
  segments(camera: string, startMs: number, endMs: number): IndexedSegment[] {
    return this.#db
      .prepare(
        `SELECT s.id, s.camera, s.file_id AS fileId, s.offset, s.length, s.start_ms AS startMs,
                s.duration_ms AS durationMs, s.init, s.epoch, f.path
         FROM segments s JOIN files f ON f.id = s.file_id
         WHERE s.camera = ? AND s.start_ms < ? AND s.start_ms + s.duration_ms > ?
         ORDER BY s.start_ms, s.id`,
      )
      .all(camera, endMs, startMs) as IndexedSegment[];
  }

  /**
   * The recorded spans of `camera` overlapping [startMs, endMs): runs of segments of one epoch each
   * starting within `toleranceMs` of the previous one's end (gaps-and-islands, in SQL over the
   * (camera, start_ms) index, so a month of one camera is one indexed range scan).
   */
  spans(camera: string, startMs: number, endMs: number, toleranceMs: number): RecordedSpan[] {
    return this.#db
      .prepare(
        `WITH ordered AS (
           SELECT start_ms, start_ms + duration_ms AS end_ms, epoch,
                  LAG(start_ms + duration_ms) OVER w AS previous_end, LAG(epoch) OVER w AS previous_epoch
           FROM segments
           WHERE camera = @camera AND start_ms < @endMs AND start_ms + duration_ms > @startMs
           WINDOW w AS (ORDER BY start_ms, id)
         ),
         islands AS (
           SELECT start_ms, end_ms,
                  SUM(CASE WHEN previous_end IS NULL OR epoch != previous_epoch
                             OR start_ms - previous_end > @toleranceMs THEN 1 ELSE 0 END)
                    OVER (ORDER BY start_ms ROWS UNBOUNDED PRECEDING) AS island
           FROM ordered
         )
         SELECT MIN(start_ms) AS startMs, MAX(end_ms) AS endMs FROM islands GROUP BY island ORDER BY startMs`,
      )
      .all({ camera, startMs, endMs, toleranceMs }) as RecordedSpan[];
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
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
