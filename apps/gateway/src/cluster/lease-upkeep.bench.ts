import { setTimeout as sleep } from 'node:timers/promises';
import { findTool, startPostgres, type PrivatePostgres } from '@camgate/testkit';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { LeaseKeeper } from './lease-keeper.js';
import { addCameras, cameras, freshDatabase, Pool } from './test-cluster.js';

/**
 * What lease upkeep costs the database: 1000 cameras, 3 nodes with the production timing (8 s
 * leases renewed every 2 s), settled (every camera claimed), then a window of real time in which
 * nothing changes: pure upkeep. Statements are counted by pg_stat_statements (all the keepers'
 * statements, the directory's included, divided by the nodes) and by the keepers themselves; the
 * time per round is the keeper's (all its statements, round trips included) and the server's
 * execution time of the round statement.
 *
 * The baseline, in the same run: the same leases renewed the way a first design would, one
 * `UPDATE ... WHERE camera_id = $1 AND owner = $2 AND epoch = $3` per lease per round (what a
 * node holding a third of the cameras sends every 2 s).
 *
 * A macro benchmark: each case is one run of real time, so tinybench's figures are wall time; the
 * numbers are written to stdout. CAMGATE_BENCH_CAMERAS (default 1000) and CAMGATE_BENCH_SECONDS
 * (default 20) change the run.
 */
const CAMERAS = Number(process.env['CAMGATE_BENCH_CAMERAS'] ?? 1000);
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 20);
const NODES = 3;
/** The first round registers, the second claims: settled well within 3 rounds. */
const SETTLE_MS = 6_000;

interface Upkeep {
  /** Statements per second per node, from pg_stat_statements and from the keepers' own count. */
  perNodeServer: number;
  perNodeKeeper: number;
  /** Mean time of a round as the keeper sees it (all its statements), ms. */
  roundMs: number;
  /** Mean server execution time per statement of the kind, ms. */
  serverMsPerStatement: number;
  /** What the statements were, by kind. */
  kinds: string[];
  /** Share of the lease updates that were HOT (no index entries, pruned in place), and the table's size. */
  hotShare: number;
  tableKiB: number;
}

/** The lease table's updates since the stats were reset, and its size (the row versions renewals leave). */
async function leaseTable(pool: Pool): Promise<{ hotShare: number; tableKiB: number }> {
  // Backends report table statistics about once a second.
  await sleep(1_100);
  const result = await pool.query<{ updates: number; hot: number; bytes: number }>(
    `SELECT n_tup_upd::float8 AS updates, n_tup_hot_upd::float8 AS hot, pg_relation_size('camgate_leases')::float8 AS bytes
     FROM pg_stat_user_tables WHERE relname = 'camgate_leases'`,
  );
  const row = result.rows[0];
  return {
    hotShare: row === undefined || row.updates === 0 ? 0 : row.hot / row.updates,
    tableKiB: (row?.bytes ?? 0) / 1024,
  };
}

let pg: PrivatePostgres | undefined;
const results: { camgate?: Upkeep; perLease?: Upkeep } = {};
const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

beforeAll(async () => {
  if (!findTool('postgres').found) return;
  pg = await startPostgres({
    settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
  });
});

afterAll(async () => {
  await pg?.stop();
  const line = (name: string, upkeep: Upkeep | undefined) =>
    upkeep === undefined
      ? `  ${name}: not measured\n`
      : `  ${name}: ${upkeep.perNodeServer.toFixed(2)} statements/s per node (pg_stat_statements; ` +
        `${upkeep.perNodeKeeper.toFixed(2)} by the keepers' count), ${upkeep.roundMs.toFixed(2)} ms per round, ` +
        `${upkeep.serverMsPerStatement.toFixed(3)} ms server time per statement, ` +
        `${(100 * upkeep.hotShare).toFixed(0)}% of lease updates HOT, lease table ${upkeep.tableKiB.toFixed(0)} KiB\n` +
        upkeep.kinds.map((kind) => `      ${kind}\n`).join('');
  process.stdout.write(
    `\nLease upkeep, ${CAMERAS} cameras on ${NODES} nodes, ${SECONDS} s settled:\n` +
      line('camgate (one batched round statement per node every 2 s)', results.camgate) +
      line('baseline (one UPDATE per lease per round)', results.perLease),
  );
});

interface StatementStat {
  query: string;
  calls: number;
  total_exec_time: number;
}

async function statementStats(pool: Pool): Promise<StatementStat[]> {
  const result = await pool.query<StatementStat>(
    `SELECT query, calls::float8 AS calls, total_exec_time
     FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query NOT LIKE '%pg_stat_statements%'
     ORDER BY calls DESC`,
  );
  return result.rows;
}

/** A statement's first words, for the report. */
const kind = (query: string) => query.replace(/\s+/g, ' ').trim().slice(0, 60);

