// Test support for the cluster tests: a database per test on the private PostgreSQL cluster, cameras,
// a recording stand-in for the supervisor that hunts double pulls, and a TCP proxy that can blackhole.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Pool } from 'pg';
import type { PrivatePostgres } from '@camgate/testkit';
import { runMigrations } from '../store/postgres-migrations.js';
import type { AcquiredLease, LeaseKeeper, LeaseKeeperOptions, LossReason, StreamPosition } from './lease-keeper.js';

/** Applies the schema the way a gateway node does at start. */
export async function applySchema(databaseUrl: string): Promise<void> {
  await runMigrations(databaseUrl);
}

let databases = 0;

/** A fresh database with the schema, on the test file's cluster. */
export async function freshDatabase(pg: PrivatePostgres): Promise<string> {
  databases++;
  const url = await pg.createDatabase(`lease_${process.pid}_${databases}`);
  await applySchema(url);
  return url;
}

export interface TestCamera {
  id: string;
  enabled?: boolean;
  onDemand?: boolean;
  recording?: { enabled: boolean };
}

/** `count` cameras named cam-001, cam-002, ... (creation order = position). */
export function cameras(count: number, settings: Omit<TestCamera, 'id'> = {}): TestCamera[] {
  return Array.from({ length: count }, (_, i) => ({ id: `cam-${String(i + 1).padStart(3, '0')}`, ...settings }));
}

/** Inserts cameras the way the registry does (the trigger adds each one's lease row). */
export async function addCameras(pool: Pool, list: readonly TestCamera[]): Promise<void> {
  const now = new Date().toISOString();
  await pool.query(
    `INSERT INTO camgate_cameras (id, url_sealed, settings, revision, created_at, updated_at)
     SELECT id, 'sealed', settings, 1, $3, $3 FROM unnest($1::text[], $2::jsonb[]) AS c(id, settings)`,
    [
      list.map((camera) => camera.id),
      list.map((camera) =>
        JSON.stringify({
          name: camera.id,
          transport: 'auto',
          audio: 'auto',
          enabled: camera.enabled ?? true,
          onDemand: camera.onDemand ?? false,
          ...(camera.recording === undefined ? {} : { recording: camera.recording }),
        }),
      ),
      now,
    ],
  );
}

export async function setCameraSetting(pool: Pool, id: string, key: string, value: unknown): Promise<void> {
  await pool.query(
    `UPDATE camgate_cameras SET settings = jsonb_set(settings, $2::text[], $3::jsonb), revision = revision + 1 WHERE id = $1`,
    [id, [key], JSON.stringify(value)],
  );
}

export interface LeaseRow {
  camera_id: string;
  owner: string | null;
  epoch: number;
  live: boolean;
  last_msn: number | null;
  last_discontinuity: number | null;
  position_final: boolean;
  demanded: boolean;
}

export async function leaseRows(pool: Pool): Promise<Map<string, LeaseRow>> {
  const result = await pool.query<LeaseRow>(
    `SELECT camera_id, owner, epoch::float8 AS epoch, expires_at > clock_timestamp() AS live,
       last_msn::float8 AS last_msn, last_discontinuity::float8 AS last_discontinuity, position_final,
       demand_until > clock_timestamp() AS demanded
     FROM camgate_leases ORDER BY camera_id`,
  );
  return new Map(result.rows.map((row) => [row.camera_id, row]));
}

export interface PullEvent {
  /** performance.now() */
  at: number;
  node: string;
  camera: string;
  epoch: number;
  kind: 'acquired' | 'lost';
  reason?: LossReason;
  continueFrom?: AcquiredLease['continueFrom'];
}

interface Pull {
  node: string;
  epoch: number;
}

/**
 * The supervisors of every node in the test, as one recorder: who pulls which camera, every
 * acquisition and loss with its time, and every moment two nodes pulled one camera (a
 * violation: the tests expect none). A node "pulls" from onAcquired until onLost is called
 * (the supervisor stops taking in media at once), and onLost resolves after `closeMs`, like an
 * RTSP session being torn down, with the last position reported for the camera.
 */
export class PullRecorder {
  readonly events: PullEvent[] = [];
  readonly violations: string[] = [];
  readonly pulling = new Map<string, Pull>();
  /** Most cameras each node pulled at once. */
  readonly peak = new Map<string, number>();
  private readonly positions = new Map<string, StreamPosition>();
  closeMs = 20;
  /** Runs inside onLost before it resolves (tests of the release order). */
  beforeLostResolves: ((camera: string, reason: LossReason) => Promise<void>) | undefined;

