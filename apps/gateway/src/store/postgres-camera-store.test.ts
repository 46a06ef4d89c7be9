import { isCodedError } from '@camgate/bits';
import { getFreePort } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import { StoreErrorCode, type StoreChange } from './camera-store.js';
import { parseChange, PostgresCameraStore, type PostgresCameraStoreOptions } from './postgres-camera-store.js';
import { SecretBox, SecretErrorCode } from './secret-box.js';
import {
  CONTRACT_SECRET,
  contractCamera as camera,
  describeCameraStoreContract,
  expectStoreCode,
} from './test-camera-store-contract.js';
import { DATABASE_CANARY, usePrivatePostgres } from './test-postgres.js';

const postgres = usePrivatePostgres();

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
const OTHER_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 100 + i));
const secrets = SecretBox.fromKeys(KEY);

/** Short timeouts: a stopped database is noticed in a second, not in the production 10 s. */
const TEST_LIMITS = { connectTimeoutMs: 1_000, queryTimeoutMs: 2_000, statementTimeoutMs: 2_000 };

function open(url: string, options: Partial<PostgresCameraStoreOptions> = {}): Promise<PostgresCameraStore> {
  return PostgresCameraStore.open({ database: url, secrets, limits: TEST_LIMITS, ...options });
}

function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** Neither a camera password nor the database password in any error message of the chain. */
function expectNoSecrets(err: unknown): void {
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    expect(cause.message).not.toContain(CONTRACT_SECRET);
    expect(cause.message).not.toContain(DATABASE_CANARY);
  }
}

/**
 * The changes a store's watch() reports, with a way to wait for the next one that matches: a
 * notification must arrive within `withinMs` (1 s: issue 12's bound for changes reaching nodes).
 */
