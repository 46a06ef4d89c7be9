import type pg from 'pg';
import { StoreError, StoreErrorCode } from './camera-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { PostgresListener, type PostgresListenerOptions } from './postgres-listener.js';

/**
 * What the PostgreSQL stores (cameras, signing keys) share: calls tracked for close(), database
 * failures turned into STORE_IO without the password, one transaction on one connection, and the
 * watchers of one LISTEN channel.
 */
export class StoreCalls {
  readonly #db: PostgresDatabase;
  readonly #name: string;
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  /** `name`: what the store is, for errors (`the camera store`). */
  constructor(db: PostgresDatabase, name: string) {
    this.#db = db;
    this.#name = name;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs a call, tracked for close(). `operation` runs now, up to its first await (so a record is
   * copied at call time); a synchronous throw becomes a rejection like any other. Anything but a
   * StoreError becomes STORE_IO: `cannot <what>: the database <host:port/db> failed: <why>`.
   */
  run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError(StoreErrorCode.CLOSED, `${this.#name} is closed`));
    const result = (async () => operation())().catch((err: unknown) => {
      throw this.ioError(what, err);
    });
    this.#pending.add(result);
    const settled = () => this.#pending.delete(result);
    result.then(settled, settled);
    return result;
  }

  /** A StoreError as it is; anything else as STORE_IO naming the database, never its password. */
  ioError(what: string, err: unknown): StoreError {
    if (err instanceof StoreError) return err;
    return new StoreError(
      StoreErrorCode.IO,
      `cannot ${what}: the database ${this.#db.description} failed: ${this.#db.describeError(err)}`,
    );
  }

  /** One transaction on one pooled connection; a connection that failed is not given back to the pool. */
  transaction<T>(operation: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    // A StoreError is a refusal (duplicate, full): the connection is fine.
    return inTransaction(this.#db.pool, operation, (err) => err instanceof StoreError);
  }

  /** Refuses new calls and waits for those in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
  }
}

/**
 * Runs `operation` in one transaction on one connection of `pool`. A connection that failed is
 * not given back to the pool; one whose operation threw a `refusal` (a rule said no) is.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  operation: (client: pg.PoolClient) => Promise<T>,
  refusal: (err: unknown) => boolean,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await operation(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (!refusal(err)) broken = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * The watchers of one store: one LISTEN connection serves them all, started with the first and
 * stopped with the last (or close()).
 */
export class ChannelWatchers<Change> {
  readonly #db: PostgresDatabase;
  readonly #options: Omit<PostgresListenerOptions, 'onNotification' | 'onResync'>;
  readonly #toChange: (payload: string) => Change;
  readonly #resync: Change;
  readonly #watchers = new Set<(change: Change) => void>();
  #listener: PostgresListener | undefined;
  #stopping: Promise<void> = Promise.resolve();
  #closed = false;

  /** `toChange` turns a notification's payload into a change; `resync` is the change for "read everything again". */
  constructor(
    db: PostgresDatabase,
    options: Omit<PostgresListenerOptions, 'onNotification' | 'onResync'>,
    toChange: (payload: string) => Change,
    resync: Change,
  ) {
    this.#db = db;
    this.#options = options;
    this.#toChange = toChange;
    this.#resync = resync;
  }

  add(watcher: (change: Change) => void): () => void {
    if (this.#closed) return () => undefined;
    this.#watchers.add(watcher);
    if (this.#listener === undefined) {
      const listener = new PostgresListener(this.#db, {
        ...this.#options,
        onNotification: (_channel, payload) => this.#emit(this.#toChange(payload)),
        onResync: () => this.#emit(this.#resync),
      });
      this.#listener = listener;
      // A listener still stopping (the last watcher left a moment ago) finishes first.
      void this.#stopping.then(() => {
        if (this.#listener === listener) listener.start();
      });
    }
    return () => {
      if (this.#watchers.delete(watcher) && this.#watchers.size === 0) this.#stop();
    };
  }

  /** Stops listening; later add() calls do nothing. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watchers.clear();
    this.#stop();
    await this.#stopping;
  }

  #stop(): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    this.#listener = undefined;
    this.#stopping = Promise.all([this.#stopping, listener.close()]).then(() => undefined);
  }

  #emit(change: Change): void {
    for (const watcher of [...this.#watchers]) {
      try {
        watcher(change);
      } catch {
        // One watcher's failure does not keep the others from hearing.
      }
    }
  }
}
