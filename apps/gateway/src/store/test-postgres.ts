import { hasTools, requireTools, startPostgres, type PrivatePostgres } from '@camgate/testkit';
import pg from 'pg';
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { runMigrations } from './postgres-migrations.js';

/**
 * The database password in every URL the tests give the gateway: no error message, log line or
 * output may contain it. (The private cluster trusts local connections, so any password works.)
 */
export const DATABASE_CANARY = 'canary-db-pw-7f3e9b';

/** The migrated database every test's migrated database is a copy of. */
const TEMPLATE = 'camgate_migrated';
/** The migrated database emptied for each test that asks for one ({@link TestPostgres.emptyDatabase}). */
const SHARED = 'camgate_shared';

export interface TestPostgres {
  /** The private cluster; only inside a test that passed the gate. */
  cluster(): PrivatePostgres;
  /**
   * A new database of the cluster for one test, migrated unless `migrate: false`, as a URL with
   * {@link DATABASE_CANARY} as its password. Skips the test when PostgreSQL is not installed (fails
   * it under CAMGATE_REQUIRE_INTEROP=1).
   */
  database(ctx: TestContext, options?: { migrate?: boolean }): Promise<string>;
  /**
   * One migrated database shared by the file's tests, emptied of every row (positions restarted)
   * for each: faster than a new database (CREATE DATABASE takes 0.2 s), for tests that close
   * every connection before they end. Gated like {@link database}.
   */
  emptyDatabase(ctx: TestContext): Promise<string>;
}

/**
 * A private PostgreSQL cluster for the tests of one file: started once before them when the
 * server is installed, stopped after them.
 */
export function usePrivatePostgres(): TestPostgres {
  let cluster: PrivatePostgres | undefined;
  let databases = 0;
  let template: Promise<void> | undefined;
  let shared: Promise<string> | undefined;
  beforeAll(async () => {
    if (hasTools('postgres')) cluster = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  const started = (): PrivatePostgres => {
    if (cluster === undefined) throw new Error('the private PostgreSQL cluster did not start');
    return cluster;
  };
  const migrated = async (name: string): Promise<string> => {
    // Migrated once into a template, then copied: a copy is quicker than migrating.
    template ??= started()
      .createDatabase(TEMPLATE)
      .then((url) => runMigrations(url))
      .then(() => undefined);
    await template;
    await started().psql(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
    return started().urlFor(name);
  };
  return {
    cluster: started,
    async database(ctx, options = {}) {
      requireTools(ctx, 'postgres');
      const name = `test_${++databases}`;
      const url = options.migrate === false ? await started().createDatabase(name) : await migrated(name);
      return withPassword(url, DATABASE_CANARY);
    },
    async emptyDatabase(ctx) {
      requireTools(ctx, 'postgres');
      shared ??= migrated(SHARED);
      // A connection per call: one kept open would break when a test stops the server.
      const client = new pg.Client(await shared);
      client.on('error', () => undefined);
      await client.connect();
      try {
        // CASCADE empties the tables that refer to these (leases, camera status, recorded segments).
        await client.query(
          'TRUNCATE camgate_cameras, camgate_signing_keys, camgate_nodes, camgate_recording_files, camgate_recording_spans RESTART IDENTITY CASCADE',
        );
      } finally {
        await client.end();
      }
      return withPassword(started().urlFor(SHARED), DATABASE_CANARY);
    },
  };
}

/** `url` with `password` for its user. */
export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.href;
}
