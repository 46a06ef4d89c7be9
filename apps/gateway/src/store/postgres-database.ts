import { CodedError } from '@camgate/bits';
import pg from 'pg';

export const DatabaseErrorCode = {
  /** CAMGATE_DATABASE_URL is not a PostgreSQL URL. */
  INVALID_URL: 'DB_INVALID_URL',
  /** The database cannot be reached or refused the connection. */
  UNREACHABLE: 'DB_UNREACHABLE',
  /** The database's schema is newer than this camgate knows: upgrade camgate. */
  SCHEMA_TOO_NEW: 'DB_SCHEMA_TOO_NEW',
  /** Applying the schema migrations failed; the database was left as it was (one transaction). */
  MIGRATION_FAILED: 'DB_MIGRATION_FAILED',
} as const;
export type DatabaseErrorCode = (typeof DatabaseErrorCode)[keyof typeof DatabaseErrorCode];

/** Errors about the database itself; they never quote the URL or its password. */
export class DatabaseError extends CodedError<DatabaseErrorCode> {}

/** What the database code logs through: a pino logger fits. */
export interface DatabaseLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Connection limits; the defaults suit a gateway node, tests shorten the timeouts. */
export interface PostgresLimits {
  /**
   * Most connections in the pool (default {@link POOL_MAX_CONNECTIONS}). The LISTEN connections
   * of the stores are extra, one each.
   */
  maxConnections?: number;
  /** How long getting a connection may take, from the pool or a new one (default {@link CONNECT_TIMEOUT_MS}). */
  connectTimeoutMs?: number;
  /** How long a query may wait for its answer, measured here (default {@link QUERY_TIMEOUT_MS}). */
  queryTimeoutMs?: number;
  /** How long a statement may run, enforced by the server (default {@link STATEMENT_TIMEOUT_MS}). */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity (default `camgate`; a node may add its id). */
  applicationName?: string;
}

/**
 * 10 connections per node: the registry, the signing keys and the leases each use one or two at
 * a time; 3 nodes then take 30 plus their LISTEN connections, far below PostgreSQL's default
 * max_connections of 100.
 */
export const POOL_MAX_CONNECTIONS = 10;
/** 5 s to connect: a database on the network answers in milliseconds; longer means it is down. */
export const CONNECT_TIMEOUT_MS = 5_000;
/**
 * 10 s for an answer, timed here: a registry query takes milliseconds; a database that stopped
 * answering (a dead host, a partition) is given up on, the connection dropped, and the caller
 * gets STORE_IO instead of waiting forever.
 */
export const QUERY_TIMEOUT_MS = 10_000;
/** 5 s per statement on the server: nothing the gateway asks takes longer; a stuck lock wait is cut. */
export const STATEMENT_TIMEOUT_MS = 5_000;
/** 10 s: a transaction left open (a node paused mid-write) does not hold its locks longer. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;
/** 30 s: idle pooled connections are closed, so a quiet node holds few. */
const IDLE_TIMEOUT_MS = 30_000;
/** TCP keepalive after 10 s idle: a connection through a NAT or firewall that forgets it is noticed. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;
/** At most this much of a driver's error message goes into ours. */
const MAX_ERROR_TEXT = 300;

/**
 * One PostgreSQL database as the gateway uses it: a pool with limits, dedicated clients for
 * LISTEN, and errors that never show the URL's password.
 *
 * TLS is what the URL says (`?sslmode=verify-full&sslrootcert=...`, handled by pg).
 */
export class PostgresDatabase {
  readonly pool: pg.Pool;
  /** `host:port/database`, without user or password: for logs and errors. */
  readonly description: string;
  readonly #config: pg.PoolConfig;
  readonly #secrets: readonly string[];
  #ended = false;

  private constructor(config: pg.PoolConfig, description: string, secrets: readonly string[]) {
    this.#config = config;
    this.description = description;
    this.#secrets = secrets;
    this.pool = new pg.Pool(config);
    // An idle pooled connection that breaks (the server restarted) is dropped by the pool; without
    // a listener its error would end the process.
    this.pool.on('error', () => undefined);
  }

