/**
 * The recordings index in PostgreSQL (recording-index.ts), a cluster's: every node's files in one
 * index (migrations/1700000000004_recordings.sql), each on the disk of the node that wrote it.
 *
 * A segment's row is fenced by the lease (docs/architecture.md, "Leases with fencing"): it is
 * taken only while the lease row names the recording node as owner with the segment's lease
 * epoch, and that lease row is locked FOR SHARE until the commit, so a claim by another node
 * (an UPDATE of the row) waits for it or comes first and makes it fail. A node that lost a camera
 * and still flushes what it had cut gets CAMGATE_ERR_RECORDING_FENCED; its rows never land in the
 * new owner's history.
 *
 * A camera's spans change from two sides (its owner adds segments, any node's retention deletes
 * files): both take the camera's transaction-level advisory lock first.
 */
import type pg from 'pg';
import { errors, GatewayError } from '../errors.js';
import type { PostgresDatabase } from '../store/postgres-database.js';
import { inTransaction } from '../store/postgres-store-support.js';
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

/** The first key of the camera locks (pg_advisory_xact_lock(int, int)): "camr" in ASCII, apart from the migration lock's. */
const SPAN_LOCK_CLASS = 0x63616d72;

/** A file row's columns, numbers as float8 (ms and byte counts are far below 2^53). */
const FILE_COLUMNS = `id::float8 AS id, node, camera, path, created_ms::float8 AS "createdMs", bytes::float8 AS bytes, sealed`;

export class PostgresRecordingIndex implements RecordingIndex {
  readonly node: string;
  readonly #db: PostgresDatabase;
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  /** The index of `database` (migrated by the gateway at start) as node `node` writes it. */
  constructor(database: PostgresDatabase, node: string) {
    this.#db = database;
    this.node = node;
  }