describe(`lease upkeep: ${CAMERAS} cameras, ${NODES} nodes, ${SECONDS} s`, () => {
  bench(
    'camgate: one round statement per node per renewal interval',
    async () => {
      if (pg === undefined) {
        process.stdout.write(`lease upkeep skipped: ${(findTool('postgres') as { reason: string }).reason}\n`);
        return;
      }
      const url = await freshDatabase(pg);
      const pool = new Pool({ connectionString: url, max: 2 });
      await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await addCameras(pool, cameras(CAMERAS));
      const keepers = Array.from(
        { length: NODES },
        (_, i) =>
          new LeaseKeeper({
            nodeId: `node-${i + 1}`,
            nodeUrl: `http://node-${i + 1}.test:8080`,
            capacity: CAMERAS,
            database: url,
            onAcquired: () => undefined,
            onLost: () => Promise.resolve(undefined),
          }),
      );
      try {
        await Promise.all(keepers.map((keeper) => keeper.start()));
        await sleep(SETTLE_MS);
        const held = keepers.map((keeper) => keeper.stats().held);
        if (held.reduce((a, b) => a + b, 0) !== CAMERAS) throw new Error(`not settled: ${held.join(', ')}`);
        const before = keepers.map((keeper) => keeper.stats());
        await pool.query('SELECT pg_stat_statements_reset(), pg_stat_reset()');
        await sleep(SECONDS * 1000);
        const stats = await statementStats(pool);
        const after = keepers.map((keeper) => keeper.stats());
        const table = await leaseTable(pool);
        const calls = stats.reduce((sum, s) => sum + s.calls, 0);
        const keeperStatements = after.reduce((sum, s, i) => sum + s.statements - before[i]!.statements, 0);
        const rounds = after.reduce((sum, s, i) => sum + s.rounds - before[i]!.rounds, 0);
        const roundTime = after.reduce((sum, s, i) => sum + s.totalRoundMs - before[i]!.totalRoundMs, 0);
        results.camgate = {
          ...table,
          perNodeServer: calls / SECONDS / NODES,
          perNodeKeeper: keeperStatements / SECONDS / NODES,
          roundMs: roundTime / rounds,
          serverMsPerStatement: stats.reduce((sum, s) => sum + s.total_exec_time, 0) / calls,
          kinds: stats.map((s) => `${s.calls} × ${kind(s.query)} (${(s.total_exec_time / s.calls).toFixed(3)} ms)`),
        };
      } finally {
        await Promise.all(keepers.map((keeper) => keeper.stop()));
        await pool.end();
      }
    },
    once,
  );

  bench(
    'baseline: one UPDATE per lease per round',
    async () => {
      if (pg === undefined) return;
      const url = await freshDatabase(pg);
      const pool = new Pool({ connectionString: url, max: NODES + 1 });
      await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await addCameras(pool, cameras(CAMERAS));
      // The same ownership as above: each node a third of the cameras, at epoch 1.
      await pool.query(
        `UPDATE camgate_leases SET owner = 'node-' || (1 + (substr(camera_id, 5)::int % $1)), epoch = 1,
           expires_at = clock_timestamp() + interval '8 s'`,
        [NODES],
      );
      const owned = await pool.query<{ owner: string; ids: string[] }>(
        `SELECT owner, array_agg(camera_id) AS ids FROM camgate_leases GROUP BY owner ORDER BY owner`,
      );
      await pool.query('SELECT pg_stat_statements_reset(), pg_stat_reset()');
      const roundTimes: number[] = [];
      const started = performance.now();
      // Each node renews every 2 s, one statement per lease, on a connection of its own.
      await Promise.all(
        owned.rows.map(async ({ owner, ids }) => {
          const client = await pool.connect();
          try {
            for (let round = 0; performance.now() - started < SECONDS * 1000; round++) {
              const roundStart = performance.now();
              for (const id of ids) {
                await client.query(
                  `UPDATE camgate_leases SET expires_at = clock_timestamp() + interval '8 s'
                   WHERE camera_id = $1 AND owner = $2 AND epoch = $3`,
                  [id, owner, 1],
                );
              }
              roundTimes.push(performance.now() - roundStart);
              await sleep(Math.max(0, roundStart + 2_000 - performance.now()));
            }
          } finally {
            client.release();
          }
        }),
      );
      const elapsedS = (performance.now() - started) / 1000;
      const stats = await statementStats(pool);
      const table = await leaseTable(pool);
      const calls = stats.reduce((sum, s) => sum + s.calls, 0);
      results.perLease = {
        ...table,
        perNodeServer: calls / elapsedS / NODES,
        perNodeKeeper: calls / elapsedS / NODES,
        roundMs: roundTimes.reduce((a, b) => a + b, 0) / roundTimes.length,
        serverMsPerStatement: stats.reduce((sum, s) => sum + s.total_exec_time, 0) / calls,
        kinds: stats.map((s) => `${s.calls} × ${kind(s.query)} (${(s.total_exec_time / s.calls).toFixed(3)} ms)`),
      };
      await pool.end();
    },
    once,
  );
});
