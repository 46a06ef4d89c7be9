import { hasTools, requireTools, startPostgres, type PrivatePostgres } from '@camgate/testkit';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCameras, freshDatabase, leaseRows } from './test-cluster.js';

let pg: PrivatePostgres | undefined;
beforeAll(async () => {
  if (hasTools('postgres')) pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

/** Claims camera `id` for `node` as the keeper's claim does (owner, epoch + 1, expiry from the database's clock). */
async function claim(pool: Pool, id: string, node: string, ttlMs: number): Promise<number | undefined> {
  const { rows } = await pool.query<{ epoch: string }>(
    `UPDATE camgate_leases l SET owner = $2, epoch = l.epoch + 1,
       expires_at = clock_timestamp() + $3::double precision * interval '1 millisecond'
     WHERE l.camera_id = $1 AND (l.owner IS NULL OR l.expires_at < clock_timestamp())
     RETURNING l.epoch::text AS epoch`,
    [id, node, ttlMs],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].epoch);
}

describe('a camera deleted and created again under its id (migration 3)', () => {
  it('keeps its epochs growing, and is claimable only once the old lease has expired', async (ctx) => {
    requireTools(ctx, 'postgres');
    const pool = new Pool({ connectionString: await freshDatabase(pg!) });
    try {
      await addCameras(pool, [{ id: 'cam' }]);
      expect(await claim(pool, 'cam', 'a', 60_000)).toBe(1);
      expect(await claim(pool, 'cam', 'a', 60_000)).toBeUndefined();
      // Node a pulls it (lease for a minute) when a script replaces the camera.
      await pool.query(`DELETE FROM camgate_cameras WHERE id = 'cam'`);
      await addCameras(pool, [{ id: 'cam' }]);
      const row = (await leaseRows(pool)).get('cam');
      expect(row).toMatchObject({ owner: '', epoch: 1, live: true });
      // No node may claim it while node a may still pull the old one.
      expect(await claim(pool, 'cam', 'b', 60_000)).toBeUndefined();
      // Once the old lease has expired: claimed with a higher epoch than ever before.
      await pool.query(`UPDATE camgate_lease_tombstones SET expires_at = '-infinity'`);
      await pool.query(`UPDATE camgate_leases SET expires_at = clock_timestamp() - interval '1 second'`);
      expect(await claim(pool, 'cam', 'b', 60_000)).toBe(2);
      // A camera nobody held when it was deleted comes back claimable at once, its epoch kept.
      await pool.query(`UPDATE camgate_leases SET owner = NULL, expires_at = '-infinity'`);
      await pool.query(`DELETE FROM camgate_cameras WHERE id = 'cam'`);
      await addCameras(pool, [{ id: 'cam' }]);
      expect(await claim(pool, 'cam', 'c', 60_000)).toBe(3);
    } finally {
      await pool.end();
    }
  });
});