  async openFile(camera: string, path: string, createdMs: number): Promise<RecordingFile> {
    return this.#run(async (db) => {
      const { rows } = await db.query<RecordingFile>(
        `INSERT INTO camgate_recording_files (node, camera, path, created_ms) VALUES ($1, $2, $3, $4)
         RETURNING ${FILE_COLUMNS}`,
        [this.node, camera, path, createdMs],
      );
      return rows[0] as RecordingFile;
    });
  }

  async addSegment(segment: RecordedSegment): Promise<void> {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw errors.recordingIndex(problem);
    const leaseEpoch = segment.leaseEpoch;
    if (leaseEpoch === undefined) throw errors.recordingFenced(segment.camera, undefined);
    await this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SPAN_LOCK_CLASS, segment.camera]);
      const lease = await client.query(
        'SELECT 1 FROM camgate_leases WHERE camera_id = $1 AND owner = $2 AND epoch = $3 FOR SHARE',
        [segment.camera, this.node, leaseEpoch],
      );
      if (lease.rowCount !== 1) throw errors.recordingFenced(segment.camera, leaseEpoch);
      const fileEnd = segment.offset + segment.length;
      // A segment goes at the indexed end of an unsealed file of its camera on this node: anything
      // else is a bug in the writer, and a row pointing at bytes another segment holds would
      // corrupt playback.
      const moved = await client.query(
        `UPDATE camgate_recording_files SET bytes = $1
         WHERE id = $2 AND bytes = $3 AND camera = $4 AND node = $5 AND NOT sealed`,
        [fileEnd, segment.fileId, segment.offset, segment.camera, this.node],
      );
      if (moved.rowCount !== 1)
        throw errors.recordingIndex(
          `segment at ${segment.offset} does not follow file ${segment.fileId}'s indexed end`,
        );
      await client.query(
        `INSERT INTO camgate_recording_segments
           (camera, file_id, byte_offset, length, start_ms, duration_ms, init, epoch, lease_epoch)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          segment.camera,
          segment.fileId,
          segment.offset,
          segment.length,
          segment.startMs,
          segment.durationMs,
          segment.init,
          segment.epoch,
          leaseEpoch,
        ],
      );
      const latest = await client.query<{ id: string; endMs: number; epoch: number }>(
        `SELECT id, end_ms::float8 AS "endMs", epoch::float8 AS epoch FROM camgate_recording_spans
         WHERE camera = $1 ORDER BY end_ms DESC LIMIT 1`,
        [segment.camera],
      );
      const spanEnd = segment.startMs + segment.durationMs;
      const continued = continuedSpan(latest.rows[0], segment);
      if (continued === undefined) await insertSpan(client, segment.camera, segment.startMs, spanEnd, segment.epoch);
      else {
        await client.query('UPDATE camgate_recording_spans SET end_ms = greatest(end_ms, $1) WHERE id = $2', [
          spanEnd,
          continued.id,
        ]);
      }
    });
  }

  async sealFile(id: number): Promise<void> {
    await this.#run((db) => db.query('UPDATE camgate_recording_files SET sealed = true WHERE id = $1', [id]));
  }

  async file(id: number): Promise<RecordingFile | undefined> {
    return this.#run(async (db) => {
      const { rows } = await db.query<RecordingFile>(
        `SELECT ${FILE_COLUMNS} FROM camgate_recording_files WHERE id = $1`,
        [id],
      );
      return rows[0];
    });
  }

  async unsealedFiles(): Promise<RecordingFile[]> {
    return this.#files(
      `SELECT ${FILE_COLUMNS} FROM camgate_recording_files WHERE node = $1 AND NOT sealed ORDER BY id`,
      [this.node],
    );
  }

  async oldestFiles(limit: number, options: { camera?: string; after?: FileCursor } = {}): Promise<RecordingFile[]> {
    const { camera, after } = options;
    const [column, key] = camera === undefined ? ['node', this.node] : ['camera', camera];
    return this.#files(
      `SELECT ${FILE_COLUMNS} FROM camgate_recording_files
       WHERE ${column} = $1 AND sealed AND (created_ms, id) > ($2, $3)
       ORDER BY created_ms, id LIMIT $4`,
      [key, after?.createdMs ?? Number.MIN_SAFE_INTEGER, after?.id ?? 0, limit],
    );
  }

  async filesEndedBefore(camera: string, cutoffMs: number, limit: number): Promise<RecordingFile[]> {
    return this.#files(
      `SELECT ${FILE_COLUMNS} FROM camgate_recording_files f
       WHERE f.node = $1 AND f.camera = $2 AND f.sealed
         AND coalesce((SELECT max(s.start_ms + s.duration_ms) FROM camgate_recording_segments s WHERE s.file_id = f.id),
                      f.created_ms) < $3
       ORDER BY f.created_ms, f.id LIMIT $4`,
      [this.node, camera, cutoffMs, limit],
    );
  }

  async maxEpoch(camera: string): Promise<number> {
    return this.#run(async (db) => {
      const { rows } = await db.query<{ epoch: number | null }>(
        'SELECT max(epoch)::float8 AS epoch FROM camgate_recording_spans WHERE camera = $1',
        [camera],
      );
      return rows[0]?.epoch ?? -1;
    });
  }

  async cameras(): Promise<string[]> {
    return this.#run(async (db) => {
      const { rows } = await db.query<{ camera: string }>(
        'SELECT DISTINCT camera FROM camgate_recording_files WHERE node = $1 ORDER BY camera',
        [this.node],
      );
      return rows.map((row) => row.camera);
    });
  }

  async deleteFile(id: number): Promise<void> {
    await this.#transaction(async (client) => {
      const { rows } = await client.query<{ camera: string }>(
        'SELECT camera FROM camgate_recording_files WHERE id = $1',
        [id],
      );
      const camera = rows[0]?.camera;
      if (camera === undefined) return;
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SPAN_LOCK_CLASS, camera]);
      const range = await client.query<{ start: number | null; end: number | null }>(
        `SELECT min(start_ms)::float8 AS start, max(start_ms + duration_ms)::float8 AS end
         FROM camgate_recording_segments WHERE file_id = $1`,
        [id],
      );
      await client.query('DELETE FROM camgate_recording_files WHERE id = $1', [id]);
      const { start, end } = range.rows[0] ?? { start: null, end: null };
      if (start !== null && end !== null) await cutSpans(client, camera, start, end);
    });
  }

  async bytes(camera?: string): Promise<number> {
    const [column, key] = camera === undefined ? ['node', this.node] : ['camera', camera];
    return this.#run(async (db) => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT coalesce(sum(bytes), 0)::float8 AS n FROM camgate_recording_files WHERE ${column} = $1`,
        [key],
      );
      return rows[0]?.n ?? 0;
    });
  }

  async segments(camera: string, startMs: number, endMs: number): Promise<IndexedSegment[]> {
    return this.#run(async (db) => {
      const { rows } = await db.query<IndexedSegment>(
        `SELECT s.id::float8 AS id, s.camera, s.file_id::float8 AS "fileId", s.byte_offset::float8 AS "offset",
                s.length::float8 AS length, s.start_ms::float8 AS "startMs", s.duration_ms AS "durationMs", s.init,
                s.epoch::float8 AS epoch, s.lease_epoch::float8 AS "leaseEpoch", f.path, f.node
         FROM camgate_recording_segments s JOIN camgate_recording_files f ON f.id = s.file_id
         WHERE s.camera = $1 AND s.start_ms > $2 AND s.start_ms < $3 AND s.start_ms + s.duration_ms > $4
         ORDER BY s.start_ms, s.id`,
        // A segment overlapping startMs began less than MAX_SEGMENT_MS before it: the range scan starts there.
        [camera, startMs - MAX_SEGMENT_MS, endMs, startMs],
      );
      return rows;
    });
  }

  async spans(camera: string, startMs: number, endMs: number): Promise<RecordedSpan[]> {
    return this.#run(async (db) => {
      const { rows } = await db.query<RecordedSpan>(
        `SELECT start_ms::float8 AS "startMs", end_ms::float8 AS "endMs" FROM camgate_recording_spans
         WHERE camera = $1 AND end_ms > $2 AND start_ms < $3 ORDER BY start_ms`,
        [camera, startMs, endMs],
      );
      return rows;
    });
  }

  async saveInit(name: string, bytes: Uint8Array): Promise<void> {
    await this.#run((db) =>
      db.query('INSERT INTO camgate_recording_inits (name, bytes) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
        name,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      ]),
    );
  }

  async init(name: string): Promise<Uint8Array | undefined> {
    return this.#run(async (db) => {
      const { rows } = await db.query<{ bytes: Buffer }>('SELECT bytes FROM camgate_recording_inits WHERE name = $1', [
        name,
      ]);
      return rows[0]?.bytes;
    });
  }

  /** Refuses new calls and waits for those in progress (the pool is the database's, closed by its owner). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
  }

  #files(sql: string, values: unknown[]): Promise<RecordingFile[]> {
    return this.#run(async (db) => (await db.query<RecordingFile>(sql, values)).rows);
  }

  /**
   * Runs a call on the pool, tracked for close(). A refusal (a GatewayError) stays what it is; a
   * database failure is CAMGATE_ERR_RECORDING_UNAVAILABLE, its cause without the URL's password.
   */
  #run<T>(operation: (db: pg.Pool) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(errors.recordingUnavailable('the recordings index is closed'));
    const result = operation(this.#db.pool).catch((err: unknown) => {
      if (err instanceof GatewayError) throw err;
      throw errors.recordingUnavailable(
        `the recordings index (PostgreSQL) failed`,
        new Error(this.#db.describeError(err)),
      );
    });
    this.#pending.add(result);
    const settled = () => this.#pending.delete(result);
    result.then(settled, settled);
    return result;
  }

  /** One transaction on one pooled connection; a refusal (fenced, a bad offset) leaves the connection in the pool. */
  #transaction<T>(operation: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#run((pool) => inTransaction(pool, operation, (err) => err instanceof GatewayError));
  }
}