function recordChanges(store: PostgresCameraStore) {
  const seen: StoreChange[] = [];
  const waiters: Array<{ match: (change: StoreChange) => boolean; resolve: (change: StoreChange) => void }> = [];
  const unwatch = store.watch((change) => {
    seen.push(change);
    for (const waiter of [...waiters]) {
      if (waiter.match(change)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(change);
      }
    }
  });
  return {
    seen,
    unwatch,
    next(match: (change: StoreChange) => boolean, withinMs = 1_000): Promise<StoreChange> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching change within ${withinMs} ms; seen: ${JSON.stringify(seen)}`));
        }, withinMs);
        const waiter = {
          match,
          resolve: (change: StoreChange) => {
            clearTimeout(timer);
            resolve(change);
          },
        };
        waiters.push(waiter);
      });
    },
  };
}

const isResync = (change: StoreChange) => change.kind === 'resync';

describeCameraStoreContract('PostgresCameraStore', {
  storage: async (ctx) => {
    const url = await postgres.emptyDatabase(ctx);
    return { open: (options) => open(url, options) };
  },
  ordersConcurrentCalls: false,
});

describe('PostgresCameraStore', () => {
  it('needs a secret key: SECRET_KEY_REQUIRED saying how to make one', async () => {
    const err = await PostgresCameraStore.open({ database: 'postgres://db/camgate', secrets: undefined }).catch(
      (error: unknown) => error,
    );
    expect(err).toMatchObject({ code: SecretErrorCode.KEY_REQUIRED });
    expect((err as Error).message).toContain('camgate keygen --secret');
  });

  it('keeps the URL only sealed (url_sealed, bound to the camera), the other settings as JSON', async (ctx) => {
    const url = await postgres.database(ctx);
    const store = await open(url);
    await store.create({ ...camera('a'), playback: 'signed' });
    const row = await postgres
      .cluster()
      .psql("SELECT url_sealed, settings::text, revision, created_at FROM camgate_cameras WHERE id = 'a'", dbName(url));
    expect(row).not.toContain(CONTRACT_SECRET);
    expect(row).not.toContain('192.0.2.10');
    const [urlSealed, settings, revision, createdAt] = row.split('|');
    expect(urlSealed).toMatch(new RegExp(`^sealed:v1:${secrets.keyId}:`));
    expect(JSON.parse(settings!)).toEqual({
      name: 'Camera a',
      transport: 'auto',
      onDemand: false,
      audio: 'auto',
      enabled: true,
      playback: 'signed',
    });
    expect([revision, createdAt]).toEqual(['1', camera('a').createdAt]);
    await store.close();
  });

  it('two stores on one database: of two updates naming the same revision, one gets STORE_CONFLICT', async (ctx) => {
    const url = await postgres.database(ctx);
    const [one, two] = await Promise.all([open(url), open(url)]);
    await one.create(camera('a'));
    for (let round = 1; round <= 5; round++) {
      const results = await Promise.allSettled([
        one.update(camera('a', { name: `one ${round}`, revision: round + 1 }), round),
        two.update(camera('a', { name: `two ${round}`, revision: round + 1 }), round),
      ]);
      const rejected = results.filter((result) => result.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(isCodedError(rejected[0]!.reason, StoreErrorCode.CONFLICT)).toBe(true);
      const stored = await two.get('a');
      expect(stored?.revision).toBe(round + 1);
      expect(stored?.name).toBe(results[0].status === 'fulfilled' ? `one ${round}` : `two ${round}`);
    }
    // A delete naming an old revision is refused the same way.
    await expectStoreCode(one.delete('a', 1), StoreErrorCode.CONFLICT);
    await Promise.all([one.close(), two.close()]);
  });

  it("changes reach another store's watcher within 1 s: creates, updates, deletes, and psql's", async (ctx) => {
    const url = await postgres.database(ctx);
    const [writer, watcher] = await Promise.all([open(url), open(url)]);
    const changes = recordChanges(watcher);
    await changes.next(isResync); // listening now

    const latencies: number[] = [];
    const expectChange = async (write: () => Promise<unknown>, want: StoreChange) => {
      const arrived = changes.next(
        (change) => change.kind === 'camera' && JSON.stringify(change) === JSON.stringify(want),
      );
      const start = performance.now();
      await write();
      await arrived;
      latencies.push(performance.now() - start);
    };
    await expectChange(() => writer.create(camera('a')), { kind: 'camera', id: 'a', revision: 1 });
    await expectChange(() => writer.update(camera('a', { name: 'Gate', revision: 2 }), 1), {
      kind: 'camera',
      id: 'a',
      revision: 2,
    });
    await expectChange(
      () =>
        postgres
          .cluster()
          .psql(
            "UPDATE camgate_cameras SET revision = 3, settings = settings || '{\"enabled\": false}' WHERE id = 'a'",
            dbName(url),
          ),
      { kind: 'camera', id: 'a', revision: 3 },
    );
    expect((await watcher.get('a'))?.enabled).toBe(false);
    await expectChange(() => writer.delete('a'), { kind: 'camera', id: 'a', deleted: true });
    await ctx.annotate(
      `notification latency (write to watcher) ms: ${latencies.map((ms) => ms.toFixed(1)).join(', ')}`,
    );

    changes.unwatch();
    await Promise.all([writer.close(), watcher.close()]);
  });

  it('resyncs periodically, the safety net for a lost notification', async (ctx) => {
    const url = await postgres.database(ctx);
    const store = await open(url, { resyncIntervalMs: 100 });
    const changes = recordChanges(store);
    await changes.next(isResync); // on listening
    await changes.next(isResync); // then every 100 ms
    await changes.next(isResync);
    changes.unwatch();
    // Watching again after everyone left starts listening again.
    const again = recordChanges(store);
    await again.next(isResync);
    again.unwatch();
    await store.close();
  });

  it('a database that stops: STORE_IO (no crash, no password), and everything works again when it is back', async (ctx) => {
    const url = await postgres.database(ctx);
    const store = await open(url, { heartbeatIntervalMs: 200 });
    await store.create(camera('a'));
    const changes = recordChanges(store);
    await changes.next(isResync);

    await postgres.cluster().pause();
    // The LISTEN connection comes back by itself and says to resync (changes may have been missed);
    // waited for from here: it may be back before resume() returns. (No resync while disconnected.)
    let back: Promise<StoreChange> | undefined;
    try {
      for (const call of [
        store.list(),
        store.get('a'),
        store.create(camera('b')),
        store.update(camera('a', { revision: 2 }), 1),
        store.delete('a'),
      ]) {
        const err = await expectStoreCode(call, StoreErrorCode.IO);
        expect(err.message).toContain('the database 127.0.0.1:');
        expectNoSecrets(err);
      }
      back = changes.next(isResync, 15_000);
    } finally {
      await postgres.cluster().resume();
    }
    await back;
    expect(await store.list()).toEqual([camera('a')]);
    const heard = changes.next((change) => change.kind === 'camera' && change.id === 'b');
    await store.create(camera('b'));
    await heard;
    changes.unwatch();
    await store.close();
  });

  it('close() releases every connection (the pool and the LISTEN one) and timer', async (ctx) => {
    const url = await postgres.database(ctx);
    const store = await open(url, { resyncIntervalMs: 50, heartbeatIntervalMs: 50 });
    const changes = recordChanges(store);
    await changes.next(isResync);
    await Promise.all([store.create(camera('a')), store.list(), store.get('a')]);
    const connections = () =>
      postgres
        .cluster()
        .psql(
          `SELECT count(*) FROM pg_stat_activity WHERE datname = '${dbName(url)}' AND application_name = 'camgate'`,
        );
    expect(Number(await connections())).toBeGreaterThanOrEqual(2);
    await store.close();
    // The server notices a closed connection a moment after the client: poll for it.
    const deadline = performance.now() + 5_000;
    while (Number(await connections()) > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await connections()).toBe('0');
    const resyncs = changes.seen.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes.seen.length).toBe(resyncs); // no timer left to emit
  });

  it('a database that cannot be reached at open is STORE_IO, without the password', async () => {
    const port = await getFreePort();
    const err = await expectStoreCode(
      open(`postgres://camgate:${DATABASE_CANARY}@127.0.0.1:${port}/camgate`),
      StoreErrorCode.IO,
    );
    expect(err.message).toContain('ECONNREFUSED');
    expectNoSecrets(err);
  });

  it.for<[string, string]>([
    ['a setting that is not known', `settings = settings || '{"password": "x"}'`],
    ['an invalid transport', `settings = settings || '{"transport": "rtp"}'`],
    ['settings that are not an object', `settings = '[]'`],
    ['a URL that is not sealed', `url_sealed = 'rtsp://admin:${CONTRACT_SECRET}@cam/'`],
    ['a URL sealed for another camera', `url_sealed = (SELECT url_sealed FROM camgate_cameras WHERE id = 'b')`],
    ['a timestamp that is not ISO 8601', `created_at = 'yesterday'`],
  ])('a row edited into something invalid (%s) is STORE_CORRUPT when read, quoting no value', async ([, set], ctx) => {
    const url = await postgres.database(ctx);
    const store = await open(url);
    await store.create(camera('a'));
    await store.create(camera('b'));
    await postgres.cluster().psql(`UPDATE camgate_cameras SET ${set} WHERE id = 'a'`, dbName(url));
    for (const call of [store.list(), store.get('a')]) {
      const err = await expectStoreCode(call, StoreErrorCode.CORRUPT);
      expect(err.message).toContain('camera "a"');
      expectNoSecrets(err);
    }
    expect(await store.get('b')).toEqual(camera('b'));
    await store.close();
  });

  it('refuses to open a database sealed with another key: STORE_CORRUPT with the fix', async (ctx) => {
    const url = await postgres.database(ctx);
    const store = await open(url);
    await store.create(camera('a'));
    await store.close();
    const other = SecretBox.fromKeys(OTHER_KEY);
    const err = await expectStoreCode(open(url, { secrets: other }), StoreErrorCode.CORRUPT);
    expect(err.message).toContain('set CAMGATE_SECRET_KEY to the key it was written with');
    expect(err.message).toContain(secrets.keyId);
    expect(err.message).toContain(other.keyId);
  });

  it('rotation: URLs sealed with a previous key are sealed again with the current one at open', async (ctx) => {
    const url = await postgres.database(ctx);
    const old = await open(url, { secrets: SecretBox.fromKeys(OTHER_KEY) });
    await old.create(camera('a'));
    await old.create(camera('b'));
    await old.close();

    const rotated = await open(url, { secrets: SecretBox.fromKeys(KEY, [OTHER_KEY]) });
    expect(await rotated.list()).toEqual([camera('a'), camera('b')]);
    await rotated.close();
    const sealed = await postgres.cluster().psql('SELECT url_sealed FROM camgate_cameras', dbName(url));
    for (const line of sealed.split('\n')) expect(line).toMatch(new RegExp(`^sealed:v1:${secrets.keyId}:`));
    // The revision did not change: the cameras did not.
    expect(await postgres.cluster().psql('SELECT revision FROM camgate_cameras', dbName(url))).toBe('1\n1');
    const current = await open(url);
    expect(await current.get('b')).toEqual(camera('b'));
    await current.close();
  });
});

describe('parseChange', () => {
  it.each<[string, StoreChange]>([
    ['{"id": "a", "revision": 3}', { kind: 'camera', id: 'a', revision: 3 }],
    ['{"id": "a", "deleted": true}', { kind: 'camera', id: 'a', deleted: true }],
    ['{"id": "a"}', { kind: 'resync' }],
    ['{"id": "", "revision": 1}', { kind: 'resync' }],
    ['{"id": "a", "revision": 0}', { kind: 'resync' }],
    ['{"id": "a", "revision": "3"}', { kind: 'resync' }],
    ['not json', { kind: 'resync' }],
    ['null', { kind: 'resync' }],
    ['', { kind: 'resync' }],
  ])('%s → %j (anything unexpected, e.g. a hand-made NOTIFY, asks for a resync)', (payload, want) => {
    expect(parseChange(payload)).toEqual(want);
  });
});
