import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import type { CameraRecord, CameraStore, StoreChange } from '../store/camera-store.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { CameraRegistry } from './camera-registry.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A real store that another writer shares (as nodes share a database): `other` writes behind the
 * registry's back, and `notify` delivers what PostgreSQL's NOTIFY would.
 */
async function sharedStore(): Promise<{
  store: CameraStore;
  other: FileCameraStore;
  notify: (change: StoreChange) => void;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'camgate-registry-'));
  dirs.push(dir);
  const other = await FileCameraStore.open(dir);
  const listeners = new Set<(change: StoreChange) => void>();
  const store: CameraStore = {
    list: () => other.list(),
    get: (id) => other.get(id),
    create: (record) => other.create(record),
    update: (record, expected) => other.update(record, expected),
    delete: (id, expected) => other.delete(id, expected),
    close: () => Promise.resolve(),
    watch: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { store, other, notify: (change) => listeners.forEach((listener) => listener(change)) };
}

function record(id: string, overrides: Partial<CameraRecord> = {}): CameraRecord {
  return {
    id,
    name: `Camera ${id}`,
    url: `rtsp://192.0.2.10/${id}`,
    transport: 'auto',
    onDemand: false,
    audio: 'auto',
    enabled: true,
    revision: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The registry's announcements, in order. */
function recorder(registry: CameraRegistry): string[] {
  const events: string[] = [];
  registry.on('added', (r) => events.push(`added ${r.id}@${r.revision}`));
  registry.on('changed', (r, before) => events.push(`changed ${r.id}@${before.revision}->${r.revision}`));
  registry.on('removed', (id) => events.push(`removed ${id}`));
  return events;
}

/** Resolves when `count` events were announced (changes elsewhere are read asynchronously). */
async function until(events: string[], count: number): Promise<void> {
  while (events.length < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('CameraRegistry', () => {
  it('announces its own changes once each, in order', async () => {
    const { store, notify } = await sharedStore();
    const registry = await CameraRegistry.open({ store });
    const events = recorder(registry);
    await registry.create({ id: 'a', name: 'A', url: 'rtsp://192.0.2.1/a' });
    // The database tells every node about the write, this one too: nothing new, nothing announced.
    notify({ kind: 'camera', id: 'a', revision: 1 });
    await registry.update('a', { name: 'A2' });
    notify({ kind: 'camera', id: 'a', revision: 2 });
    await registry.delete('a');
    notify({ kind: 'camera', id: 'a', deleted: true });
    // Each notice names what the registry holds already, so none is read again (synchronously decided).
    expect(events).toEqual(['added a@1', 'changed a@1->2', 'removed a']);
    await registry.close();
  });

  it.each<{
    name: string;
    change: (other: FileCameraStore) => Promise<unknown>;
    notice: StoreChange;
    events: string[];
  }>([
    {
      name: 'a camera added elsewhere',
      change: (other) => other.create(record('b')),
      notice: { kind: 'camera', id: 'b', revision: 1 },
      events: ['added b@1'],
    },
    {
      name: 'a camera changed elsewhere',
      change: (other) => other.update(record('a', { name: 'Renamed', revision: 2 }), 1),
      notice: { kind: 'camera', id: 'a', revision: 2 },
      events: ['changed a@1->2'],
    },
    {
      name: 'a camera deleted elsewhere',
      change: (other) => other.delete('a'),
      notice: { kind: 'camera', id: 'a', deleted: true },
      events: ['removed a'],
    },
    {
      name: 'a camera deleted and created again elsewhere under its id (revision 1 again)',
      change: async (other) => {
        await other.delete('a');
        await other.create(record('a', { url: 'rtsp://192.0.2.99/new', createdAt: '2026-02-02T00:00:00.000Z' }));
      },
      notice: { kind: 'camera', id: 'a', revision: 1 },
      events: ['changed a@1->1'],
    },
    {
      name: 'the same, with every notification missed',
      change: async (other) => {
        await other.delete('a');
        await other.create(record('a', { url: 'rtsp://192.0.2.99/new', createdAt: '2026-02-02T00:00:00.000Z' }));
      },
      notice: { kind: 'resync' },
      events: ['changed a@1->1'],
    },
    {
      name: 'missed notifications, caught up by a resync',
      change: async (other) => {
        await other.delete('a');
        await other.create(record('c'));
      },
      notice: { kind: 'resync' },
      events: ['added c@1', 'removed a'],
    },
  ])('follows $name', async ({ change, notice, events: expected }) => {
    const { store, other, notify } = await sharedStore();
    await other.create(record('a'));
    const registry = await CameraRegistry.open({ store });
    const events = recorder(registry);
    await change(other);
    notify(notice);
    await until(events, expected.length);
    expect(events).toEqual(expected);
    await registry.close();
  });

  it('a resync does not remove a camera created while it read the list', async () => {
    const { store, notify } = await sharedStore();
    let release: () => void = () => undefined;
    const list = store.list.bind(store);
    const registry = await CameraRegistry.open({ store });
    // The list is read before the create, and answers after it.
    store.list = async () => {
      const before = await list();
      await new Promise<void>((resolve) => (release = resolve));
      return before;
    };
    const events = recorder(registry);
    notify({ kind: 'resync' });
    await registry.create({ id: 'late', name: 'Late', url: 'rtsp://192.0.2.7/late' });
    release();
    // close() waits for the resync in progress.
    await registry.close();
    expect(events).toEqual(['added late@1']);
    expect(registry.record('late')).toBeDefined();
  });

  it('answers a write made on a copy another node changed with 412 and the current revision', async () => {
    const { store, other } = await sharedStore();
    await other.create(record('a'));
    const registry = await CameraRegistry.open({ store });
    // Another node changed it; this one has not heard yet.
    await other.update(record('a', { name: 'Elsewhere', revision: 2 }), 1);
    const failure = await registry.update('a', { name: 'Here' }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: GatewayErrorCode.PRECONDITION_FAILED });
    // It read the camera again: the next write on the current revision applies.
    expect(registry.record('a')?.name).toBe('Elsewhere');
    await expect(registry.update('a', { name: 'Here' }, 2)).resolves.toMatchObject({ name: 'Here', revision: 3 });
    await registry.close();
  });

  it('refuses a second registration of a stream another node registered', async () => {
    const { store, other, notify } = await sharedStore();
    const registry = await CameraRegistry.open({ store });
    const events = recorder(registry);
    await other.create(record('b', { url: 'rtsp://192.0.2.10/stream' }));
    notify({ kind: 'camera', id: 'b', revision: 1 });
    await until(events, 1);
    await expect(registry.create({ name: 'Again', url: 'rtsp://192.0.2.10/stream' })).rejects.toMatchObject({
      code: GatewayErrorCode.DUPLICATE_SOURCE,
    });
    await registry.close();
  });
});
