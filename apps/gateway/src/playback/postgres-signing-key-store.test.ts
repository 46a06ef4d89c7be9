import { isCodedError } from '@camgate/bits';
import { describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../store/camera-store.js';
import { SecretBox, SecretErrorCode } from '../store/secret-box.js';
import { DATABASE_CANARY, usePrivatePostgres } from '../store/test-postgres.js';
import { PostgresSigningKeyStore, type PostgresSigningKeyStoreOptions } from './postgres-signing-key-store.js';
import { MAX_SIGNING_KEYS, type SigningKeyRecord } from './signing-key-store.js';

const postgres = usePrivatePostgres();

/** A private member that must never be quoted by an error, nor be in the database in the clear. */
const SECRET_D = 'PrivateD-9c1f7e2b-not-to-be-quoted';
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
const OTHER_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 100 + i));
const secrets = SecretBox.fromKeys(KEY);
const TEST_LIMITS = { connectTimeoutMs: 1_000, queryTimeoutMs: 2_000, statementTimeoutMs: 2_000 };

function record(id: string, managed = false): SigningKeyRecord {
  return {
    id,
    name: `key ${id}`,
    algorithm: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
    ...(managed ? { privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: SECRET_D } } : {}),
    managed,
    createdAt: new Date(0).toISOString(),
  };
}

function open(url: string, options: Partial<PostgresSigningKeyStoreOptions> = {}): Promise<PostgresSigningKeyStore> {
  return PostgresSigningKeyStore.open({ database: url, secrets, limits: TEST_LIMITS, ...options });
}

function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const err = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(err).toBeInstanceOf(Error);
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    expect(cause.message).not.toContain(SECRET_D);
    expect(cause.message).not.toContain(DATABASE_CANARY);
  }
  return err as Error & { code?: string };
}

/**
 * One watch() listener for the whole test, and a way to wait for its next call (within
 * `withinMs`): the listener stays subscribed, so the calls are notifications, not the resync of a
 * listener started anew.
 */
function watchCalls(store: PostgresSigningKeyStore) {
  let calls = 0;
  const waiters = new Set<() => void>();
  const unwatch = store.watch(() => {
    calls++;
    for (const waiter of [...waiters]) waiter();
  });
  return {
    unwatch,
    get calls() {
      return calls;
    },
    next(withinMs = 1_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`watch() was not called within ${withinMs} ms`));
        }, withinMs);
        waiters.add(done);
      });
    },
  };
}

