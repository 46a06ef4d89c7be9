import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { addCameras, Pool } from '../cluster/test-cluster.js';
import { GatewayErrorCode } from '../errors.js';
import { PostgresDatabase } from '../store/postgres-database.js';
import { usePrivatePostgres } from '../store/test-postgres.js';
import { PostgresRecordingIndex } from './postgres-recording-index.js';
import { Recordings } from './recordings.js';
import { clipOf, camera, frames, Source, T0, video } from './test-recording-source.js';

/**
 * Recording in a cluster (issue 15), two nodes' Recordings on one real PostgreSQL, each with its
 * own directory (its own disk): one camera's history across a hand-over, the fencing of a stale
 * owner's late segments, and retention that deletes only a node's own files.
 */

const postgres = usePrivatePostgres();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  recordings: Recordings;
  dir: string;
}

/** The cluster's database with camera cam1, and a pool to move its lease as the keeper would. */
async function database(ctx: TestContext): Promise<{ url: string; pool: Pool }> {
  const url = await postgres.emptyDatabase(ctx);
  const pool = new Pool({ connectionString: url });
  cleanups.push(() => pool.end());
  await addCameras(pool, [{ id: 'cam1' }]);
  return { url, pool };
}

async function lease(pool: Pool, owner: string | null, epoch: number): Promise<void> {
  await pool.query(
    `UPDATE camgate_leases SET owner = $1, epoch = $2, expires_at = 'infinity' WHERE camera_id = 'cam1'`,
    [owner, epoch],
  );
}

