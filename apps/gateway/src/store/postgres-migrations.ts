import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import {
  DatabaseError,
  DatabaseErrorCode,
  destroyClient,
  PostgresDatabase,
  type DatabaseLogger,
} from './postgres-database.js';

/**
 * The versioned SQL files (`<timestamp>_<name>.sql`, node-pg-migrate's SQL format), beside `src/`
 * and `dist/` alike: the package ships the folder ("files" in package.json).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
/** Which migrations a database has, by name: camgate's own table, apart from other applications'. */
export const MIGRATIONS_TABLE = 'camgate_migrations';
/**
 * The advisory lock migrations run under ("camgmi": "camg" and "mi" in ASCII): nodes starting
 * together apply them once, one after another. Not node-pg-migrate's shared default, so another
 * application migrating the same database never waits for camgate, nor camgate for it.
 */
export const MIGRATION_LOCK_ID = 0x63616d676d69;
/**
 * 5 minutes: a migration (and the wait for another node's) may take longer than any statement
 * the gateway runs otherwise; a migration stuck longer is failed rather than holding start-up.
 */
const MIGRATION_TIMEOUT_MS = 5 * 60_000;

export interface MigrationResult {
  /** The migrations this call applied, by name (empty: the schema was current). */
  applied: string[];
  /** Every migration the database has now. */
  schema: string[];
}

/**
 * Brings the database's schema up to the one this camgate uses, under an advisory lock (a node
 * starting while another migrates waits for it, then finds nothing to do), all pending migrations
 * in one transaction. Throws DB_SCHEMA_TOO_NEW when the database has a migration this camgate does
 * not know (a newer camgate migrated it: upgrade this one), DB_UNREACHABLE when it cannot connect,
 * DB_MIGRATION_FAILED when a migration fails (nothing applied). Never shows the URL's password.
 */
export async function runMigrations(
  database: string | PostgresDatabase,
  logger?: DatabaseLogger,
): Promise<MigrationResult> {
  const db = typeof database === 'string' ? PostgresDatabase.fromUrl(database) : database;
  const client = db.newClient({ statementTimeoutMs: MIGRATION_TIMEOUT_MS, queryTimeoutMs: MIGRATION_TIMEOUT_MS });
  try {
    try {
      await client.connect();
    } catch (err) {
      throw new DatabaseError(
        DatabaseErrorCode.UNREACHABLE,
        `cannot reach the database ${db.description}: ${db.describeError(err)}`,
      );
    }
    const known = await knownMigrations();
    // Before migrating (a newer schema is not one to run our migrations on) and after (a newer
    // camgate may have migrated while this one waited for the lock).
    await checkNotNewer(client, db, known);
    let applied: string[];
    try {
      const { runner } = await import('node-pg-migrate');
      const ran = await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        // SQL files only: nothing in the folder is ever loaded as code.
        ignorePattern: String.raw`.*(?<!\.sql)`,
        migrationLoaderStrategies: [{ extensions: ['.sql'], loader: 'legacySql' }],
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'up',
        checkOrder: true,
        singleTransaction: true,
        lockValue: MIGRATION_LOCK_ID,
        advisoryLockMode: 'wait',
        logger: migrationLogger(logger, db),
      });
      applied = ran.map((migration) => migration.name);
    } catch (err) {
      if (err instanceof DatabaseError) throw err;
      throw new DatabaseError(
        DatabaseErrorCode.MIGRATION_FAILED,
        `the database ${db.description} could not be migrated (nothing was changed): ${db.describeError(err)}`,
      );
    }
    const schema = await checkNotNewer(client, db, known);
    if (applied.length > 0) logger?.info({ database: db.description, applied }, 'database schema migrated');
    return { applied, schema };
  } finally {
    await destroyClient(client);
    if (typeof database === 'string') await db.end();
  }
}

/** The migrations this camgate has, by name (file name without `.sql`), in order. */
export async function knownMigrations(): Promise<string[]> {
  const files = await readdir(MIGRATIONS_DIR);
  return files
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.slice(0, -'.sql'.length))
    .sort();
}

/** The database's migrations; DB_SCHEMA_TOO_NEW when one is not among `known`. */
async function checkNotNewer(client: pg.Client, db: PostgresDatabase, known: readonly string[]): Promise<string[]> {
  let names: string[];
  try {
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
    names = rows.map((row) => row.name);
  } catch (err) {
    // No table yet: a new database.
    if ((err as { code?: unknown }).code === '42P01') return [];
    throw new DatabaseError(
      DatabaseErrorCode.UNREACHABLE,
      `cannot read the schema version of the database ${db.description}: ${db.describeError(err)}`,
    );
  }
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new DatabaseError(
      DatabaseErrorCode.SCHEMA_TOO_NEW,
      `the database ${db.description} was migrated by a newer camgate (its schema has ${unknown.join(', ')}, which this camgate does not know): upgrade camgate on this node; every node of one database runs the same version`,
    );
  }
  return names;
}

/** node-pg-migrate's log lines, through the gateway's logger (and without the password). */
function migrationLogger(logger: DatabaseLogger | undefined, db: PostgresDatabase) {
  const to = (level: 'info' | 'warn') => (message: string) =>
    logger?.[level]({ database: db.description }, `migrations: ${db.redact(message)}`);
  return { info: () => undefined, warn: to('warn'), error: to('warn') };
}