describe('PostgresSigningKeyStore', () => {
  it('needs a secret key: SECRET_KEY_REQUIRED', async () => {
    const err = await rejection(
      PostgresSigningKeyStore.open({ database: 'postgres://db/camgate', secrets: undefined }),
    );
    expect(err.code).toBe(SecretErrorCode.KEY_REQUIRED);
  });

  it("keeps keys in creation order, the gateway's own private key only sealed; copies out; durable across reopen", async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    const store = await open(url);
    expect(await store.list()).toEqual([]);
    await store.create(record('a'));
    await store.create(record('own', true));
    await store.create(record('b'));
    expect(await store.delete('b')).toBe(true);
    expect(await store.delete('b')).toBe(false);
    const listed = await store.list();
    listed[0]!.name = 'changed';
    expect(await store.list()).toEqual([record('a'), record('own', true)]);
    await store.close();

    const rows = await postgres
      .cluster()
      .psql('SELECT id, private_sealed FROM camgate_signing_keys ORDER BY position', dbName(url));
    expect(rows).not.toContain(SECRET_D);
    expect(rows.split('\n')).toEqual([
      'a|',
      expect.stringMatching(new RegExp(`^own\\|sealed:v1:${secrets.keyId}:`)) as string,
    ]);
    const again = await open(url);
    expect(await again.list()).toEqual([record('a'), record('own', true)]);
    await again.close();
  });

  it(`refuses a duplicate id, more than ${MAX_SIGNING_KEYS} keys of the API and a second key of the gateway's own`, async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    const store = await open(url);
    await store.create(record('a'));
    expect((await rejection(store.create(record('a')))).code).toBe(StoreErrorCode.DUPLICATE_ID);
    await Promise.all(Array.from({ length: MAX_SIGNING_KEYS - 1 }, (_, i) => store.create(record(`k${i}`))));
    expect((await rejection(store.create(record('one-more')))).code).toBe(StoreErrorCode.FULL);
    await store.create(record('own', true));
    expect((await rejection(store.create(record('own2', true)))).code).toBe(StoreErrorCode.FULL);
    expect(await store.list()).toHaveLength(MAX_SIGNING_KEYS + 1);
    await store.close();
  });

  it("two nodes making the gateway's own key at once: one succeeds, the other gets STORE_FULL", async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    const [one, two] = await Promise.all([open(url), open(url)]);
    const results = await Promise.allSettled([one.create(record('own1', true)), two.create(record('own2', true))]);
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(isCodedError(rejected[0]!.reason, StoreErrorCode.FULL)).toBe(true);
    expect((await two.list()).filter((key) => key.managed)).toHaveLength(1);
    await Promise.all([one.close(), two.close()]);
  });

  it('a key deleted on one node reaches the watchers of another within 1 s', async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    const [one, two] = await Promise.all([open(url), open(url)]);
    await one.create(record('a'));
    const watching = watchCalls(two);
    await watching.next(); // listening now (the first call is the resync on listening)

    const deleted = watching.next();
    const start = performance.now();
    await one.delete('a');
    await deleted;
    await ctx.annotate(`delete on one node to the other's watcher: ${(performance.now() - start).toFixed(1)} ms`);
    expect(await two.list()).toEqual([]);

    const created = watching.next();
    await one.create(record('b'));
    await created;
    expect((await two.list()).map((key) => key.id)).toEqual(['b']);
    // A notification each, and the resync on listening: no periodic resync in so short a time.
    expect(watching.calls).toBe(3);
    watching.unwatch();
    await Promise.all([one.close(), two.close()]);
  });

  it('calls watchers every resyncIntervalMs too (a lost notice is caught up)', async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    const store = await open(url, { resyncIntervalMs: 100 });
    const watching = watchCalls(store);
    for (let i = 0; i < 3; i++) await watching.next();
    watching.unwatch();
    await store.close();
  });

  it('a database that stops: STORE_IO without the password, and it works again when back', async (ctx) => {
    const url = await postgres.database(ctx);
    const store = await open(url);
    await store.create(record('own', true));
    await postgres.cluster().pause();
    try {
      for (const call of [store.list(), store.create(record('a')), store.delete('own')]) {
        expect((await rejection(call)).code).toBe(StoreErrorCode.IO);
      }
    } finally {
      await postgres.cluster().resume();
    }
    expect(await store.list()).toEqual([record('own', true)]);
    await store.close();
  });

  it('refuses to open private keys sealed with another key (STORE_CORRUPT with the fix); seals previous keys again', async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    const old = await open(url, { secrets: SecretBox.fromKeys(OTHER_KEY) });
    await old.create(record('own', true));
    await old.close();

    const err = await rejection(open(url));
    expect(err.code).toBe(StoreErrorCode.CORRUPT);
    expect(err.message).toContain('set CAMGATE_SECRET_KEY to the key it was written with');

    const rotated = await open(url, { secrets: SecretBox.fromKeys(KEY, [OTHER_KEY]) });
    expect(await rotated.list()).toEqual([record('own', true)]);
    await rotated.close();
    const current = await open(url);
    expect(await current.list()).toEqual([record('own', true)]);
    await current.close();
  });

  it('a sealed private key moved to another row is STORE_CORRUPT when read, never quoted', async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    const store = await open(url);
    await store.create(record('own', true));
    await store.create(record('a'));
    await postgres
      .cluster()
      .psql(
        "UPDATE camgate_signing_keys SET private_sealed = (SELECT private_sealed FROM camgate_signing_keys WHERE id = 'own') WHERE id = 'a'",
        dbName(url),
      );
    const err = await rejection(store.list());
    expect(err.code).toBe(StoreErrorCode.CORRUPT);
    expect(err.message).toContain('signing key "a"');
    await store.close();
  });
});