/** Node `id`'s recordings: its own directory, the shared index, its lease epochs read from the table. */
async function node(url: string, id: string, pool: Pool, options: { now?: () => number } = {}): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), `camgate-recordings-${id}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const db = PostgresDatabase.fromUrl(url);
  cleanups.push(() => db.end());
  // What the keeper knows when the recorder starts: the epoch of the lease it holds.
  const epochs = new Map<string, number>();
  const held = await pool.query<{ epoch: number }>(
    `SELECT epoch::float8 AS epoch FROM camgate_leases WHERE camera_id = 'cam1' AND owner = $1`,
    [id],
  );
  if (held.rows[0] !== undefined) epochs.set('cam1', held.rows[0].epoch);
  const recordings = await Recordings.open({
    dir,
    index: new PostgresRecordingIndex(db, id),
    leaseEpochOf: (cameraId) => epochs.get(cameraId),
    now: options.now ?? (() => T0 + 60_000),
  });
  cleanups.push(() => recordings.close());
  return { recordings, dir };
}

describe('Recordings in a cluster (a real PostgreSQL)', () => {
  it('a camera handed over: one history on every node, each part on its node, epochs counted on', async (ctx) => {
    const { url, pool } = await database(ctx);
    await lease(pool, 'a', 1);
    const a = await node(url, 'a', pool);
    const source = new Source();
    a.recordings.apply(camera({ enabled: true }), source);
    source.push(frames(8));
    await a.recordings.stop('cam1');
    // The lease passes to b (a stopped the camera first, as a hand-over does).
    await lease(pool, 'b', 2);
    const b = await node(url, 'b', pool);
    b.recordings.apply(camera({ enabled: true }), source);
    source.push(frames(8, 10));
    await b.recordings.stop('cam1');
    for (const { recordings } of [a, b]) {
      const segments = await recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER);
      expect(segments.map((s) => [s.node, (s.startMs - T0) / 1000, s.epoch, s.leaseEpoch])).toEqual([
        ['a', 0, 0, 1],
        ['a', 6, 0, 1],
        ['b', 10, 1, 2],
        ['b', 16, 1, 2],
      ]);
      expect(
        (await recordings.index.spans('cam1', 0, Number.MAX_SAFE_INTEGER)).map((s) => [
          (s.startMs - T0) / 1000,
          (s.endMs - T0) / 1000,
        ]),
      ).toEqual([
        [0, 8],
        [10, 18],
      ]);
    }
    // Each node's files are on its own disk.
    const files = await b.recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER);
    for (const segment of files) {
      const dir = segment.node === 'a' ? a.dir : b.dir;
      expect((await stat(join(dir, segment.path))).size).toBeGreaterThanOrEqual(segment.offset + segment.length);
    }
    // Any node serves the init segments, from the shared index, kept on its disk once asked; a row
    // whose bytes are not what its name says is served by no one.
    const c = await node(url, 'c', pool);
    const init = files[0]?.init as string;
    const copied = await c.recordings.files.initPath(init);
    expect(copied).toBe(join(c.dir, init));
    expect((await readFile(copied as string)).equals(await readFile(join(a.dir, init)))).toBe(true);
    const forged = `init/${'0'.repeat(64)}.mp4`;
    await pool.query('INSERT INTO camgate_recording_inits (name, bytes) VALUES ($1, $2)', [forged, Buffer.from('x')]);
    expect(await c.recordings.files.initPath(forged)).toBeUndefined();
    expect(await readdir(join(c.dir, 'init'))).toEqual([init.slice('init/'.length)]);
    expect(await c.recordings.files.initPath(`init/${'1'.repeat(64)}.mp4`)).toBeUndefined();
    // A clip is planned by the node whose disk holds its start, and ends where the camera moved.
    expect(await clipOf(b.recordings, T0 + 1000, T0 + 15_000)).toBeUndefined();
    const clip = await clipOf(a.recordings, T0 + 1000, T0 + 15_000);
    expect(clip).toMatchObject({ startMs: T0 + 1000, endMs: T0 + 15_000 });
    expect(clip?.reads.every((read) => read.path.startsWith(a.dir))).toBe(true);
  });

  it("a stale owner's late segments are refused: its status says why, its file is cut back, the new owner's history is whole", async (ctx) => {
    const { url, pool } = await database(ctx);
    await lease(pool, 'a', 1);
    const a = await node(url, 'a', pool);
    const source = new Source();
    a.recordings.apply(camera({ enabled: true }), source);
    const all = frames(20);
    const through = (seconds: number) => all.findIndex((f) => f.dts === seconds * video.timescale) + 1;
    source.push(all.slice(0, through(6)));
    await a.recordings.drained('cam1');
    expect(a.recordings.status('cam1')).toMatchObject({ state: 'recording', segments: 1 });
    // Node a is cut off (a long pause, a partition): its lease expired and b claimed the camera.
    await lease(pool, 'b', 2);
    source.push(all.slice(through(6), through(12)));
    await a.recordings.drained('cam1');
    expect(a.recordings.status('cam1')).toMatchObject({
      state: 'failing',
      segments: 1,
      droppedSegments: 1,
      lastError: { code: GatewayErrorCode.RECORDING_FENCED },
    });
    const rows = await a.recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER);
    expect(rows.map((s) => [s.node, (s.startMs - T0) / 1000])).toEqual([['a', 0]]);
    // The refused bytes were cut off the file: it ends at its last indexed segment.
    const file = await a.recordings.index.file(rows[0]?.fileId as number);
    expect(file).toMatchObject({ sealed: true });
    expect((await stat(join(a.dir, file?.path as string))).size).toBe(file?.bytes);
    await a.recordings.stop('cam1');
  });

  it("retention: a node deletes only its own files; a camera's size limit counts every node's", async (ctx) => {
    const { url, pool } = await database(ctx);
    let now = T0 + 60_000;
    await lease(pool, 'a', 1);
    const a = await node(url, 'a', pool, { now: () => now });
    const source = new Source();
    a.recordings.apply(camera({ enabled: true }), source);
    source.push(frames(8));
    await a.recordings.stop('cam1');
    await lease(pool, 'b', 2);
    const b = await node(url, 'b', pool, { now: () => now });
    b.recordings.apply(camera({ enabled: true }), source);
    source.push(frames(8, 3700));
    await b.recordings.stop('cam1');
    const bytesOf = async (nodeId: string) =>
      (await b.recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER))
        .filter((s) => s.node === nodeId)
        .reduce((n, s) => n + s.length, 0);
    const onB = await bytesOf('b');
    // Keep only what b holds: the oldest, a's hour, must go, and only a can delete it.
    const limit = { enabled: true, retention: { maxBytes: onB } };
    b.recordings.apply({ ...camera(limit), enabled: false }, source);
    a.recordings.apply({ ...camera(limit), enabled: false }, source);
    expect(await b.recordings.retain()).toMatchObject({ removedFiles: 0 });
    expect(await bytesOf('a')).toBeGreaterThan(0);
    expect(await a.recordings.retain()).toMatchObject({ removedFiles: 1 });
    expect([await bytesOf('a'), await bytesOf('b')]).toEqual([0, onB]);
    // By age, each node's own: two hours on, b's file is older than an hour.
    now = T0 + 2 * 3_600_000 + 4_000_000;
    const aged = { enabled: true, retention: { maxAgeHours: 1 } };
    a.recordings.apply({ ...camera(aged), enabled: false }, source);
    expect(await a.recordings.retain()).toMatchObject({ removedFiles: 0 });
    b.recordings.apply({ ...camera(aged), enabled: false }, source);
    expect(await b.recordings.retain()).toMatchObject({ removedFiles: 1 });
    expect(await b.recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});
