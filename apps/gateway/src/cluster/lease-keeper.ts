import { Client, Pool, type ClientConfig, type PoolClient, type QueryResultRow } from 'pg';
import { ClusterError, ClusterErrorCode, databaseProblem } from './cluster-errors.js';
import { fairShare } from './fair-share.js';
import {
  CLAIM_SQL,
  DELETE_NODE_SQL,
  DEMAND_SQL,
  FORGET_OLD_NODES_SQL,
  RELEASE_SQL,
  ROUND_SQL,
  type ClaimRow,
  type DemandOnRelease,
  type RoundRow,
} from './lease-sql.js';
import { NodeDirectory, type ClusterLogger, type LeaseOwner } from './node-directory.js';

export type { ClusterLogger, LeaseOwner } from './node-directory.js';

/**
 * 8 s: how long a lease lasts without renewal, by the database's clock. It bounds how long a
 * crashed node's cameras go unpulled (8 s, then the next round of another node claims them:
 * pulled again within about 10 s), and is long enough that renewals every 2 s ride out a few
 * slow or lost statements.
 */
export const LEASE_TTL_MS = 8_000;
/**
 * 2 s: one lease round (heartbeat + renewal, claims when there is something to claim) per node
 * every 2 s: a quarter of the TTL, the ratio the Kubernetes leaderelection notes give for
 * tolerating nodes whose clocks run at different rates (not just offsets).
 */
export const LEASE_RENEW_INTERVAL_MS = 2_000;
/**
 * 6 s: a node stops pulling a camera 6 s after it SENT the last statement that extended its lease,
 * timed on its own monotonic clock: the database set the expiry to at least that send time + 8 s,
 * so the node has stopped 2 s (one renewal interval) before any other node can claim the camera,
 * even when the node's clock runs 25 % slow against the database's.
 */
export const LEASE_FENCE_AFTER_MS = 6_000;
/**
 * 1 s: the server cancels a lease statement running longer (statement_timeout): a round that
 * waits on a lock gives up before the next round is due.
 */
export const LEASE_STATEMENT_TIMEOUT_MS = 1_000;
/**
 * 1.5 s: the client gives up on a statement without an answer (pg's query_timeout) and on a
 * connection attempt, shorter than the renewal interval: a blackholed connection (a partition,
 * a dead database host) cannot stall the loop, and the self-fence never depends on the network.
 */
export const LEASE_QUERY_TIMEOUT_MS = 1_500;
/** 30 s: the directory's full resync, the safety net behind LISTEN/NOTIFY. */
export const DIRECTORY_RESYNC_MS = 30_000;
/**
 * 30 s: a viewer's demand keeps an on-demand camera wanted this long: time for a node to claim it,
 * start the stream and for the viewer to start playing; from then on its owner keeps it while
 * viewers watch and releases it when idle (release()).
 */
export const DEMAND_WINDOW_MS = 30_000;
/** 1 s: demand() writes to the database at most once a second per camera, however many viewers ask. */
export const DEMAND_THROTTLE_MS = 1_000;
/**
 * 1 camera: a node releases cameras for rebalancing only when it holds more than its fair share
 * plus one. The shares round up, so a node one over its share is normal after a node left; without
 * the slack a share that moves by one (a camera added, then removed) would move a camera twice.
 */
export const REBALANCE_SLACK = 1;
/**
 * A quarter of the excess, at least 2, per round: rebalancing when a node joins moves cameras a few
 * at a time (each one is a short stall for its viewers and a new RTSP session on the claimer), and
 * still converges within a dozen rounds for hundreds of cameras.
 */
export const REBALANCE_MIN_PER_ROUND = 2;
export const REBALANCE_FRACTION = 4;
/**
 * 2 connections: the keeper's statements run one at a time (below); the second is for a statement
 * started while the first is being replaced after a timeout. LISTEN has a connection of its own.
 * The keeper never shares a pool with the API: renewals must not queue behind other queries.
 */
const POOL_SIZE = 2;
/** 63: PostgreSQL truncates application_name to 63 bytes (NAMEDATALEN - 1). */
const APPLICATION_NAME_MAX = 63;
/** 128 characters: node ids are names (host name and port), not documents. */
const NODE_ID_MAX = 128;
/** 4096: demand() throttle entries kept at most; older ones are dropped first. */
const DEMAND_THROTTLE_ENTRIES = 4096;

/** Lease timing; see the constants above for each default and why. */
export interface LeaseTiming {
  ttlMs: number;
  renewIntervalMs: number;
  fenceAfterMs: number;
  statementTimeoutMs: number;
  queryTimeoutMs: number;
  directoryResyncMs: number;
  demandWindowMs: number;
  demandThrottleMs: number;
}

