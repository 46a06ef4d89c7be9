import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort } from '@camgate/testkit';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DatabaseErrorCode } from './postgres-database.js';
import { knownMigrations, MIGRATIONS_DIR, MIGRATIONS_TABLE, runMigrations } from './postgres-migrations.js';
import { DATABASE_CANARY, usePrivatePostgres } from './test-postgres.js';

const postgres = usePrivatePostgres();

/** Rejects with `code`, and neither the message nor any cause shows the database password. */
async function expectDatabaseCode(promise: Promise<unknown>, code: DatabaseErrorCode): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(err).toMatchObject({ code });
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    expect(cause.message).not.toContain(DATABASE_CANARY);
  }
  return err as Error;
}

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('runMigrations', () => {
  it('finds the SQL files beside src/ and dist/ alike (the package ships migrations/)', async () => {
    expect(MIGRATIONS_DIR.endsWith(join('apps', 'gateway', 'migrations/'))).toBe(true);
    expect(existsSync(join(MIGRATIONS_DIR, '1700000000001_initial.sql'))).toBe(true);
    expect((await knownMigrations())[0]).toBe('1700000000001_initial');
  });

  it('applies the schema to a new database, then finds nothing to do', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const known = await knownMigrations();
    expect(await runMigrations(url)).toEqual({ applied: known, schema: known });
    expect(await tables(url)).toEqual(
      expect.arrayContaining(['camgate_cameras', 'camgate_signing_keys', 'camgate_leases', MIGRATIONS_TABLE]),
    );
    expect(await runMigrations(url)).toEqual({ applied: [], schema: known });
  });

  it('nodes starting together apply the schema exactly once, without error (advisory lock)', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const known = await knownMigrations();
    // Five nodes at once, each on its own connection: one migrates, the others wait and find it done.
    const results = await Promise.all(Array.from({ length: 5 }, () => runMigrations(url)));
    expect(results.filter((result) => result.applied.length > 0)).toEqual([{ applied: known, schema: known }]);
    for (const result of results) expect(result.schema).toEqual(known);
    const count = await postgres.cluster().psql(`SELECT count(*) FROM ${MIGRATIONS_TABLE}`, dbName(url));
    expect(Number(count)).toBe(known.length);
  });

  it('refuses a database a newer camgate migrated with DB_SCHEMA_TOO_NEW: upgrade camgate', async (ctx) => {
    const url = await postgres.database(ctx);
    await postgres
      .cluster()
      .psql(`INSERT INTO ${MIGRATIONS_TABLE} (name, run_on) VALUES ('1900000000000_future', now())`, dbName(url));
    const err = await expectDatabaseCode(runMigrations(url), DatabaseErrorCode.SCHEMA_TOO_NEW);
    expect(err.message).toContain('1900000000000_future');
    expect(err.message).toContain('upgrade camgate');
  });

  it('a migration that fails changes nothing: DB_MIGRATION_FAILED, the database as it was', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    // A table in the way: the first migration's CREATE TABLE fails, and with it the whole transaction.
    await postgres.cluster().psql('CREATE TABLE camgate_signing_keys (x int)', dbName(url));
    const err = await expectDatabaseCode(runMigrations(url), DatabaseErrorCode.MIGRATION_FAILED);
    expect(err.message).toContain('already exists');
    expect(await tables(url)).toEqual(['camgate_migrations', 'camgate_signing_keys']);
    expect(await postgres.cluster().psql(`SELECT count(*) FROM ${MIGRATIONS_TABLE}`, dbName(url))).toBe('0');
  });

  it('a database that cannot be reached is DB_UNREACHABLE, without the password', async () => {
    const port = await getFreePort();
    const err = await expectDatabaseCode(
      runMigrations(`postgres://camgate:${DATABASE_CANARY}@127.0.0.1:${port}/camgate`),
      DatabaseErrorCode.UNREACHABLE,
    );
    expect(err.message).toContain(`127.0.0.1:${port}/camgate`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it.each(['mysql://camgate@db/camgate', 'not a url', `http://camgate:${DATABASE_CANARY}@db/camgate`])(
    'refuses %s with DB_INVALID_URL, never quoting it',
    async (url) => {
      const err = await expectDatabaseCode(runMigrations(url), DatabaseErrorCode.INVALID_URL);
      expect(err.message).not.toContain(url);
    },
  );
});

function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}