  /**
   * The database at `databaseUrl` (nothing is connected until first use). Throws DB_INVALID_URL,
   * without quoting the URL, when it is not a postgres:// or postgresql:// URL.
   */
  static fromUrl(databaseUrl: string, limits: PostgresLimits = {}): PostgresDatabase {
    let url: URL;
    try {
      url = new URL(databaseUrl.trim());
    } catch {
      throw invalidUrl();
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw invalidUrl();
    const secrets = [url.password, safeDecode(url.password), url.searchParams.get('password') ?? '']
      .filter((text) => text.length >= 1)
      // The whole URL too: a message quoting it is cut even if the password is empty.
      .concat(databaseUrl.trim())
      // Longest first: the URL is replaced whole, not left with only its password cut.
      .sort((a, b) => b.length - a.length);
    const host = url.hostname === '' ? (url.searchParams.get('host') ?? 'localhost') : url.hostname;
    const description = `${host}:${url.port === '' ? '5432' : url.port}${url.pathname === '' ? '/' : url.pathname}`;
    const config: pg.PoolConfig = {
      connectionString: databaseUrl.trim(),
      max: limits.maxConnections ?? POOL_MAX_CONNECTIONS,
      connectionTimeoutMillis: limits.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      query_timeout: limits.queryTimeoutMs ?? QUERY_TIMEOUT_MS,
      statement_timeout: limits.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
      application_name: limits.applicationName ?? 'camgate',
    };
    return new PostgresDatabase(config, description, secrets);
  }

  /**
   * A connection of its own, outside the pool, with the pool's settings (and `overrides`): for
   * LISTEN, and for migrations, whose lock waits are longer than a statement may take.
   */
  newClient(overrides: { statementTimeoutMs?: number; queryTimeoutMs?: number } = {}): pg.Client {
    const config: pg.ClientConfig = { ...this.#config };
    if (overrides.statementTimeoutMs !== undefined) config.statement_timeout = overrides.statementTimeoutMs;
    if (overrides.queryTimeoutMs !== undefined) config.query_timeout = overrides.queryTimeoutMs;
    const client = new pg.Client(config);
    // Errors after connect (the server went away) are reported here; the users watch 'end'.
    client.on('error', () => undefined);
    return client;
  }

  /** `text` with the URL's password (and the URL itself) replaced by `***`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }

  /**
   * What went wrong, safe for logs and error messages: the driver's message without the password,
   * and its code (`ECONNREFUSED`, a SQLSTATE such as `57P01`).
   */
  describeError(err: unknown): string {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    const text = this.redact(message).slice(0, MAX_ERROR_TEXT) || 'unknown error';
    return typeof code === 'string' && code !== '' && !text.includes(code) ? `${text} (${code})` : text;
  }

  /** Resolves once the database answers; throws DB_UNREACHABLE saying why (never the password). */
  async check(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      throw new DatabaseError(
        DatabaseErrorCode.UNREACHABLE,
        `cannot reach the database ${this.description}: ${this.describeError(err)}`,
      );
    }
  }

  /** Closes the pool's connections. Ending twice is harmless. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.pool.end();
  }
}

/**
 * Ends a dedicated client without waiting on a server that may never answer: the polite
 * Terminate is sent, and the socket is destroyed if the end has not completed within a moment.
 */
export async function destroyClient(client: pg.Client): Promise<void> {
  const ended = client.end().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      // `connection.stream` is pg's socket: destroying it ends the client at once.
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      resolve();
    }, CLIENT_END_GRACE_MS);
  });
  await Promise.race([ended, late]);
  clearTimeout(timer);
}

/** 1 s for a client's polite end; then its socket is destroyed. */
const CLIENT_END_GRACE_MS = 1_000;

function invalidUrl(): DatabaseError {
  return new DatabaseError(
    DatabaseErrorCode.INVALID_URL,
    'CAMGATE_DATABASE_URL is not a PostgreSQL URL like postgres://camgate:<password>@db.example.com:5432/camgate',
  );
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
