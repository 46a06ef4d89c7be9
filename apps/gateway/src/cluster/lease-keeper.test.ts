import { hasTools, requireTools, startPostgres, type PrivatePostgres } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { ClusterErrorCode } from './cluster-errors.js';
import { LeaseKeeper, leaseTiming, type LeaseKeeperOptions, type LeaseTiming } from './lease-keeper.js';
import { CLAIM_SQL, ROUND_SQL } from './lease-sql.js';
import {
  addCameras,
  BlackholeProxy,
  cameras,
  freshDatabase,
  leaseRows,
  Pool,
  PullRecorder,
  sampleDatabase,
  setCameraSetting,
  throughPort,
  waitFor,
  type PullEvent,
  type TestCamera,
} from './test-cluster.js';

/**
 * The production timing divided by about 3.3 (same ratios: renewal a quarter of the TTL, the
 * fence one renewal interval before expiry), so that crashes and outages play out in seconds.
 */
const TIMING: LeaseTiming = {
  ttlMs: 2_400,
  renewIntervalMs: 600,
  fenceAfterMs: 1_800,
  statementTimeoutMs: 400,
  queryTimeoutMs: 500,
  directoryResyncMs: 5_000,
  demandWindowMs: 5_000,
  demandThrottleMs: 200,
};

/** A few rounds: long enough for a distribution to change if it were going to. */
const SETTLE_MS = 3 * TIMING.renewIntervalMs;

