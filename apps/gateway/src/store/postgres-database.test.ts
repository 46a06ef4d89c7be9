import { getFreePort } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import {
  CONNECT_TIMEOUT_MS,
  DatabaseErrorCode,
  POOL_MAX_CONNECTIONS,
  PostgresDatabase,
  QUERY_TIMEOUT_MS,
  STATEMENT_TIMEOUT_MS,
} from './postgres-database.js';
import { DATABASE_CANARY, usePrivatePostgres } from './test-postgres.js';

const postgres = usePrivatePostgres();

describe('PostgresDatabase', () => {
  it.each<[string, string]>([
    [`postgres://camgate:${DATABASE_CANARY}@db.example.com:6543/cams`, 'db.example.com:6543/cams'],
    [`postgresql://camgate:${DATABASE_CANARY}@db.example.com/cams?sslmode=verify-full`, 'db.example.com:5432/cams'],
    ['postgres:///cams?host=/var/run/postgresql', '/var/run/postgresql:5432/cams'],
  ])('describes %s as %s: no user, no password', async (url, description) => {
    const db = PostgresDatabase.fromUrl(url);
    expect(db.description).toBe(description);
    await db.end();
  });

  it.each(['mysql://camgate@db/camgate', 'db.example.com:5432', '', `http://camgate:${DATABASE_CANARY}@db/camgate`])(
    'refuses %j with DB_INVALID_URL, never quoting it',
    (url) => {
      let caught: unknown;
      try {
        PostgresDatabase.fromUrl(url);
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: DatabaseErrorCode.INVALID_URL });
      expect((caught as Error).message).not.toContain(DATABASE_CANARY);
      expect((caught as Error).message).toContain('postgres://');
    },
  );

  it('redacts the password (as written and decoded) and the URL from any text', async () => {
    const url = `postgres://camgate:p%40ss-${DATABASE_CANARY}@db/camgate`;
    const db = PostgresDatabase.fromUrl(url);
    expect(db.redact(`a ${url} b p%40ss-${DATABASE_CANARY} c p@ss-${DATABASE_CANARY}`)).toBe('a *** b *** c ***');
    const err = Object.assign(new Error(`failed for p@ss-${DATABASE_CANARY}`), { code: '28P01' });
    expect(db.describeError(err)).toBe('failed for *** (28P01)');
    await db.end();
  });

  it('says why it cannot connect (DB_UNREACHABLE), without the password', async () => {
    const port = await getFreePort();
    const db = PostgresDatabase.fromUrl(`postgres://camgate:${DATABASE_CANARY}@127.0.0.1:${port}/camgate`);
    const err = (await db.check().catch((error: unknown) => error)) as Error;
    expect(err).toMatchObject({ code: DatabaseErrorCode.UNREACHABLE });
    expect(err.message).toContain(`127.0.0.1:${port}/camgate`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain(DATABASE_CANARY);
    await db.end();
  });

  it('connects with its limits: application_name, statement timeout; the pool and its clients alike', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const db = PostgresDatabase.fromUrl(url);
    await db.check();
    const { rows } = await db.pool.query<{ name: string; timeout: string }>(
      "SELECT current_setting('application_name') AS name, current_setting('statement_timeout') AS timeout",
    );
    expect(rows).toEqual([{ name: 'camgate', timeout: `${STATEMENT_TIMEOUT_MS / 1000}s` }]);
    const client = db.newClient({ statementTimeoutMs: 60_000 });
    await client.connect();
    expect((await client.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows).toEqual([
      { t: '1min' },
    ]);
    await client.end();
    expect(db.pool.options).toMatchObject({
      max: POOL_MAX_CONNECTIONS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
    });
    await db.end();
    await db.end(); // twice is harmless
  });
});