export const DEFAULT_LEASE_TIMING: Readonly<LeaseTiming> = {
  ttlMs: LEASE_TTL_MS,
  renewIntervalMs: LEASE_RENEW_INTERVAL_MS,
  fenceAfterMs: LEASE_FENCE_AFTER_MS,
  statementTimeoutMs: LEASE_STATEMENT_TIMEOUT_MS,
  queryTimeoutMs: LEASE_QUERY_TIMEOUT_MS,
  directoryResyncMs: DIRECTORY_RESYNC_MS,
  demandWindowMs: DEMAND_WINDOW_MS,
  demandThrottleMs: DEMAND_THROTTLE_MS,
};

/** Where a camera's stream stopped (or is): its HLS media sequence number and discontinuity sequence. */
export interface StreamPosition {
  msn: number;
  discontinuity: number;
}

/** A lease this node now holds: pull the camera. */
export interface AcquiredLease {
  cameraId: string;
  /** The fencing token: status writes name it; a write naming an older epoch changes nothing. */
  epoch: number;
  /**
   * Where the previous owner's stream stopped; continue after it with a discontinuity. `final`:
   * exact (a graceful hand-over), else the last position reported before a crash (continue a few
   * sequence numbers further on).
   */
  continueFrom?: StreamPosition & { final: boolean };
}

/**
 * Why a lease ends here: `fenced` (the node could not renew in time, the database is unreachable
 * or slow), `taken` (the renewal found the lease no longer this node's), `released` (release()),
 * `rebalanced` (more than this node's fair share), `unwanted` (camera disabled or deleted),
 * `stopping` (stop()).
 */
export type LossReason = 'fenced' | 'taken' | 'released' | 'rebalanced' | 'unwanted' | 'stopping';

export interface LeaseKeeperOptions {
  /** CAMGATE_NODE_ID: unique in the cluster. */
  nodeId: string;
  /** CAMGATE_NODE_URL: where the other nodes proxy this node's cameras' viewers. */
  nodeUrl: string;
  /** CAMGATE_NODE_CAPACITY: this node never pulls more cameras. 0: it only serves (proxies). */
  capacity: number;
  /**
   * The database: a URL or a pg client configuration. The keeper opens connections of its own
   * (a pool of 2 and the LISTEN connection) with its timeouts, and closes them on stop().
   */
  database: string | ClientConfig;
  /**
   * The node now holds the lease: start pulling. Called after the keeper recorded it (holds() is
   * true), never twice for one lease, and always before that lease's onLost.
   */
  onAcquired(lease: AcquiredLease): void;
  /**
   * Stop pulling the camera: at once (before the promise is even awaited: stop taking in media in
   * the synchronous part), then close the session and resolve with where the stream stopped, or
   * undefined when it never started. The keeper awaits it before it releases the lease in the
   * database, so no other node pulls the camera while this one still does. Called once per lease.
   */
  onLost(cameraId: string, reason: LossReason): Promise<StreamPosition | undefined>;
  /** Shorter times for tests; the defaults are the constants above. */
  timing?: Partial<LeaseTiming>;
  logger?: ClusterLogger;
  /** The monotonic clock in milliseconds. Default performance.now. */
  now?: () => number;
}

/** Numbers for metrics and benchmarks. */
export interface LeaseStats {
  /** Leases this node pulls (stopping ones included: they pull until onLost resolves). */
  held: number;
  /** The fair share of the last round. */
  share: number;
  /** Wanted cameras in the cluster, and live nodes (this one included), at the last round. */
  wanted: number;
  liveNodes: number;
  /** Lease rounds that succeeded, and that failed (the database unreachable or too slow). */
  rounds: number;
  renewFailures: number;
  /** Statements sent: rounds, claims, releases, demands, the directory's. */
  statements: number;
  claims: number;
  releases: number;
  /** Times the node fenced itself (dropped leases it could not renew in time). */
  fences: number;
  /** Leases found taken or deleted by a renewal. */
  lost: number;
  /** Time of the last successful round, all its statements, and the sum over all rounds (ms). */
  lastRoundMs: number;
  totalRoundMs: number;
}

type LeaseState =
  /** Pulling. */
  | 'held'
  /** onLost called and not resolved: still pulling, still renewed. */
  | 'stopping'
  /** The puller stopped: the row is to be released (or forgotten). */
  | 'stopped';