/**
 * The segments of [start, end) are gone: each span of `camera` overlapping it keeps what remains
 * before (up to the end of the last segment left there) and after (from the first segment left).
 */
async function cutSpans(client: pg.PoolClient, camera: string, start: number, end: number): Promise<void> {
  const overlapping = await client.query<{ id: string; startMs: number; endMs: number; epoch: number }>(
    `DELETE FROM camgate_recording_spans WHERE camera = $1 AND end_ms > $2 AND start_ms < $3
     RETURNING id, start_ms::float8 AS "startMs", end_ms::float8 AS "endMs", epoch::float8 AS epoch`,
    [camera, start, end],
  );
  for (const span of overlapping.rows) {
    if (span.startMs < start) {
      // The last segment before `start` ends latest (a camera's segments do not overlap): one index seek.
      const before = await client.query<{ endMs: number }>(
        `SELECT (start_ms + duration_ms)::float8 AS "endMs" FROM camgate_recording_segments
         WHERE camera = $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY start_ms DESC LIMIT 1`,
        [camera, span.startMs, start],
      );
      const endMs = before.rows[0]?.endMs;
      if (endMs !== undefined) await insertSpan(client, camera, span.startMs, endMs, span.epoch);
    }
    if (span.endMs > end) {
      const after = await client.query<{ startMs: number | null }>(
        `SELECT min(start_ms)::float8 AS "startMs" FROM camgate_recording_segments
         WHERE camera = $1 AND start_ms >= $2 AND start_ms < $3`,
        [camera, start, span.endMs],
      );
      const startMs = after.rows[0]?.startMs ?? null;
      if (startMs !== null) await insertSpan(client, camera, startMs, span.endMs, span.epoch);
    }
  }
}

async function insertSpan(
  client: pg.PoolClient,
  camera: string,
  startMs: number,
  endMs: number,
  epoch: number,
): Promise<void> {
  await client.query('INSERT INTO camgate_recording_spans (camera, start_ms, end_ms, epoch) VALUES ($1, $2, $3, $4)', [
    camera,
    startMs,
    endMs,
    epoch,
  ]);
}
