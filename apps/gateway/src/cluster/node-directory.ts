import type { Client, Notification } from 'pg';
import { databaseProblem } from './cluster-errors.js';
import { DIRECTORY_SQL, LEASE_CHANNEL, type DirectoryRow } from './lease-sql.js';

/** Who pulls a camera, and where to proxy its viewers. */
export interface LeaseOwner {
  nodeId: string;
  /** The owner's CAMGATE_NODE_URL. */
  url: string;
  epoch: number;
}

/** pino's shape, the part the cluster code uses. */
export interface ClusterLogger {
  debug?(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface NodeDirectoryOptions {
  selfId: string;
  selfUrl: string;
  /** A new, unconnected client for the LISTEN connection (opened again after it drops). */
  newClient(): Client;
  /** This node's own lease of a camera (it knows better than any notification), if it pulls it. */
  localEpoch(cameraId: string): number | undefined;
  /** Full resync period: the safety net for a lost notification. */
  resyncIntervalMs: number;
  /** Wait before opening a dropped LISTEN connection again. */
  reconnectDelayMs: number;
  logger: ClusterLogger;
  /** Counts the statements sent (the keeper's stats). */
  onStatement(): void;
}

/** What the directory knows of one lease: the owner (undefined: none, or expired) at an epoch. */
interface Entry {
  owner: string | undefined;
  epoch: number;
}

interface Waiter {
  cameraId: string;
  check(): void;
}

/**
 * Who owns each camera and at what URL, for proxying viewers to the owner. Kept current by
 * LISTEN camgate_leases (the lease trigger notifies every change of owner or epoch) and a full
 * resync every `resyncIntervalMs` and after the LISTEN connection is opened again; the resync
 * runs on the LISTEN connection itself, so a dead connection is noticed by it. The node URLs
 * and which nodes are alive come from the keeper's rounds ({@link setNodes}): an owner whose node
 * row expired is no owner.
 *
 * Notifications and a resync can cross: a notification about a camera wins over the resync
 * that was running when it came, and between notifications the higher epoch wins, a release
 * (no owner) over a claim of the same epoch (it comes after it).
 */
export class NodeDirectory {
  private readonly options: NodeDirectoryOptions;
  private readonly entries = new Map<string, Entry>();
  /** Live nodes' URLs by id, this node's included. */
  private nodes = new Map<string, string>();
  private readonly waiters = new Set<Waiter>();
  /** The open LISTEN connection, and how to give it up. */
  private listener: { client: Client; drop(err?: unknown): void } | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Cameras notified while a resync runs: the resync's older view of them is not applied. */
  private notifiedDuringResync: Set<string> | undefined;
  private resyncing: Promise<void> | undefined;
  private closed = false;

  constructor(options: NodeDirectoryOptions) {
    this.options = options;
    this.nodes.set(options.selfId, options.selfUrl);
  }

  /** Opens the LISTEN connection and loads every lease; a failure is retried, never thrown. */
  async start(): Promise<void> {
    await this.connect();
    this.resyncTimer = setInterval(() => void this.resync(), this.options.resyncIntervalMs);
  }

  /** The live nodes other than this one (the keeper's last round). */
  setNodes(nodes: ReadonlyArray<{ id: string; url: string }>): void {
    const next = new Map(nodes.map((node) => [node.id, node.url]));
    next.set(this.options.selfId, this.options.selfUrl);
    this.nodes = next;
    this.wake();
  }

  /** The URL of node `nodeId` while it is alive (by the keeper's last round), this node's included. */
  urlOf(nodeId: string): string | undefined {
    return this.nodes.get(nodeId);
  }

  /** Where viewers of the camera go: this node while it holds the lease, else the live owner. */
  ownerOf(cameraId: string): LeaseOwner | undefined {
    const { selfId, selfUrl } = this.options;
    const local = this.options.localEpoch(cameraId);
    if (local !== undefined) return { nodeId: selfId, url: selfUrl, epoch: local };
    const entry = this.entries.get(cameraId);
    // The directory naming this node while the keeper does not hold the lease is stale: none.
    if (entry?.owner === undefined || entry.owner === selfId) return undefined;
    const url = this.nodes.get(entry.owner);
    return url === undefined ? undefined : { nodeId: entry.owner, url, epoch: entry.epoch };
  }

  /**
   * Resolves with the owner as soon as some node holds the camera's lease (at once when one
   * does), or with undefined after `timeoutMs`; rejects with the signal's reason when aborted.
   */
  whenOwned(cameraId: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<LeaseOwner | undefined> {
    const now = this.ownerOf(cameraId);
    if (now !== undefined) return Promise.resolve(now);
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const settle = (owner: LeaseOwner | undefined, error?: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        if (error === undefined) resolve(owner);
        else reject(error);
      };
      const onAbort = () => settle(undefined, abortReason(signal));
      const waiter: Waiter = {
        cameraId,
        check: () => {
          const owner = this.closed ? undefined : this.ownerOf(cameraId);
          if (this.closed || owner !== undefined) settle(owner);
        },
      };
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** The keeper's own lease of the camera changed (claimed, dropped). */
  changed(cameraId: string): void {
    this.wake(cameraId);
  }

  /**
   * Stops listening; pending whenOwned() calls resolve undefined. The connection is closed
   * politely, or destroyed after `graceMs` (a blackholed one never answers the goodbye).
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.resyncTimer);
    this.wake();
    const listener = this.listener;
    this.listener = undefined;
    if (listener === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([listener.client.end().catch(() => undefined), grace]);
    clearTimeout(timer);
    listener.client.connection.stream.destroy();
  }

  /** Applies a notification of the lease trigger: `{"id", "owner", "epoch"}`. */
  private onNotification(message: Notification): void {
    if (message.channel !== LEASE_CHANNEL || message.payload === undefined) return;
    let payload: { id?: unknown; owner?: unknown; epoch?: unknown };
    try {
      payload = JSON.parse(message.payload) as typeof payload;
    } catch {
      return;
    }
    const { id, owner, epoch } = payload;
    if (typeof id !== 'string' || typeof epoch !== 'number' || !(owner === null || typeof owner === 'string')) return;
    this.notifiedDuringResync?.add(id);
    const current = this.entries.get(id);
    const next: Entry = { owner: owner ?? undefined, epoch };
    if (current !== undefined && !newer(next, current)) return;
    this.entries.set(id, next);
    this.wake(id);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = this.options.newClient();
    const state = { lost: false };
    const drop = (err?: unknown) => {
      if (state.lost) return;
      state.lost = true;
      if (this.listener?.client === client) this.listener = undefined;
      // Destroyed, not ended: a connection that failed may be blackholed, and would never close.
      client.connection.stream.destroy();
      if (this.closed) return;
      this.options.logger.warn(
        { error: err === undefined ? 'connection ended' : databaseProblem(err) },
        'lease directory: the LISTEN connection dropped; opening it again',
      );
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(() => void this.connect(), this.options.reconnectDelayMs);
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (message) => this.onNotification(message));
    try {
      await client.connect();
      this.options.onStatement();
      await client.query(`LISTEN ${LEASE_CHANNEL}`);
    } catch (err) {
      drop(err);
      return;
    }
    if (this.isClosed() || state.lost) {
      client.connection.stream.destroy();
      return;
    }
    this.listener = { client, drop };
    // Whatever changed while nobody listened.
    await this.resync();
  }

  /** Loads every lease (one statement, on the LISTEN connection); one at a time. */
  private resync(): Promise<void> {
    this.resyncing ??= this.load().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private async load(): Promise<void> {
    const listener = this.listener;
    if (listener === undefined || this.closed) return;
    const notified = new Set<string>();
    this.notifiedDuringResync = notified;
    let rows: DirectoryRow[];
    try {
      this.options.onStatement();
      rows = (await listener.client.query<DirectoryRow>(DIRECTORY_SQL)).rows;
    } catch (err) {
      // A connection that cannot answer (in time) is no connection: open a new one.
      listener.drop(err);
      return;
    } finally {
      this.notifiedDuringResync = undefined;
    }
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.camera_id);
      if (notified.has(row.camera_id)) continue;
      this.entries.set(row.camera_id, { owner: row.owner ?? undefined, epoch: Number(row.epoch) });
    }
    // Cameras deleted since (their lease rows went with them).
    for (const id of this.entries.keys()) if (!seen.has(id) && !notified.has(id)) this.entries.delete(id);
    this.wake();
  }

  /** A method, not a field read: close() may run while a statement is awaited. */
  private isClosed(): boolean {
    return this.closed;
  }

  private wake(cameraId?: string): void {
    for (const waiter of [...this.waiters]) if (cameraId === undefined || waiter.cameraId === cameraId) waiter.check();
  }
}

/** The abort's reason as an Error (an AbortError DOMException unless the caller gave another). */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Whether `next` comes after `current`: a higher epoch, or the release of the same epoch. */
function newer(next: Entry, current: Entry): boolean {
  if (next.epoch !== current.epoch) return next.epoch > current.epoch;
  return next.owner === undefined;
}
