import type pg from 'pg';
import { destroyClient, type DatabaseLogger, type PostgresDatabase } from './postgres-database.js';

/**
 * 30 s: the safety net behind notifications (issue 12). A change whose notification was lost
 * (a connection that broke unnoticed) is picked up within this long; a full read of the registry
 * every 30 s costs a node nothing.
 */
export const RESYNC_INTERVAL_MS = 30_000;
/**
 * 10 s between checks that the LISTEN connection still answers. A server that went away politely
 * closes the connection at once; one that vanished (a dead host, a partition) is noticed here.
 */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** 5 s for the heartbeat's answer before the connection is given up and made again. */
export const HEARTBEAT_TIMEOUT_MS = 5_000;
/** Reconnection backoff: 100 ms, doubling, at most 5 s, each with up to 50% random added. */
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export interface PostgresListenerOptions {
  channels: readonly string[];
  onNotification(channel: string, payload: string): void;
  /**
   * Notifications may have been missed: called once LISTEN is active (the first time too: changes
   * made before were not heard), after every reconnection, and every `resyncIntervalMs` while
   * connected.
   */
  onResync(): void;
  resyncIntervalMs?: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  logger?: DatabaseLogger;
}

/**
 * One dedicated connection that LISTENs on some channels, and keeps doing so: when it breaks, it is
 * made again with backoff, and the owner is told to resync. Nothing it does throws: the database
 * being away is a state it waits out.
 */
export class PostgresListener {
  readonly #db: PostgresDatabase;
  readonly #options: PostgresListenerOptions;
  readonly #stop = new AbortController();
  #client: pg.Client | undefined;
  #done: Promise<void> | undefined;

  constructor(db: PostgresDatabase, options: PostgresListenerOptions) {
    this.#db = db;
    this.#options = options;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Stops listening and releases the connection and every timer. */
  async close(): Promise<void> {
    this.#stop.abort();
    const client = this.#client;
    if (client !== undefined) await destroyClient(client);
    await this.#done;
  }

  /** A method, not `signal.aborted` inline: the state changes across the awaits of #run. */
  #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!this.#stopped()) {
      const client = this.#db.newClient({ queryTimeoutMs: this.#options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS });
      this.#client = client;
      const broken = new Promise<string>((resolve) => {
        client.once('end', () => resolve('the connection ended'));
        client.on('error', (err) => resolve(this.#db.describeError(err)));
      });
      client.on('notification', (message) => this.#notify(message));
      let listening = false;
      try {
        await client.connect();
        for (const channel of this.#options.channels) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
        listening = true;
      } catch (err) {
        this.#warn(failures, `cannot listen for changes: ${this.#db.describeError(err)}`);
      }
      if (listening && !this.#stopped()) {
        if (failures > 0) this.#options.logger?.info({ database: this.#db.description }, 'listening for changes again');
        failures = 0;
        this.#resync();
        const why = await this.#whileConnected(client, broken);
        if (!this.#stopped()) this.#warn(0, `the connection that listens for changes broke: ${why}`);
      }
      await destroyClient(client);
      this.#client = undefined;
      if (this.#stopped()) break;
      await sleep(backoff(failures++), signal);
    }
  }

  /** Resyncs periodically and checks the connection, until it breaks or the listener closes; says why it ended. */
  async #whileConnected(client: pg.Client, broken: Promise<string>): Promise<string> {
    const signal = this.#stop.signal;
    const resyncMs = this.#options.resyncIntervalMs ?? RESYNC_INTERVAL_MS;
    const heartbeatMs = this.#options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
    const resync = setInterval(() => this.#resync(), resyncMs);
    let heartbeat: NodeJS.Timeout | undefined;
    let active = true;
    const unanswered = new Promise<string>((resolve) => {
      const beat = () => {
        // A heartbeat answered after the race ended schedules nothing more.
        if (!active) return;
        heartbeat = setTimeout(() => {
          client.query('SELECT 1').then(beat, (err: unknown) => resolve(`no answer (${this.#db.describeError(err)})`));
        }, heartbeatMs);
      };
      beat();
    });
    const stopped = new Promise<string>((resolve) => {
      if (signal.aborted) resolve('closed');
      else signal.addEventListener('abort', () => resolve('closed'), { once: true });
    });
    try {
      return await Promise.race([broken, unanswered, stopped]);
    } finally {
      active = false;
      clearInterval(resync);
      clearTimeout(heartbeat);
    }
  }

  #notify(message: pg.Notification): void {
    try {
      this.#options.onNotification(message.channel, message.payload ?? '');
    } catch {
      // A listener's failure is its own; the connection keeps listening.
    }
  }

  #resync(): void {
    try {
      this.#options.onResync();
    } catch {
      // As above.
    }
  }

  /** The first failure in a row is a warning; repeats (every backoff step) stay quiet. */
  #warn(failures: number, message: string): void {
    if (failures === 0) this.#options.logger?.warn({ database: this.#db.description }, message);
  }
}

/** `"name"`: channels are identifiers in LISTEN. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function backoff(failures: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(failures, 16));
  return base + Math.random() * base * 0.5;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