  /** The callbacks for one node's keeper. */
  callbacks(node: string): Pick<LeaseKeeperOptions, 'onAcquired' | 'onLost'> {
    return {
      onAcquired: (lease) => {
        const other = this.pulling.get(lease.cameraId);
        if (other !== undefined) {
          this.violations.push(
            `${lease.cameraId}: ${node} (epoch ${lease.epoch}) acquired while ${other.node} (epoch ${other.epoch}) pulls it`,
          );
        }
        this.pulling.set(lease.cameraId, { node, epoch: lease.epoch });
        this.peak.set(node, Math.max(this.peak.get(node) ?? 0, this.count(node)));
        this.events.push({
          at: performance.now(),
          node,
          camera: lease.cameraId,
          epoch: lease.epoch,
          kind: 'acquired',
          ...(lease.continueFrom === undefined ? {} : { continueFrom: lease.continueFrom }),
        });
      },
      onLost: async (camera, reason) => {
        const pull = this.pulling.get(camera);
        if (pull?.node !== node) this.violations.push(`${camera}: onLost on ${node}, which does not pull it`);
        else this.pulling.delete(camera);
        this.events.push({ at: performance.now(), node, camera, epoch: pull?.epoch ?? -1, kind: 'lost', reason });
        await new Promise((resolve) => setTimeout(resolve, this.closeMs));
        await this.beforeLostResolves?.(camera, reason);
        return this.positions.get(camera);
      },
    };
  }

  /** What a supervisor reports as its stream goes (through the keeper) and the recorder returns at onLost. */
  report(keeper: LeaseKeeper, camera: string, position: StreamPosition): void {
    this.positions.set(camera, position);
    keeper.report(camera, position);
  }

  /** A crashed node pulls nothing (its process is gone). */
  crash(node: string): void {
    for (const [camera, pull] of this.pulling) if (pull.node === node) this.pulling.delete(camera);
  }

  count(node: string): number {
    let n = 0;
    for (const pull of this.pulling.values()) if (pull.node === node) n++;
    return n;
  }

  /** Cameras each node pulls now, by node. */
  counts(nodes: readonly string[]): number[] {
    return nodes.map((node) => this.count(node));
  }
}

/**
 * Checks the recorder against the database every `periodMs`: a camera a node pulled both before
 * and after reading the leases (same epoch, so the same acquisition) must be that node's, at that
 * epoch, in the database, whatever happened in between. A violation is recorded, not thrown.
 * (An expired lease still naming the node is fine: nobody took it over yet.)
 */
export function sampleDatabase(pool: Pool, recorder: PullRecorder, periodMs = 50): () => Promise<void> {
  const state = { stopped: false };
  let samples = 0;
  const loop = (async () => {
    while (!state.stopped) {
      const before = new Map(recorder.pulling);
      let rows: Map<string, LeaseRow>;
      try {
        rows = await leaseRows(pool);
      } catch {
        // The database is paused in some tests: nothing to compare.
        await new Promise((resolve) => setTimeout(resolve, periodMs));
        continue;
      }
      samples++;
      for (const [camera, pull] of recorder.pulling) {
        const earlier = before.get(camera);
        if (earlier?.node !== pull.node || earlier.epoch !== pull.epoch) continue;
        const row = rows.get(camera);
        // A deleted camera has no lease row: nobody can claim it, and its puller stops within a round.
        if (row === undefined) continue;
        if (row.owner !== pull.node || row.epoch !== pull.epoch) {
          recorder.violations.push(
            `${camera}: ${pull.node} pulls it at epoch ${pull.epoch}, the database says ${row.owner ?? 'nobody'} at epoch ${row.epoch}`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, periodMs));
    }
  })();
  return async () => {
    state.stopped = true;
    await loop;
    if (samples === 0) recorder.violations.push('the database sampler never read the leases');
  };
}

/**
 * Polls until `check` holds (real time: the keepers run on timers against a real database), or
 * fails after `timeoutMs` with `what` and the last value seen.
 */
export async function waitFor<T>(
  what: string,
  read: () => T | Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A TCP proxy in front of PostgreSQL that can blackhole: after blackhole(), bytes in both
 * directions are swallowed and no connection is closed, like a network partition (no RST,
 * no FIN), and new connections are accepted and never answered.
 */
export class BlackholeProxy {
  private readonly targetPort: number;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private holed = false;
  private listeningPort = 0;

  private constructor(targetPort: number) {
    this.targetPort = targetPort;
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetPort: number): Promise<BlackholeProxy> {
    const proxy = new BlackholeProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy.listeningPort = address.port;
    return proxy;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** From now on, nothing passes. */
  blackhole(): void {
    this.holed = true;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    const pipe = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (!this.holed) to.write(chunk);
      });
      from.on('end', () => {
        if (!this.holed) to.end();
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
  }
}

/** The same URL through another port (the proxy's). */
export function throughPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

export { Pool };