interface Lease {
  cameraId: string;
  epoch: number;
  state: LeaseState;
  /** Monotonic send time of the last statement that extended this lease in the database. */
  extendedAt: number;
  /** The last position the supervisor reported, and whether it reached the database. */
  reported: StreamPosition | undefined;
  reportedVersion: number;
  savedVersion: number;
  /** Once stopped: where the stream stopped, and what to do with the row. */
  final: StreamPosition | undefined;
  releaseInDb: boolean;
  demand: DemandOnRelease;
  /** Settles once onLost resolved and the release was tried. */
  done: Promise<void> | undefined;
}

type Phase = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * Decides which cameras this node pulls (docs/architecture.md, "Scale-out"): a lease per camera
 * in PostgreSQL, claimed atomically, renewed in one statement per round, conditioned on the epoch,
 * with the node fencing itself on its own monotonic clock before the database can hand a lease to
 * anyone else. The invariant: two nodes never pull one camera at the same time.
 *
 * Statements run one at a time (a lane), so the keeper's view changes only between statements.
 * Callbacks, not events: onLost is awaited before a lease is released in the database.
 */
export class LeaseKeeper {
  readonly nodeId: string;
  readonly nodeUrl: string;
  readonly capacity: number;
  readonly timing: Readonly<LeaseTiming>;

  private readonly options: LeaseKeeperOptions;
  private readonly logger: ClusterLogger;
  private readonly now: () => number;
  private readonly pool: Pool;
  private readonly directory: NodeDirectory;
  private readonly leases = new Map<string, Lease>();
  private readonly demanded = new Map<string, number>();
  private readonly clients = new Set<PoolClient>();
  private phase: Phase = 'new';
  private lane: Promise<unknown> = Promise.resolve();
  private roundTimer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private roundRunning: Promise<void> | undefined;
  private roundsDone = 0;
  private lastRoundOk = false;
  private claimed = false;
  private failing = false;
  private stopping: Promise<void> | undefined;
  private readonly counters = {
    share: 0,
    wanted: 0,
    liveNodes: 1,
    rounds: 0,
    renewFailures: 0,
    statements: 0,
    claims: 0,
    releases: 0,
    fences: 0,
    lost: 0,
    lastRoundMs: 0,
    totalRoundMs: 0,
  };

  constructor(options: LeaseKeeperOptions) {
    this.options = options;
    this.nodeId = options.nodeId;
    this.nodeUrl = options.nodeUrl;
    this.capacity = options.capacity;
    this.timing = leaseTiming(options.timing);
    checkNode(options);
    this.logger = options.logger ?? SILENT;
    this.now = options.now ?? (() => performance.now());
    const config: ClientConfig = {
      ...(typeof options.database === 'string' ? { connectionString: options.database } : options.database),
      application_name: `camgate lease ${options.nodeId}`.slice(0, APPLICATION_NAME_MAX),
      statement_timeout: this.timing.statementTimeoutMs,
      query_timeout: this.timing.queryTimeoutMs,
      connectionTimeoutMillis: this.timing.queryTimeoutMs,
      keepAlive: true,
    };
    this.pool = new Pool({ ...config, max: POOL_SIZE });
    // An idle connection the server closed (restart, fast shutdown): the pool drops it; the next round reconnects.
    this.pool.on('error', (err) =>
      this.logger.debug?.({ error: databaseProblem(err) }, 'lease keeper: connection lost'),
    );
    // Connections whose socket is open, so that none outlives stop() (a blackholed one never closes by itself).
    this.pool.on('connect', (client) => this.clients.add(client));
    this.pool.on('remove', (client) => this.clients.delete(client));
    this.directory = new NodeDirectory({
      selfId: this.nodeId,
      selfUrl: this.nodeUrl,
      newClient: () => new Client(config),
      localEpoch: (id) => {
        const lease = this.leases.get(id);
        return lease?.state === 'held' ? lease.epoch : undefined;
      },
      resyncIntervalMs: this.timing.directoryResyncMs,
      reconnectDelayMs: this.timing.renewIntervalMs,
      logger: this.logger,
      onStatement: () => {
        this.counters.statements++;
      },
    });
  }

  /**
   * True once the first rounds finished (the node row written, then the first claim) and while
   * the last round succeeded: false while the database is unreachable. /readyz uses it.
   */
  get ready(): boolean {
    return this.phase === 'running' && this.claimed && this.lastRoundOk;
  }

