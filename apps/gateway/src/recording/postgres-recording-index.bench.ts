import { hasTools, startPostgres, type PrivatePostgres } from '@camgate/testkit';
import { afterAll, beforeAll, describe } from 'vitest';
import { addCameras, Pool } from '../cluster/test-cluster.js';
import { PostgresDatabase } from '../store/postgres-database.js';
import { runMigrations } from '../store/postgres-migrations.js';
import { PostgresRecordingIndex } from './postgres-recording-index.js';
import { BENCH_DAYS, BENCH_SEGMENT_MS, BENCH_T0, HOUR, indexBenches } from './test-index-benches.js';

/**
 * The recordings index of a cluster (PostgreSQL, a private local server) with the month of one
 * camera of recording-index.bench.ts (2 s segments for 30 days: 1,278,000 rows in 720 hour files,
 * 121 spans). The queries a viewer's page makes against the baseline in the same run, reading the
 * month's rows out of the database; and a commit of one segment, fenced by the camera's lease.
 */
const DAYS = BENCH_DAYS;
const SEGMENT_MS = BENCH_SEGMENT_MS;
const T0 = BENCH_T0;
const LEASE_EPOCH = 1;

let postgres: PrivatePostgres | undefined;
let database: PostgresDatabase | undefined;
let index: PostgresRecordingIndex | undefined;
/** The baseline's connection: without the gateway's 5 s statement timeout, which a month's rows exceed. */
let reader: Pool | undefined;
let writeFileId = 0;
let writeAt = 0;

beforeAll(async () => {
  if (!hasTools('postgres')) return;
  postgres = await startPostgres();
  await runMigrations(postgres.url);
  const pool = new Pool({ connectionString: postgres.url });
  try {
    await addCameras(pool, [{ id: 'cam1' }]);
    await pool.query(`UPDATE camgate_leases SET owner = 'n1', epoch = $1, expires_at = 'infinity'`, [LEASE_EPOCH]);
    // The fixture straight into the schema, as the recorder would have left it: a camera that
    // reboots every 6 hours and misses the first 5 minutes after it.
    await pool.query(
      `INSERT INTO camgate_recording_files (node, camera, path, created_ms, bytes, sealed)
       SELECT 'n1', 'cam1', 'cam1/' || h || '.m4s', $1::bigint + h * $2::bigint, $3::bigint * 1000000, true
       FROM generate_series(0, $4::int - 1) AS h`,
      [T0, HOUR, HOUR / SEGMENT_MS, DAYS * 24],
    );
    await pool.query(
      `INSERT INTO camgate_recording_segments
         (camera, file_id, byte_offset, length, start_ms, duration_ms, init, epoch, lease_epoch)
       SELECT 'cam1', f.id, i * 1000000, 1000000, f.created_ms + i * $1::bigint, $1::int, 'init/a.mp4', 0, $2::bigint
       FROM camgate_recording_files f CROSS JOIN generate_series(0, $3::int - 1) AS i
       WHERE NOT (((f.created_ms - $4::bigint) / $5::bigint) % 6 = 5 AND i < $6::int)
       ORDER BY f.id, i`,
      [SEGMENT_MS, LEASE_EPOCH, HOUR / SEGMENT_MS, T0, HOUR, (5 * 60_000) / SEGMENT_MS],
    );
    let spanStart = T0;
    for (let hour = 5; hour < DAYS * 24; hour += 6) {
      await pool.query(
        `INSERT INTO camgate_recording_spans (camera, start_ms, end_ms, epoch) VALUES ('cam1', $1, $2, 0)`,
        [spanStart, T0 + hour * HOUR],
      );
      spanStart = T0 + hour * HOUR + 5 * 60_000;
    }
    await pool.query(
      `INSERT INTO camgate_recording_spans (camera, start_ms, end_ms, epoch) VALUES ('cam1', $1, $2, 0)`,
      [spanStart, T0 + DAYS * 24 * HOUR],
    );
    await pool.query('ANALYZE');
  } finally {
    await pool.end();
  }
  database = PostgresDatabase.fromUrl(postgres.url);
  index = new PostgresRecordingIndex(database, 'n1');
  const open = await index.openFile('cam1', 'cam1/now.m4s', T0 + DAYS * 24 * HOUR);
  writeFileId = open.id;
  writeAt = open.createdMs;
  reader = new Pool({ connectionString: postgres.url, max: 1 });
  process.stdout.write(
    `index: ${DAYS} days of one camera in PostgreSQL, ${(await readMonth()).length} segments, ${(await index.spans('cam1', T0, T0 + DAYS * 24 * HOUR)).length} spans\n`,
  );
}, 600_000);

/** The month's segment rows with their files, as the index's segments() reads them. */
async function readMonth(): Promise<unknown[]> {
  const { rows } = await (reader as Pool).query<Record<string, unknown>>(
    `SELECT s.id::float8 AS id, s.camera, s.file_id::float8 AS "fileId", s.byte_offset::float8 AS "offset",
            s.length::float8 AS length, s.start_ms::float8 AS "startMs", s.duration_ms AS "durationMs", s.init,
            s.epoch::float8 AS epoch, s.lease_epoch::float8 AS "leaseEpoch", f.path, f.node
     FROM camgate_recording_segments s JOIN camgate_recording_files f ON f.id = s.file_id
     WHERE s.camera = 'cam1' ORDER BY s.start_ms, s.id`,
  );
  return rows;
}

afterAll(async () => {
  await reader?.end();
  await index?.close();
  await database?.end();
  await postgres?.stop();
});

describe.skipIf(!hasTools('postgres'))(`recordings index in PostgreSQL: ${DAYS} days of one camera`, () => {
  indexBenches(() => index as PostgresRecordingIndex, {
    baseline: 'baseline: read the month of rows out of PostgreSQL',
    readMonth,
    commit: 'commit one segment (fenced by the lease)',
    writeTo: () => ({ fileId: writeFileId, startMs: writeAt }),
    leaseEpoch: LEASE_EPOCH,
  });
});
