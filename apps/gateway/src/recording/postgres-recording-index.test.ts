import { getFreePort } from '@camgate/testkit';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { addCameras, Pool } from '../cluster/test-cluster.js';
import { GatewayErrorCode } from '../errors.js';
import { PostgresDatabase } from '../store/postgres-database.js';
import { DATABASE_CANARY, usePrivatePostgres } from '../store/test-postgres.js';
import { PostgresRecordingIndex } from './postgres-recording-index.js';
import type { RecordedSegment, RecordingIndex } from './recording-index.js';
import { recordingIndexContract } from './test-recording-index-contract.js';

const postgres = usePrivatePostgres();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The lease epoch node `a` holds its cameras with in these tests. */
const EPOCH = 7;

/** An emptied database with cameras cam1 and cam2, whose leases node `owner` holds at {@link EPOCH}. */
async function cluster(ctx: TestContext, owner = 'a'): Promise<{ url: string; pool: Pool }> {
  const url = await postgres.emptyDatabase(ctx);
  const pool = new Pool({ connectionString: url });
  cleanups.push(() => pool.end());
  await addCameras(pool, [{ id: 'cam1' }, { id: 'cam2' }]);
  await pool.query(`UPDATE camgate_leases SET owner = $1, epoch = $2, expires_at = 'infinity'`, [owner, EPOCH]);
  return { url, pool };
}

function indexOf(url: string, node: string): PostgresRecordingIndex {
  const database = PostgresDatabase.fromUrl(url);
  const index = new PostgresRecordingIndex(database, node);
  cleanups.push(async () => {
    await index.close();
    await database.end();
  });
  return index;
}

async function segmentAt(
  index: RecordingIndex,
  camera: string,
  startMs: number,
  leaseEpoch: number | undefined,
): Promise<RecordedSegment> {
  const file = await index.openFile(camera, `${camera}/${index.node}-${startMs}.m4s`, startMs);
  return {
    camera,
    fileId: file.id,
    offset: 0,
    length: 1000,
    startMs,
    durationMs: 2000,
    init: 'init/a.mp4',
    epoch: 0,
    ...(leaseEpoch === undefined ? {} : { leaseEpoch }),
  };
}

