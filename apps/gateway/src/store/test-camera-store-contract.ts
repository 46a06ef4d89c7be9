import { isCodedError } from '@camgate/bits';
import { describe, expect, it, type TestContext } from 'vitest';
import { StoreErrorCode, type CameraRecord, type CameraStore } from './camera-store.js';

/**
 * The {@link CameraStore} contract as tests, registered once per implementation (the JSON file,
 * PostgreSQL), so every store keeps the same promises with the same error codes. What only one
 * store has (the file's format and durability, the database's notifications) is tested beside it.
 */

/** In every camera URL: no error message may ever contain it. */
export const CONTRACT_SECRET = 's3cret-pw';

/** Storage for one test: opening it again gives a store on the same data. */
export interface ContractStorage {
  open(options?: { maxCameras?: number }): Promise<CameraStore>;
}

export interface CameraStoreContractOptions {
  /**
   * Fresh, empty storage for one test. `ctx` lets a store that needs a real peer skip (or fail,
   * under CAMGATE_REQUIRE_INTEROP=1) when it is missing.
   */
  storage(ctx: TestContext): Promise<ContractStorage>;
  /**
   * True when concurrent calls from one process take effect in call order (the file store queues
   * its writes). A database applies them in whatever order they reach it.
   */
  ordersConcurrentCalls: boolean;
}

/** A valid camera record; its URL holds {@link CONTRACT_SECRET}. */
export function contractCamera(id: string, overrides: Partial<CameraRecord> = {}): CameraRecord {
  return {
    id,
    name: `Camera ${id}`,
    url: `rtsp://admin:${CONTRACT_SECRET}@192.0.2.10:554/${id}`,
    transport: 'auto',
    onDemand: false,
    audio: 'auto',
    enabled: true,
    revision: 1,
    createdAt: '2025-01-02T03:04:05.678Z',
    updatedAt: '2025-01-02T03:04:05.678Z',
    ...overrides,
  };
}

/** Rejects with `code`, and the message (and its causes) never show a camera password. */
export async function expectStoreCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(err).toMatchObject({ code });
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    expect(cause.message).not.toContain(CONTRACT_SECRET);
  }
  return err as Error;
}