let pg: PrivatePostgres | undefined;
beforeAll(async () => {
  if (hasTools('postgres')) pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

interface Bed {
  url: string;
  pool: Pool;
  recorder: PullRecorder;
  keeper: (node: string, capacity?: number, extra?: Partial<LeaseKeeperOptions>) => LeaseKeeper;
  /** Checks the invariant: no double pull seen by the recorder or the database sampler. */
  noDoublePulls: () => Promise<void>;
}

/** A database with `list` cameras, a recorder, a database sampler; everything closed after the test. */
async function bed(ctx: TestContext, list: readonly TestCamera[]): Promise<Bed> {
  requireTools(ctx, 'postgres');
  if (pg === undefined) throw new Error('PostgreSQL did not start');
  const url = await freshDatabase(pg);
  const pool = new Pool({ connectionString: url, max: 4 });
  // Its idle connections are cut when the database is paused.
  pool.on('error', () => undefined);
  await addCameras(pool, list);
  const recorder = new PullRecorder();
  const stopSampler = sampleDatabase(pool, recorder);
  const keepers: LeaseKeeper[] = [];
  let sampling = true;
  ctx.onTestFinished(async () => {
    if (sampling) await stopSampler();
    await Promise.all(keepers.map((keeper) => keeper.stop()));
    await pool.end();
  });
  return {
    url,
    pool,
    recorder,
    keeper: (node, capacity = 100, extra = {}) => {
      const keeper = new LeaseKeeper({
        nodeId: node,
        nodeUrl: `http://${node}.test:8080`,
        capacity,
        database: url,
        timing: TIMING,
        ...recorder.callbacks(node),
        ...extra,
      });
      keepers.push(keeper);
      return keeper;
    },
    noDoublePulls: async () => {
      sampling = false;
      await stopSampler();
      expect(recorder.violations).toEqual([]);
    },
  };
}

/** Owners in the database, counted per node. */
async function ownersInDatabase(pool: Pool, nodes: readonly string[]): Promise<number[]> {
  const rows = [...(await leaseRows(pool)).values()];
  return nodes.map((node) => rows.filter((row) => row.owner === node && row.live).length);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lease timing', () => {
  it.each([
    { timing: { fenceAfterMs: 9_000 }, problem: 'fenceAfterMs must be shorter than timing.ttlMs' },
    { timing: { renewIntervalMs: 3_500 }, problem: 'renewIntervalMs must be at most half of timing.fenceAfterMs' },
    { timing: { queryTimeoutMs: 2_000 }, problem: 'queryTimeoutMs must be shorter than timing.renewIntervalMs' },
    {
      timing: { statementTimeoutMs: 1_600 },
      problem: 'statementTimeoutMs must not be longer than timing.queryTimeoutMs',
    },
    { timing: { ttlMs: 0 }, problem: 'ttlMs must be a positive number' },
  ])('refuses $problem', ({ timing, problem }) => {
    expect(() => leaseTiming(timing)).toThrow(
      expect.objectContaining({ code: ClusterErrorCode.INVALID_OPTIONS, message: expect.stringContaining(problem) }),
    );
  });

  it('defaults to an 8 s lease renewed every 2 s, fenced at 6 s', () => {
    expect(leaseTiming()).toMatchObject({ ttlMs: 8_000, renewIntervalMs: 2_000, fenceAfterMs: 6_000 });
    expect(leaseTiming(TIMING)).toEqual(TIMING);
  });

  it.each([
    { options: { nodeId: '' }, problem: 'nodeId' },
    { options: { capacity: -1 }, problem: 'capacity' },
    { options: { capacity: 1.5 }, problem: 'capacity' },
    { options: { nodeUrl: 'not a url' }, problem: 'nodeUrl' },
  ])('refuses a node with a bad $problem', ({ options, problem }) => {
    const make = () =>
      new LeaseKeeper({
        nodeId: 'a',
        nodeUrl: 'http://a:8080',
        capacity: 1,
        database: 'postgres://nobody@127.0.0.1:1/none',
        onAcquired: () => undefined,
        onLost: () => Promise.resolve(undefined),
        ...options,
      });
    expect(make).toThrow(
      expect.objectContaining({ code: ClusterErrorCode.INVALID_OPTIONS, message: expect.stringContaining(problem) }),
    );
  });
});

describe('LeaseKeeper on PostgreSQL', () => {
  it.for([
    { why: 'three equal nodes split 30 cameras 10/10/10', capacities: [100, 100, 100], expected: [10, 10, 10] },
    { why: 'a small node pulls what it can and the others the rest', capacities: [4, 100, 100], expected: [4, 13, 13] },
    { why: 'capacity is a hard limit: cameras beyond it wait', capacities: [5, 5, 5], expected: [5, 5, 5] },
  ])('claims spread: $why', async ({ capacities, expected }, ctx) => {
    const { pool, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(30));
    const nodes = capacities.map((_, i) => `node-${i + 1}`);
    const keepers = nodes.map((node, i) => keeper(node, capacities[i]));
    await Promise.all(keepers.map((k) => k.start()));

    await waitFor(
      'the spread',
      () => recorder.counts(nodes),
      (counts) => counts.join() === expected.join(),
    );
    await waitFor(
      'every keeper ready',
      () => keepers.map((k) => k.ready),
      (ready) => ready.every(Boolean),
    );
    await sleep(SETTLE_MS);
    expect(recorder.counts(nodes)).toEqual(expected);
    expect(await ownersInDatabase(pool, nodes)).toEqual(expected);
    expect(keepers.map((k) => k.heldLeases().length)).toEqual(expected);
    nodes.forEach((node, i) => expect(recorder.peak.get(node) ?? 0).toBeLessThanOrEqual(capacities[i]!));
    // Claimed once each, nothing handed around.
    expect(recorder.events.filter((e) => e.kind === 'lost')).toEqual([]);
    await noDoublePulls();
  });

  it('a crashed node’s cameras are claimed by the others after the TTL, after its fence deadline', async (ctx) => {
    const { recorder, keeper, noDoublePulls } = await bed(ctx, cameras(30));
    const nodes = ['a', 'b', 'c'];
    const [a, b, c] = nodes.map((node) => keeper(node));
    await Promise.all([a!.start(), b!.start(), c!.start()]);
    await waitFor(
      'the spread',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '10,10,10',
    );

    const crashedCameras = new Map(c!.heldLeases().map((lease) => [lease.cameraId, lease.epoch]));
    const deadline = c!.fenceDeadline()!;
    const crashedAt = performance.now();
    await c!.abandon();
    recorder.crash('c');

    await waitFor(
      'the survivors pull everything',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '15,15,0',
    );
    const takeovers = recorder.events.filter(
      (e) => e.kind === 'acquired' && e.at > crashedAt && crashedCameras.has(e.camera),
    );
    expect(takeovers).toHaveLength(10);
    for (const event of takeovers) {
      // Even had "c" only been cut off and still running, it would have stopped by then.
      expect(event.at).toBeGreaterThanOrEqual(deadline);
      expect(event.epoch).toBe(crashedCameras.get(event.camera)! + 1);
    }
    const failover = Math.max(...takeovers.map((e) => e.at)) - crashedAt;
    // The lease (and c's node row) expire at most a TTL after c's last round; then the next round claims.
    expect(failover).toBeLessThan(TIMING.ttlMs + 3 * TIMING.renewIntervalMs);
    await noDoublePulls();
  });

  it('a partitioned node (connection blackholed) fences itself before anyone else claims its cameras', async (ctx) => {
    const { url, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(30));
    const proxy = await BlackholeProxy.start(new URL(url).port === '' ? 5432 : Number(new URL(url).port));
    ctx.onTestFinished(() => proxy.close());
    const nodes = ['a', 'b', 'c'];
    const a = keeper('a');
    const b = keeper('b');
    const c = keeper('c', 100, { database: throughPort(url, proxy.port) });
    await Promise.all([a.start(), b.start(), c.start()]);
    await waitFor(
      'the spread',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '10,10,10',
    );

    const cut = c.heldLeases().map((lease) => lease.cameraId);
    const deadline = c.fenceDeadline()!;
    proxy.blackhole();

    await waitFor(
      'the others pull everything',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '15,15,0',
    );
    expect(c.ready).toBe(false);
    const fenced = recorder.events.filter((e) => e.node === 'c' && e.kind === 'lost');
    const takeovers = recorder.events.filter((e) => e.kind === 'acquired' && e.node !== 'c' && cut.includes(e.camera));
    expect(fenced.map((e) => e.reason)).toEqual(cut.map(() => 'fenced'));
    expect(takeovers).toHaveLength(cut.length);
    const lastFence = Math.max(...fenced.map((e) => e.at));
    expect(Math.min(...fenced.map((e) => e.at))).toBeGreaterThanOrEqual(deadline);
    expect(Math.min(...takeovers.map((e) => e.at))).toBeGreaterThan(lastFence);
    expect(c.stats().fences).toBe(1);
    await noDoublePulls();
  });

  it('the database paused: keepers fence at their deadline, not before, and claim again when it returns', async (ctx) => {
    const { pool, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(10));
    const nodes = ['a', 'b'];
    const keepers = nodes.map((node) => keeper(node));
    await Promise.all(keepers.map((k) => k.start()));
    await waitFor(
      'the spread',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '5,5',
    );
    await waitFor(
      'ready',
      () => keepers.map((k) => k.ready),
      (ready) => ready.every(Boolean),
    );
    const epochsBefore = new Map([...(await leaseRows(pool)).values()].map((row) => [row.camera_id, row.epoch]));

    const pausing = performance.now();
    await pg!.pause();
    const paused = performance.now();
    // No round can succeed from here on: these deadlines can only have moved later.
    const deadlines = keepers.map((k) => k.fenceDeadline()!);

    await waitFor(
      'both fenced',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '0,0',
    );
    for (const [i, node] of nodes.entries()) {
      const fenced = recorder.events.filter((e) => e.node === node && e.kind === 'lost');
      expect(fenced.map((e) => e.reason)).toEqual(Array.from({ length: 5 }, () => 'fenced'));
      for (const event of fenced) {
        expect(event.at).toBeGreaterThanOrEqual(deadlines[i]!);
        // The last renewal that counted was sent before the server stopped.
        expect(event.at).toBeLessThan(paused + TIMING.fenceAfterMs + 250);
        expect(event.at).toBeGreaterThan(
          pausing + TIMING.fenceAfterMs - TIMING.renewIntervalMs - TIMING.queryTimeoutMs,
        );
      }
    }
    expect(keepers.map((k) => k.ready)).toEqual([false, false]);

    await pg!.resume();
    await waitFor(
      'claimed again',
      () => recorder.counts(nodes),
      (counts) => (counts[0] ?? 0) + (counts[1] ?? 0) === 10,
      15_000,
    );
    await waitFor(
      'ready again',
      () => keepers.map((k) => k.ready),
      (ready) => ready.every(Boolean),
    );
    for (const row of (await leaseRows(pool)).values()) {
      expect(row.epoch).toBeGreaterThan(epochsBefore.get(row.camera_id)!);
    }
    await noDoublePulls();
  });

  it('a renewal naming a stale epoch changes nothing, and a live lease cannot be claimed', async (ctx) => {
    const { pool, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(2));
    const a = keeper('a');
    await a.start();
    await waitFor(
      'a holds both',
      () => recorder.count('a'),
      (n) => n === 2,
    );
    const before = await pool.query<{ expires_at: Date; epoch: string }>(
      `SELECT expires_at, epoch FROM camgate_leases WHERE camera_id = 'cam-001'`,
    );
    const epoch = Number(before.rows[0]!.epoch);

    const stale = await pool.query(ROUND_SQL, [
      'a',
      'http://a.test:8080',
      100,
      60_000,
      ['cam-001'],
      [epoch - 1],
      [999],
      [9],
    ]);
    expect(stale.rows[0]).toMatchObject({ renewed: [] });
    const intruder = await pool.query(CLAIM_SQL, ['intruder', 10, [], null, 60_000]);
    expect(intruder.rows).toEqual([]);

    const after = (await leaseRows(pool)).get('cam-001')!;
    expect(after).toMatchObject({ owner: 'a', epoch, last_msn: null });
    await noDoublePulls();
  });

  it('onLost is awaited before the lease is released, and the release carries the final position', async (ctx) => {
    const { pool, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(1));
    const a = keeper('a');
    await a.start();
    await waitFor(
      'a holds it',
      () => recorder.count('a'),
      (n) => n === 1,
    );
    recorder.report(a, 'cam-001', { msn: 41, discontinuity: 2 });
    await waitFor(
      'the position saved',
      () => leaseRows(pool),
      (rows) => rows.get('cam-001')?.last_msn === 41,
    );
    recorder.report(a, 'cam-001', { msn: 42, discontinuity: 2 });

    const seenWhileClosing: Array<string | null> = [];
    recorder.beforeLostResolves = async (camera) => {
      seenWhileClosing.push((await leaseRows(pool)).get(camera)!.owner);
      await sleep(TIMING.renewIntervalMs * 2); // a slow RTSP teardown: the lease is renewed meanwhile
      seenWhileClosing.push((await leaseRows(pool)).get(camera)!.owner);
    };
    await a.release('cam-001');
    expect(seenWhileClosing).toEqual(['a', 'a']);
    expect((await leaseRows(pool)).get('cam-001')).toMatchObject({
      owner: null,
      live: false,
      last_msn: 42,
      last_discontinuity: 2,
      position_final: true,
    });
    expect(recorder.events.map((e) => [e.kind, e.reason])).toEqual([
      ['acquired', undefined],
      ['lost', 'released'],
    ]);
    await noDoublePulls();
  });

  it('rebalances a few cameras to a fourth node, then holds still', async (ctx) => {
    const { recorder, keeper, noDoublePulls } = await bed(ctx, cameras(30));
    const nodes = ['a', 'b', 'c', 'd'];
    const first = nodes.slice(0, 3).map((node) => keeper(node));
    await Promise.all(first.map((k) => k.start()));
    await waitFor(
      'the spread',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '10,10,10,0',
    );

    await keeper('d').start();
    // Each of the three releases down to its share of 8 (gracefully), and d claims what they hand over.
    await waitFor(
      'the new spread',
      () => recorder.counts(nodes),
      (counts) => counts.join() === '8,8,8,6',
    );
    const moved = recorder.events.filter((e) => e.kind === 'lost');
    expect(moved.every((e) => e.reason === 'rebalanced')).toBe(true);
    expect(moved).toHaveLength(6);
    const settled = recorder.events.length;
    await sleep(SETTLE_MS);
    // d is below its share with nothing free; the others are at theirs: nobody moves (no ping-pong).
    expect(recorder.events.length).toBe(settled);
    await noDoublePulls();
  });

  it('a graceful stop hands over at once, with the final position', async (ctx) => {
    const { pool, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(10));
    const a = keeper('a');
    const b = keeper('b');
    await Promise.all([a.start(), b.start()]);
    await waitFor(
      'the spread',
      () => recorder.counts(['a', 'b']),
      (counts) => counts.join() === '5,5',
    );
    const handed = b.heldLeases().map((lease) => lease.cameraId);
    handed.forEach((camera, i) => recorder.report(b, camera, { msn: 100 + i, discontinuity: 1 }));

    const stopping = performance.now();
    await b.stop();
    const stopped = performance.now();
    expect(stopped - stopping).toBeLessThan(1_000);
    expect((await pool.query(`SELECT id FROM camgate_nodes`)).rows).toEqual([{ id: 'a' }]);

    await waitFor(
      'a pulls everything',
      () => recorder.count('a'),
      (n) => n === 10,
    );
    const takeovers = recorder.events.filter(
      (e) => e.kind === 'acquired' && e.node === 'a' && handed.includes(e.camera),
    );
    for (const event of takeovers) {
      // Within a round of a, not a TTL.
      expect(event.at - stopped).toBeLessThan(TIMING.renewIntervalMs + 300);
      expect(event.continueFrom).toEqual({ msn: 100 + handed.indexOf(event.camera), discontinuity: 1, final: true });
    }
    expect(
      recorder.events.filter((e) => e.node === 'b' && e.kind === 'lost').every((e) => e.reason === 'stopping'),
    ).toBe(true);
    await noDoublePulls();
  });

  it('releases a camera disabled or deleted while it pulls it', async (ctx) => {
    const { pool, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(3));
    const a = keeper('a');
    await a.start();
    await waitFor(
      'a holds all',
      () => recorder.count('a'),
      (n) => n === 3,
    );

    await setCameraSetting(pool, 'cam-001', 'enabled', false);
    await pool.query(`DELETE FROM camgate_cameras WHERE id = 'cam-002'`);
    await waitFor(
      'a drops both',
      () => recorder.count('a'),
      (n) => n === 1,
    );
    const lost = recorder.events.filter((e) => e.kind === 'lost');
    expect(lost.map((e) => [e.camera, e.reason]).sort()).toEqual([
      ['cam-001', 'unwanted'],
      ['cam-002', 'unwanted'],
    ]);
    await waitFor(
      'cam-001 released',
      () => leaseRows(pool),
      (rows) => rows.get('cam-001')?.owner === null,
    );
    await sleep(SETTLE_MS);
    expect(a.holds('cam-001')).toBe(false);

    await setCameraSetting(pool, 'cam-001', 'enabled', true);
    await waitFor('claimed again once enabled', () => a.holds('cam-001'), Boolean);
    await noDoublePulls();
  });

  it('an on-demand camera that records is pulled without demand, like a continuous one', async (ctx) => {
    const { keeper, noDoublePulls } = await bed(ctx, [
      ...cameras(1, { onDemand: true, recording: { enabled: true } }),
      { id: 'idle-cam', onDemand: true, recording: { enabled: false } },
    ]);
    const node = keeper('node');
    await node.start();
    await waitFor('claimed without a viewer', () => node.holds('cam-001'), Boolean);
    await sleep(SETTLE_MS);
    expect(node.holds('idle-cam')).toBe(false);
    await noDoublePulls();
  });

  it('on-demand: not claimed without demand, claimed on demand (here or by a node with room), released when idle', async (ctx) => {
    const { pool, recorder, keeper, noDoublePulls } = await bed(ctx, cameras(2, { onDemand: true }));
    const puller = keeper('puller');
    const proxyOnly = keeper('proxy-only', 0);
    await Promise.all([puller.start(), proxyOnly.start()]);
    await waitFor('ready', () => puller.ready && proxyOnly.ready, Boolean);
    await sleep(SETTLE_MS);
    expect(recorder.events).toEqual([]);
    expect(proxyOnly.ownerOf('cam-001')).toBeUndefined();

    // A viewer on the node with room: claimed within the demand() call.
    await puller.demand('cam-001');
    expect(puller.holds('cam-001')).toBe(true);
    expect(puller.ownerOf('cam-001')).toMatchObject({ nodeId: 'puller', url: 'http://puller.test:8080' });

    // A viewer on a node without room: the other claims it in its next round; the directory (NOTIFY) says where.
    const asked = performance.now();
    await proxyOnly.demand('cam-002');
    const owner = await proxyOnly.whenOwned('cam-002', undefined, 5_000);
    expect(owner).toEqual({ nodeId: 'puller', url: 'http://puller.test:8080', epoch: 1 });
    expect(performance.now() - asked).toBeLessThan(TIMING.renewIntervalMs + 500);
    expect(await proxyOnly.whenOwned('cam-001', undefined, 1_000)).toMatchObject({ nodeId: 'puller' });

    // Idle: the supervisor releases it; the demand goes with it, so nobody claims it back. (The
    // NOTIFY may reach the other node before the claim's answer reaches the claimer.)
    await waitFor(
      'the puller pulls it',
      () => recorder.pulling.get('cam-002')?.node,
      (node) => node === 'puller',
    );
    await puller.release('cam-002');
    expect((await leaseRows(pool)).get('cam-002')).toMatchObject({ owner: null, demanded: false });
    await sleep(SETTLE_MS);
    expect(puller.holds('cam-002')).toBe(false);
    await waitFor(
      'the directory forgets it',
      () => proxyOnly.ownerOf('cam-002'),
      (o) => o === undefined,
    );
    const lost = recorder.events.filter((e: PullEvent) => e.kind === 'lost');
    expect(lost.map((e) => [e.camera, e.reason])).toEqual([['cam-002', 'released']]);

    // whenOwned gives up after its timeout, and an aborted wait rejects.
    expect(await proxyOnly.whenOwned('cam-002', undefined, 100)).toBeUndefined();
    await expect(proxyOnly.whenOwned('cam-002', AbortSignal.timeout(50), 5_000)).rejects.toThrow();
    await noDoublePulls();
  });
});
