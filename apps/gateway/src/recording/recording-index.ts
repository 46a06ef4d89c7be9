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
 * 60 s: the longest segment the index takes (a recorder cuts at keyframes every few seconds, and
 * forces a cut long before this). It bounds the time range a lookup scans back from: a segment
 * overlapping time t starts after t - 60 s.
 */
export const MAX_SEGMENT_MS = 60_000;
/**
 * 1 s: a segment starting within this of the previous segment's end (same epoch) continues its
 * span; camera clocks jitter by a few frames, a gap a viewer would notice is longer.
 */
export const SPAN_TOLERANCE_MS = 1000;

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
      const file = this.file(segment.fileId);
      if (changed !== 1 || file?.camera !== segment.camera || file.sealed || file.bytes !== end)
        throw errors.recordingIndex(
          `segment at ${segment.offset} does not follow file ${segment.fileId}'s indexed end`,
        );
      if (!(segment.durationMs > 0 && segment.durationMs <= MAX_SEGMENT_MS))
        throw errors.recordingIndex(`a segment of ${segment.durationMs} ms (at most ${MAX_SEGMENT_MS})`);
      this.#insertSegment.run(segment);
      this.#extendSpans(segment);
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

  /** The highest epoch among `camera`'s segments (-1 with none; a span has its segments' epoch): a recorder starting anew counts on from it. */
  maxEpoch(camera: string): number {
    const row = this.#db.prepare('SELECT MAX(epoch) AS epoch FROM spans WHERE camera = ?').get(camera) as {
      epoch: number | null;
    };
    return row.epoch ?? -1;
  }

  /** The cameras that have recordings. */
  cameras(): string[] {
    return (
      this.#db.prepare('SELECT DISTINCT camera FROM files ORDER BY camera').all() as Array<{ camera: string }>
    ).map((row) => row.camera);
  }

  /** Forgets a file and its segments (retention; the file is deleted after), and their time in the spans. */
  deleteFile(id: number): void {
    this.#db.transaction(() => {
      const file = this.file(id);
      const range = this.#db
        .prepare('SELECT MIN(start_ms) AS start, MAX(start_ms + duration_ms) AS end FROM segments WHERE file_id = ?')
        .get(id) as { start: number | null; end: number | null };
      this.#db.prepare('DELETE FROM files WHERE id = ?').run(id);
      if (file !== undefined && range.start !== null && range.end !== null)
        this.#cutSpans(file.camera, range.start, range.end);
    })();
  }

  /** A committed segment extends its camera's latest span, or starts a new one. */
  #extendSpans(segment: RecordedSegment): void {
    const end = segment.startMs + segment.durationMs;
    const last = this.#latestSpan.get(segment.camera) as { id: number; endMs: number; epoch: number } | undefined;
    const continues =
      last?.epoch === segment.epoch &&
      segment.startMs - last.endMs <= SPAN_TOLERANCE_MS &&
      segment.startMs >= last.endMs - SPAN_TOLERANCE_MS;
    if (continues) this.#extendSpan.run(end, last.id);
    else this.#insertSpan.run(segment.camera, segment.startMs, end, segment.epoch);
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
    return (
      this.#db
        .prepare(
          `SELECT s.id, s.camera, s.file_id AS fileId, s.offset, s.length, s.start_ms AS startMs,
                s.duration_ms AS durationMs, s.init, s.epoch, f.path
         FROM segments s JOIN files f ON f.id = s.file_id
         WHERE s.camera = ? AND s.start_ms > ? AND s.start_ms < ? AND s.start_ms + s.duration_ms > ?
         ORDER BY s.start_ms, s.id`,
        )
        // A segment overlapping startMs began less than MAX_SEGMENT_MS before it: the range scan starts there.
        .all(camera, startMs - MAX_SEGMENT_MS, endMs, startMs) as IndexedSegment[]
    );
  }

  /**
   * The recorded spans of `camera` overlapping [startMs, endMs), in time order: runs of segments
   * of one epoch, each starting within {@link SPAN_TOLERANCE_MS} of the previous one's end. Kept
   * in their own table as segments come and go, so a month's timeline reads a few rows.
   */
  spans(camera: string, startMs: number, endMs: number): RecordedSpan[] {
    return this.#db
      .prepare(
        `SELECT start_ms AS startMs, end_ms AS endMs FROM spans
         WHERE camera = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms`,
      )
      .all(camera, startMs, endMs) as RecordedSpan[];
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