  /**
   * Registers the node and starts the rounds. The first round only writes the node row (with
   * the directory's first load): nodes started together see each other before anyone claims,
   * instead of the first one taking every camera and handing most back. Claims start with the
   * second round, one renewal interval later. Resolves after the first round, whether or not the
   * database answered (the rounds go on; `ready` says).
   */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new ClusterError(ClusterErrorCode.STOPPED, 'the lease keeper was started before');
    this.phase = 'running';
    await this.inLane(async () => {
      try {
        await this.sql(FORGET_OLD_NODES_SQL, []);
      } catch {
        // The first round says what is wrong.
      }
    });
    await Promise.all([this.directory.start(), this.runRound()]);
  }

  /**
   * Graceful stop (SIGTERM): onLost(id, 'stopping') for every lease, each released with its final
   * position as soon as its puller stopped, then the node row deleted and every connection
   * closed. Other nodes claim the cameras in their next round instead of waiting for the TTL.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  /** Whether this node holds the camera's lease (and pulls it). */
  holds(cameraId: string): boolean {
    return this.leases.get(cameraId)?.state === 'held';
  }

  /** The epoch of the lease this node holds on the camera (for status writes), if any. */
  epochOf(cameraId: string): number | undefined {
    const lease = this.leases.get(cameraId);
    return lease?.state === 'held' ? lease.epoch : undefined;
  }

  /** The leases this node holds, in the order it acquired them. */
  heldLeases(): Array<{ cameraId: string; epoch: number }> {
    return [...this.leases.values()]
      .filter((lease) => lease.state === 'held')
      .map(({ cameraId, epoch }) => ({ cameraId, epoch }));
  }

  /**
   * Where the camera's stream is now; saved with the next round, so that a node taking over after
   * a crash continues close to it. Ignored for a camera this node does not pull.
   */
  report(cameraId: string, position: StreamPosition): void {
    const lease = this.leases.get(cameraId);
    if (lease === undefined || lease.state === 'stopped') return;
    lease.reported = { msn: position.msn, discontinuity: position.discontinuity };
    lease.reportedVersion++;
  }

  /**
   * A viewer asks for an on-demand camera nobody pulls: it becomes wanted for the demand window
   * (at most one write per camera per throttle period, whichever node asks), and this node claims
   * it at once when it has room; otherwise a node with room claims it in its next round. Wait for
   * the owner with whenOwned(). Rejects with CLUSTER_DATABASE_UNAVAILABLE when the database does
   * not answer.
   */
  async demand(cameraId: string): Promise<void> {
    if (this.phase !== 'running') throw stoppedError();
    const now = this.now();
    const last = this.demanded.get(cameraId);
    if (last !== undefined && now - last < this.timing.demandThrottleMs) return;
    this.demanded.delete(cameraId);
    this.demanded.set(cameraId, now);
    if (this.demanded.size > DEMAND_THROTTLE_ENTRIES) {
      const oldest = this.demanded.keys().next();
      if (oldest.done !== true) this.demanded.delete(oldest.value);
    }
    await this.inLane(async () => {
      let owner: string | null | undefined;
      try {
        const result = await this.sql<{ owner: string | null }>(DEMAND_SQL, [cameraId, this.timing.demandWindowMs]);
        owner = result.rows[0]?.owner;
      } catch (err) {
        // The throttle stays: with the database down, every viewer's request must not queue
        // another statement ahead of the renewals.
        throw new ClusterError(
          ClusterErrorCode.DATABASE_UNAVAILABLE,
          `the database did not take the demand for camera "${cameraId}": ${databaseProblem(err)}`,
          { cause: err },
        );
      }
      // No such camera, or somebody pulls it already.
      if (owner !== null) return;
      if (this.phase === 'running' && this.pulling() < this.capacity) {
        try {
          await this.claim(1, cameraId);
        } catch (err) {
          this.logger.warn({ camera: cameraId, error: databaseProblem(err) }, 'lease keeper: claim on demand failed');
        }
      }
    });
  }

  /**
   * Voluntary release (an on-demand camera went idle): onLost(id, 'released') is awaited, then the
   * lease is released with the final position and the camera's demand cleared, so that no other
   * node claims it until a viewer asks again. Resolves once done; at once when not held.
   */
  release(cameraId: string): Promise<void> {
    const lease = this.leases.get(cameraId);
    if (lease === undefined) return Promise.resolve();
    return this.drop(lease, 'released', { releaseInDb: true, demand: 'clear' });
  }

  /** The URL of node `nodeId` while it is alive, or undefined (it left, or died). */
  urlOf(nodeId: string): string | undefined {
    return this.directory.urlOf(nodeId);
  }

  /**
   * Who pulls the camera, and where to proxy its viewers: this node while it holds the lease,
   * else the live owner the directory knows (LISTEN + resync), else undefined.
   */
  ownerOf(cameraId: string): LeaseOwner | undefined {
    return this.directory.ownerOf(cameraId);
  }

  /**
   * Resolves with the owner once some node holds the camera's lease (at once if one does), or
   * undefined after `timeoutMs`; rejects with the signal's reason when it aborts.
   */
  whenOwned(cameraId: string, signal?: AbortSignal, timeoutMs = this.timing.ttlMs): Promise<LeaseOwner | undefined> {
    return this.directory.whenOwned(cameraId, signal, timeoutMs);
  }

  /** The monotonic time at which the held leases start being fenced (no lease: undefined). */
  fenceDeadline(): number | undefined {
    let deadline: number | undefined;
    for (const lease of this.leases.values()) {
      if (lease.state !== 'held') continue;
      const at = lease.extendedAt + this.timing.fenceAfterMs;
      if (deadline === undefined || at < deadline) deadline = at;
    }
    return deadline;
  }

  stats(): LeaseStats {
    return { held: this.pulling(), ...this.counters };
  }

  /**
   * What a crash leaves behind, for tests: timers stopped and connections closed, with no
   * onLost, no release and no node row deleted. The leases stay in the database until they expire.
   */
  async abandon(): Promise<void> {
    this.phase = 'stopped';
    clearTimeout(this.roundTimer);
    clearTimeout(this.fenceTimer);
    this.leases.clear();
    // A crashed process's sockets close at once.
    await this.closeConnections(0);
  }

  // --- the rounds -------------------------------------------------------------------------

  private runRound(): Promise<void> {
    const started = this.now();
    this.roundTimer = undefined;
    this.roundRunning = this.inLane(() => this.round()).then(() => {
      this.roundRunning = undefined;
      if (this.phase !== 'running') return;
      // A fixed rate from the start of each round: a slow round does not push renewals later.
      const wait = Math.max(0, started + this.timing.renewIntervalMs - this.now());
      this.roundTimer = setTimeout(() => void this.runRound(), wait);
    });
    return this.roundRunning;
  }

  private async round(): Promise<void> {
    if (this.phase !== 'running') return;
    const started = this.now();
    const sent = [...this.leases.values()].filter((lease) => lease.state !== 'stopped');
    const positions = sent.map((lease) => (lease.reportedVersion === lease.savedVersion ? undefined : lease.reported));
    const versions = sent.map((lease) => lease.reportedVersion);
    let row: RoundRow | undefined;
    try {
      const result = await this.sql<RoundRow>(
        ROUND_SQL,
        [
          this.nodeId,
          this.nodeUrl,
          this.capacity,
          this.timing.ttlMs,
          sent.map((lease) => lease.cameraId),
          sent.map((lease) => lease.epoch),
          positions.map((position) => position?.msn ?? null),
          positions.map((position) => position?.discontinuity ?? null),
        ],
        'camgate_lease_round',
      );
      row = result.rows[0];
    } catch (err) {
      this.roundFailed(err);
      return;
    }
    if (row === undefined || !this.running()) return;
    this.applyRenewals(sent, versions, row, started);
    this.directory.setNodes(row.nodes);
    this.roundsDone++;

    try {
      await this.releaseStopped();
      this.forgetExpired();
      const capacities = [this.capacity, ...row.nodes.map((node) => node.capacity)];
      const share = fairShare(row.wanted, capacities, this.capacity);
      Object.assign(this.counters, { share, wanted: row.wanted, liveNodes: capacities.length });
      const pulling = this.pulling();
      // Leases on their way out (stopping) are not released again: held ones only.
      const held = this.heldLeases().length;
      if (held > share + REBALANCE_SLACK) {
        this.rebalance(held - share);
      } else if (this.roundsDone > 1 && row.free > 0 && pulling < share) {
        await this.claim(share - pulling, null);
      }
    } catch (err) {
      this.roundFailed(err);
      return;
    }
    if (this.roundsDone > 1) this.claimed = true;
    this.lastRoundOk = true;
    if (this.failing) {
      this.failing = false;
      this.logger.info({ node: this.nodeId }, 'lease keeper: the database answers again');
    }
    const took = this.now() - started;
    this.counters.rounds++;
    this.counters.lastRoundMs = took;
    this.counters.totalRoundMs += took;
  }

  /** The renewal's answer: extend what was renewed, stop what was not. */
  private applyRenewals(sent: readonly Lease[], versions: readonly number[], row: RoundRow, sentAt: number): void {
    const renewed = new Set(row.renewed);
    const disabled = new Set(row.disabled);
    const missing = new Set(row.missing);
    sent.forEach((lease, i) => {
      // Dropped (and maybe claimed again, another lease) while the statement ran: not this one's answer.
      if (this.leases.get(lease.cameraId) !== lease || lease.state === 'stopped') return;
      if (renewed.has(lease.cameraId)) {
        lease.extendedAt = Math.max(lease.extendedAt, sentAt);
        lease.savedVersion = Math.max(lease.savedVersion, versions[i] ?? 0);
        if (disabled.has(lease.cameraId)) this.dropLater(lease, 'unwanted', { releaseInDb: true, demand: 'keep' });
      } else if (lease.state === 'held') {
        this.counters.lost++;
        const reason = missing.has(lease.cameraId) ? 'unwanted' : 'taken';
        this.logger.warn({ camera: lease.cameraId, epoch: lease.epoch, reason }, 'lease keeper: lease lost');
        // Someone else's now, or gone: nothing to release.
        this.dropLater(lease, reason, { releaseInDb: false, demand: 'keep' });
      }
    });
    this.armFence();
  }

  private roundFailed(err: unknown): void {
    this.lastRoundOk = false;
    this.counters.renewFailures++;
    if (this.phase !== 'running') return;
    const fields = { node: this.nodeId, error: databaseProblem(err), fenceDeadline: this.fenceDeadline() };
    if (this.failing) this.logger.debug?.(fields, 'lease keeper: round failed');
    else this.logger.warn(fields, 'lease keeper: round failed; leases are fenced at their deadline unless renewed');
    this.failing = true;
  }

  /** Claims up to `limit` free wanted cameras (or the one named) in one statement. */
  private async claim(limit: number, only: string | null): Promise<void> {
    const sentAt = this.now();
    const result = await this.sql<ClaimRow>(
      CLAIM_SQL,
      [this.nodeId, limit, [...this.leases.keys()], only, this.timing.ttlMs],
      'camgate_lease_claim',
    );
    // Stopped meanwhile: the rows expire by themselves (abandon) or were never ours to pull (stop).
    if (this.phase !== 'running' && this.phase !== 'stopping') return;
    const acquired: AcquiredLease[] = [];
    for (const row of result.rows) {
      const lease: Lease = {
        cameraId: row.camera_id,
        epoch: Number(row.epoch),
        state: 'held',
        extendedAt: sentAt,
        reported: undefined,
        reportedVersion: 0,
        savedVersion: 0,
        final: undefined,
        releaseInDb: true,
        demand: 'keep',
        done: undefined,
      };
      this.leases.set(lease.cameraId, lease);
      this.counters.claims++;
      acquired.push({
        cameraId: lease.cameraId,
        epoch: lease.epoch,
        ...(row.last_msn === null || row.last_discontinuity === null
          ? {}
          : {
              continueFrom: {
                msn: Number(row.last_msn),
                discontinuity: Number(row.last_discontinuity),
                final: row.position_final,
              },
            }),
      });
    }
    this.armFence();
    for (const lease of acquired) {
      try {
        this.options.onAcquired(lease);
      } catch (err) {
        this.logger.error({ camera: lease.cameraId, error: String(err) }, 'lease keeper: onAcquired threw');
      }
      this.directory.changed(lease.cameraId);
    }
    // A stop that began while the claim ran: hand these back like the others.
    if (this.phase === 'stopping') {
      for (const lease of acquired) {
        const held = this.leases.get(lease.cameraId);
        if (held !== undefined) this.dropLater(held, 'stopping', { releaseInDb: true, demand: 'extend' });
      }
    }
  }

  /** Releases a few of the leases over the fair share (the last acquired first). */
  private rebalance(excess: number): void {
    const count = Math.min(excess, Math.max(REBALANCE_MIN_PER_ROUND, Math.ceil(excess / REBALANCE_FRACTION)));
    const held = [...this.leases.values()].filter((lease) => lease.state === 'held');
    for (const lease of held.slice(-count)) {
      // 'extend': an on-demand camera handed over keeps its viewers' demand, so the next owner claims it.
      this.dropLater(lease, 'rebalanced', { releaseInDb: true, demand: 'extend' });
    }
  }

  // --- dropping and releasing ---------------------------------------------------------------

  /** drop() without waiting for it (from inside the lane: its release queues behind). */
  private dropLater(lease: Lease, reason: LossReason, how: { releaseInDb: boolean; demand: DemandOnRelease }): void {
    void this.drop(lease, reason, how);
  }

  /**
   * Stops pulling: onLost, awaited, then the release in the database (when the lease may still
   * be ours there). The lease keeps being renewed while onLost runs, and is excluded from claims
   * until it is released or expired.
   */
  private drop(
    lease: Lease,
    reason: LossReason,
    how: { releaseInDb: boolean; demand: DemandOnRelease },
  ): Promise<void> {
    if (lease.state !== 'held') return lease.done ?? Promise.resolve();
    lease.state = 'stopping';
    lease.releaseInDb = how.releaseInDb;
    lease.demand = how.demand;
    this.directory.changed(lease.cameraId);
    this.armFence();
    lease.done = (async () => {
      let position: StreamPosition | undefined;
      try {
        position = await this.options.onLost(lease.cameraId, reason);
      } catch (err) {
        this.logger.error({ camera: lease.cameraId, error: String(err) }, 'lease keeper: onLost threw');
      }
      lease.state = 'stopped';
      lease.final = position;
      // Stopping while the database does not answer: no release to wait for, the lease expires.
      if (!lease.releaseInDb || this.phase === 'stopped' || (this.phase === 'stopping' && !this.lastRoundOk)) {
        this.forget(lease);
        return;
      }
      await this.inLane(() => this.releaseStopped()).catch((err: unknown) => {
        this.logger.debug?.({ camera: lease.cameraId, error: databaseProblem(err) }, 'lease keeper: release failed');
      });
    })();
    return lease.done;
  }

  /**
   * Releases every stopped lease in one statement; on failure they stay and the next round
   * tries again (or they expire: see forgetExpired).
   */
  private async releaseStopped(): Promise<void> {
    const stopped = [...this.leases.values()].filter((lease) => lease.state === 'stopped' && lease.releaseInDb);
    if (stopped.length === 0) return;
    await this.sql(RELEASE_SQL, [
      this.nodeId,
      stopped.map((lease) => lease.cameraId),
      stopped.map((lease) => lease.epoch),
      stopped.map((lease) => lease.final?.msn ?? null),
      stopped.map((lease) => lease.final?.discontinuity ?? null),
      stopped.map((lease) => lease.demand),
      this.timing.demandWindowMs,
    ]);
    this.counters.releases += stopped.length;
    for (const lease of stopped) this.forget(lease);
  }

  /** A stopped lease the database let expire needs no release: forget it (it may be claimed again). */
  private forgetExpired(): void {
    const now = this.now();
    for (const lease of this.leases.values()) {
      if (lease.state === 'stopped' && now - lease.extendedAt > this.timing.ttlMs) this.forget(lease);
    }
  }

  private forget(lease: Lease): void {
    if (this.leases.get(lease.cameraId) === lease) this.leases.delete(lease.cameraId);
    this.directory.changed(lease.cameraId);
  }

  /** The self-fence: a timer at the earliest deadline of the held leases. */
  private armFence(): void {
    clearTimeout(this.fenceTimer);
    this.fenceTimer = undefined;
    const deadline = this.fenceDeadline();
    if (deadline === undefined || this.phase === 'stopped') return;
    this.fenceTimer = setTimeout(() => this.fence(), Math.max(0, deadline - this.now()));
  }

  private fence(): void {
    this.fenceTimer = undefined;
    const now = this.now();
    const due = [...this.leases.values()].filter(
      (lease) => lease.state === 'held' && now >= lease.extendedAt + this.timing.fenceAfterMs,
    );
    if (due.length > 0) {
      this.counters.fences++;
      this.logger.warn(
        { node: this.nodeId, leases: due.length },
        'lease keeper: could not renew in time; stopped pulling (self-fence)',
      );
      // Released with the final position once the database answers, unless taken over by then.
      for (const lease of due) this.dropLater(lease, 'fenced', { releaseInDb: true, demand: 'extend' });
    }
    // A timer that fired a hair early (or the leases that are due later) arms it again.
    this.armFence();
  }

  // --- stopping -----------------------------------------------------------------------------

  private async shutDown(): Promise<void> {
    if (this.phase === 'stopped') return;
    const started = this.phase !== 'new';
    this.phase = 'stopping';
    clearTimeout(this.roundTimer);
    if (started) {
      await this.roundRunning;
      await this.inLane(() => Promise.resolve());
      const drops = [...this.leases.values()].map((lease) =>
        this.drop(lease, 'stopping', { releaseInDb: true, demand: 'extend' }),
      );
      await Promise.all(drops);
      // With the database unreachable (the last round failed), the stop does not wait on it: the
      // leases and the node row expire by themselves (SIGTERM leaves a few seconds).
      if (this.lastRoundOk) {
        // Leases stopped earlier whose release failed: one more try.
        await this.inLane(() => this.releaseStopped()).catch(() => undefined);
        try {
          await this.inLane(() => this.sql(DELETE_NODE_SQL, [this.nodeId]));
        } catch (err) {
          this.logger.warn({ node: this.nodeId, error: databaseProblem(err) }, 'lease keeper: node row not deleted');
        }
      }
    }
    this.phase = 'stopped';
    clearTimeout(this.fenceTimer);
    this.leases.clear();
    await this.closeConnections(this.lastRoundOk ? this.timing.queryTimeoutMs : 0);
  }

  /**
   * Closes every connection: politely, and those still open after `graceMs` (a blackholed
   * connection never answers the goodbye) are destroyed.
   */
  private async closeConnections(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    const allRemoved = new Promise<void>((resolve) => {
      const check = () => {
        if (this.clients.size > 0) return;
        this.pool.off('remove', check);
        resolve();
      };
      this.pool.on('remove', check);
      check();
    });
    const directoryClosed = this.directory.close(graceMs);
    await Promise.race([Promise.all([this.pool.end().catch(() => undefined), allRemoved]), grace]);
    clearTimeout(timer);
    for (const client of this.clients) client.connection.stream.destroy();
    this.clients.clear();
    await directoryClosed;
  }

  // --- plumbing -----------------------------------------------------------------------------

  /** A method, not a field read: the phase changes while a statement is awaited. */
  private running(): boolean {
    return this.phase === 'running';
  }

  /** Leases pulling (held or stopping): what counts against capacity and share. */
  private pulling(): number {
    let count = 0;
    for (const lease of this.leases.values()) if (lease.state !== 'stopped') count++;
    return count;
  }

  /** Runs `task` after every statement queued before it: one statement at a time. */
  private inLane<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lane.then(task, task);
    this.lane = run.catch(() => undefined);
    return run;
  }

  /**
   * One statement. The round's and the claim's are named: each connection parses and plans them
   * once (a prepared statement) instead of every 2 s.
   */
  private async sql<Row extends QueryResultRow>(text: string, values: unknown[], name?: string) {
    this.counters.statements++;
    return this.pool.query<Row>(name === undefined ? { text, values } : { name, text, values });
  }
}