export function describeCameraStoreContract(name: string, options: CameraStoreContractOptions): void {
  const camera = contractCamera;

  describe(`${name}: the CameraStore contract`, () => {
    it('creates, gets, lists in creation order, updates in place and deletes', async (ctx) => {
      const store = await (await options.storage(ctx)).open();
      expect(await store.list()).toEqual([]);
      for (const id of ['b', 'a', 'c']) await store.create(camera(id));
      expect(await store.get('a')).toEqual(camera('a'));
      expect(await store.get('x')).toBeUndefined();

      await store.update(camera('b', { name: 'Porch', transport: 'tcp', enabled: false, revision: 2 }));
      expect((await store.list()).map((c) => [c.id, c.name])).toEqual([
        ['b', 'Porch'], // an update keeps the camera's place
        ['a', 'Camera a'],
        ['c', 'Camera c'],
      ]);

      expect(await store.delete('a')).toBe(true);
      expect(await store.delete('a')).toBe(false);
      await store.create(camera('a')); // re-created: now the newest
      expect((await store.list()).map((c) => c.id)).toEqual(['b', 'c', 'a']);
      await store.close();
    });

    it('returns copies and keeps its own', async (ctx) => {
      const store = await (await options.storage(ctx)).open();
      const input = camera('a');
      await store.create(input);
      input.name = 'changed by the caller';
      const got = await store.get('a');
      if (got !== undefined) got.url = 'rtsp://changed';
      const listed = await store.list();
      for (const record of listed) record.enabled = false;
      expect(await store.get('a')).toEqual(camera('a'));
      await store.close();
    });

    it('rejects a duplicate id with STORE_DUPLICATE_ID and an unknown one with STORE_NOT_FOUND', async (ctx) => {
      const store = await (await options.storage(ctx)).open();
      await store.create(camera('a'));
      await expectStoreCode(store.create(camera('a', { name: 'other' })), StoreErrorCode.DUPLICATE_ID);
      await expectStoreCode(store.update(camera('x')), StoreErrorCode.NOT_FOUND);
      expect(await store.list()).toEqual([camera('a')]);
      await store.close();
    });

    it.for<[string, Record<string, unknown>]>([
      ['empty id', { id: '' }],
      ['unknown transport', { transport: 'http' }],
      ['unknown audio', { audio: 'on' }],
      ['unknown playback policy', { playback: 'private' }],
      ['a revision that is not a positive integer', { revision: 0 }],
      ['string boolean', { enabled: 'true' }],
      ['missing url', { url: undefined }],
      ['timestamp not ISO 8601', { createdAt: 'yesterday' }],
      ['unknown field', { password: 'x' }],
    ])('rejects an invalid record (%s) with STORE_INVALID_RECORD and writes nothing', async ([, change], ctx) => {
      const storage = await options.storage(ctx);
      const store = await storage.open();
      await expectStoreCode(store.create({ ...camera('a'), ...change }), StoreErrorCode.INVALID_RECORD);
      await store.create(camera('b'));
      await expectStoreCode(store.update({ ...camera('b'), ...change }), StoreErrorCode.INVALID_RECORD);
      await store.close();
      const reopened = await storage.open();
      expect(await reopened.list()).toEqual([camera('b')]);
      await reopened.close();
    });

    it('keeps a playback policy when given, and no field when not (a registry from before signed playback)', async (ctx) => {
      const storage = await options.storage(ctx);
      const store = await storage.open();
      await store.create({ ...camera('s'), playback: 'signed' });
      await store.create(camera('o'));
      await store.close();
      const reopened = await storage.open();
      expect(await reopened.list()).toEqual([{ ...camera('s'), playback: 'signed' }, camera('o')]);
      expect(Object.keys((await reopened.get('o')) ?? {})).not.toContain('playback');
      await reopened.close();
    });

    it('update and delete naming a revision: refused with STORE_CONFLICT when the camera is at another, nothing written', async (ctx) => {
      const store = await (await options.storage(ctx)).open();
      await store.create(camera('a', { revision: 2 }));
      const { revision: _, ...old } = camera('old');
      await store.create(old);
      await expectStoreCode(store.update(camera('a', { name: 'x', revision: 3 }), 1), StoreErrorCode.CONFLICT);
      await expectStoreCode(store.delete('a', 3), StoreErrorCode.CONFLICT);
      expect(await store.get('a')).toEqual(camera('a', { revision: 2 }));
      await store.update(camera('a', { name: 'x', revision: 3 }), 2);
      // A camera saved without a revision (before there were revisions) is at revision 1.
      await store.update(camera('old', { revision: 2 }), 1);
      await expectStoreCode(store.update(camera('old', { revision: 3 }), 1), StoreErrorCode.CONFLICT);
      expect(await store.delete('a', 3)).toBe(true);
      expect(await store.delete('a', 3)).toBe(false);
      expect(await store.list()).toEqual([camera('old', { revision: 2 })]);
      await store.close();
    });

    it('persists across reopen', async (ctx) => {
      const storage = await options.storage(ctx);
      const store = await storage.open();
      await store.create(camera('a'));
      await store.create(camera('b', { transport: 'udp', audio: 'off', onDemand: true }));
      await store.update(camera('a', { name: 'Gate', revision: 2 }));
      await store.close();
      const reopened = await storage.open();
      expect(await reopened.list()).toEqual([
        camera('a', { name: 'Gate', revision: 2 }),
        camera('b', { transport: 'udp', audio: 'off', onDemand: true }),
      ]);
      await reopened.close();
    });

    it('applies 50 concurrent creates, plus concurrent updates and deletes', async (ctx) => {
      const storage = await options.storage(ctx);
      const store = await storage.open();
      const ids = Array.from({ length: 50 }, (_, i) => `cam-${i}`);
      await Promise.all(ids.map((id) => store.create(camera(id))));
      await Promise.all([
        ...ids.slice(0, 10).map((id) => store.update(camera(id, { name: 'updated', revision: 2 }))),
        ...ids.slice(40).map((id) => store.delete(id)),
      ]);
      await store.close();

      const want = ids.slice(0, 40).map((id, i) => camera(id, i < 10 ? { name: 'updated', revision: 2 } : {}));
      const reopened = await storage.open();
      const got = await reopened.list();
      if (options.ordersConcurrentCalls) {
        expect(got).toEqual(want);
      } else {
        expect([...got].sort((x, y) => x.id.localeCompare(y.id))).toEqual(
          [...want].sort((x, y) => x.id.localeCompare(y.id)),
        );
      }
      await reopened.close();
    });

    it('lets a duplicate lose a race without failing the others', async (ctx) => {
      const store = await (await options.storage(ctx)).open();
      const results = await Promise.allSettled([
        store.create(camera('a')),
        store.create(camera('a', { name: 'second' })),
        store.create(camera('b')),
      ]);
      const [first, second, other] = results;
      expect(other.status).toBe('fulfilled');
      // Exactly one of the two creates of "a" won; the store holds the winner's record.
      const losers = [first, second].filter((result) => result.status === 'rejected');
      expect(losers).toHaveLength(1);
      expect(losers.every((loser) => isCodedError(loser.reason, StoreErrorCode.DUPLICATE_ID))).toBe(true);
      const winner = first.status === 'fulfilled' ? 'Camera a' : 'second';
      expect((await store.get('a'))?.name).toBe(winner);
      if (options.ordersConcurrentCalls) expect(winner).toBe('Camera a');
      await store.close();
    });

    it('rejects every call after close() with STORE_CLOSED; operations started before it complete', async (ctx) => {
      const storage = await options.storage(ctx);
      const store = await storage.open();
      const pending = store.create(camera('a'));
      await store.close();
      await pending;
      await store.close(); // closing twice is harmless

      await expectStoreCode(store.list(), StoreErrorCode.CLOSED);
      await expectStoreCode(store.get('a'), StoreErrorCode.CLOSED);
      await expectStoreCode(store.create(camera('b')), StoreErrorCode.CLOSED);
      await expectStoreCode(store.update(camera('a')), StoreErrorCode.CLOSED);
      await expectStoreCode(store.delete('a'), StoreErrorCode.CLOSED);
      const reopened = await storage.open();
      expect(await reopened.list()).toEqual([camera('a')]);
      await reopened.close();
    });

    it('rejects a create beyond maxCameras with STORE_FULL', async (ctx) => {
      const store = await (await options.storage(ctx)).open({ maxCameras: 3 });
      for (const id of ['a', 'b', 'c']) await store.create(camera(id));
      await expectStoreCode(store.create(camera('d')), StoreErrorCode.FULL);
      // Full is checked after the id: an existing id is still a duplicate.
      await expectStoreCode(store.create(camera('a')), StoreErrorCode.DUPLICATE_ID);
      await store.update(camera('a', { name: 'still updatable', revision: 2 }));
      await store.delete('b');
      await store.create(camera('d'));
      expect((await store.list()).map((c) => c.id)).toEqual(['a', 'c', 'd']);
      await store.close();
    });
  });
}