describe('PostgresRecordingIndex (a real PostgreSQL)', () => {
  recordingIndexContract('the recordings index contract', {
    leaseEpoch: EPOCH,
    async index(ctx) {
      return indexOf((await cluster(ctx)).url, 'a');
    },
  });

  it.for([
    ['another node holds the lease now (the camera moved)', { owner: 'b', epoch: EPOCH + 1 }, EPOCH],
    ['this node holds it again, with a newer epoch', { owner: 'a', epoch: EPOCH + 2 }, EPOCH],
    ['nobody holds it (released)', { owner: null, epoch: EPOCH }, EPOCH],
    ['the segment names no lease', { owner: 'a', epoch: EPOCH }, undefined],
  ] as Array<[string, { owner: string | null; epoch: number }, number | undefined]>)(
    "refuses a stale owner's late write: %s",
    async ([, lease, leaseEpoch], ctx) => {
      const { url, pool } = await cluster(ctx);
      const index = indexOf(url, 'a');
      const segment = await segmentAt(index, 'cam1', 0, leaseEpoch);
      await pool.query('UPDATE camgate_leases SET owner = $1, epoch = $2 WHERE camera_id = $3', [
        lease.owner,
        lease.epoch,
        'cam1',
      ]);
      await expect(index.addSegment(segment)).rejects.toMatchObject({ code: GatewayErrorCode.RECORDING_FENCED });
      expect(await index.segments('cam1', -10_000, 10_000)).toEqual([]);
      expect(await index.spans('cam1', -10_000, 10_000)).toEqual([]);
      expect(await index.file(segment.fileId)).toMatchObject({ bytes: 0, sealed: false });
      // The camera's lease is untouched by the refusal, and the owner's writes go on.
      const owner = indexOf(url, lease.owner ?? 'a');
      if (lease.owner !== null) {
        await owner.addSegment({ ...(await segmentAt(owner, 'cam1', 5000, lease.epoch)), epoch: 1 });
        expect((await owner.segments('cam1', 0, 10_000)).map((s) => [s.startMs, s.node, s.leaseEpoch])).toEqual([
          [5000, lease.owner, lease.epoch],
        ]);
      }
    },
  );

  it('a camera moved between nodes: one history, each node deletes and recovers only its own files', async (ctx) => {
    const { url, pool } = await cluster(ctx);
    const a = indexOf(url, 'a');
    const b = indexOf(url, 'b');
    const first = await segmentAt(a, 'cam1', 0, EPOCH);
    await a.addSegment(first);
    await a.addSegment({ ...first, offset: 1000, startMs: 2000 });
    await a.sealFile(first.fileId);
    await pool.query(`UPDATE camgate_leases SET owner = 'b', epoch = $1 WHERE camera_id = 'cam1'`, [EPOCH + 1]);
    // The new owner counts epochs on from the old one's.
    expect(await b.maxEpoch('cam1')).toBe(0);
    const second = { ...(await segmentAt(b, 'cam1', 4500, EPOCH + 1)), epoch: 1 };
    await b.addSegment(second);
    for (const node of [a, b]) {
      expect((await node.segments('cam1', 0, 10_000)).map((s) => [s.startMs, s.node, s.path])).toEqual([
        [0, 'a', 'cam1/a-0.m4s'],
        [2000, 'a', 'cam1/a-0.m4s'],
        [4500, 'b', 'cam1/b-4500.m4s'],
      ]);
      expect((await node.spans('cam1', 0, 10_000)).map((s) => [s.startMs, s.endMs])).toEqual([
        [0, 4000],
        [4500, 6500],
      ]);
      expect(await node.bytes('cam1')).toBe(3000);
    }
    expect([await a.bytes(), await b.bytes()]).toEqual([2000, 1000]);
    expect([await a.cameras(), await b.cameras()]).toEqual([['cam1'], ['cam1']]);
    expect((await a.unsealedFiles()).map((f) => f.path)).toEqual([]);
    expect((await b.unsealedFiles()).map((f) => f.path)).toEqual(['cam1/b-4500.m4s']);
    await b.sealFile(second.fileId);
    // A camera's size limit sees every node's files; the disk budget and age only this node's.
    expect((await b.oldestFiles(10, { camera: 'cam1' })).map((f) => [f.node, f.path])).toEqual([
      ['a', 'cam1/a-0.m4s'],
      ['b', 'cam1/b-4500.m4s'],
    ]);
    expect((await b.oldestFiles(10)).map((f) => f.path)).toEqual(['cam1/b-4500.m4s']);
    expect((await b.filesEndedBefore('cam1', 100_000, 10)).map((f) => f.path)).toEqual(['cam1/b-4500.m4s']);
    // The same relative path on two nodes' disks is two files.
    const sameName = await b.openFile('cam2', 'cam1/a-0.m4s', 0);
    expect(sameName.node).toBe('b');
  });

  it('a database that does not answer: RECORDING_UNAVAILABLE, without its password', async () => {
    const port = await getFreePort();
    const database = PostgresDatabase.fromUrl(`postgres://camgate:${DATABASE_CANARY}@127.0.0.1:${port}/camgate`, {
      connectTimeoutMs: 1000,
    });
    const index = new PostgresRecordingIndex(database, 'a');
    cleanups.push(() => database.end());
    const err = await index.segments('cam1', 0, 1000).catch((error: unknown) => error as Error);
    expect(err).toMatchObject({ code: GatewayErrorCode.RECORDING_UNAVAILABLE, statusCode: 503 });
    for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
      expect(cause.message).not.toContain(DATABASE_CANARY);
    }
    await index.close();
    await expect(index.spans('cam1', 0, 1000)).rejects.toMatchObject({
      code: GatewayErrorCode.RECORDING_UNAVAILABLE,
    });
  });
});