/** The timing with defaults, checked: the fencing argument holds only in this order. */
export function leaseTiming(partial: Partial<LeaseTiming> = {}): LeaseTiming {
  const timing = { ...DEFAULT_LEASE_TIMING, ...partial };
  for (const [key, value] of Object.entries(timing)) {
    if (!Number.isFinite(value) || value <= 0) throw invalid(`timing.${key} must be a positive number of ms`);
  }
  const { ttlMs, renewIntervalMs, fenceAfterMs, statementTimeoutMs, queryTimeoutMs } = timing;
  if (!(fenceAfterMs < ttlMs)) throw invalid('timing.fenceAfterMs must be shorter than timing.ttlMs');
  if (!(2 * renewIntervalMs <= fenceAfterMs)) {
    throw invalid(
      'timing.renewIntervalMs must be at most half of timing.fenceAfterMs (one late renewal must not fence)',
    );
  }
  if (!(queryTimeoutMs < renewIntervalMs)) {
    throw invalid('timing.queryTimeoutMs must be shorter than timing.renewIntervalMs');
  }
  if (!(statementTimeoutMs <= queryTimeoutMs)) {
    throw invalid('timing.statementTimeoutMs must not be longer than timing.queryTimeoutMs');
  }
  return timing;
}

function checkNode(options: LeaseKeeperOptions): void {
  if (options.nodeId === '' || options.nodeId.length > NODE_ID_MAX) {
    throw invalid(`nodeId must have 1 to ${NODE_ID_MAX} characters`);
  }
  if (!Number.isSafeInteger(options.capacity) || options.capacity < 0) {
    throw invalid('capacity must be a whole number, 0 or more');
  }
  if (!URL.canParse(options.nodeUrl)) throw invalid('nodeUrl must be a URL');
}

function invalid(message: string): ClusterError {
  return new ClusterError(ClusterErrorCode.INVALID_OPTIONS, `lease keeper: ${message}`);
}

function stoppedError(): ClusterError {
  return new ClusterError(ClusterErrorCode.STOPPED, 'the lease keeper is not running');
}

const SILENT: ClusterLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
