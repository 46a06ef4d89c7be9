import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../store/camera-store.js';
import { SecretBox } from '../store/secret-box.js';
import {
  FileSigningKeyStore,
  MAX_SIGNING_KEYS,
  readSigningKeys,
  SIGNING_KEYS_FILE_NAME,
  type SigningKeyRecord,
} from './signing-key-store.js';

/** A private member that must never be quoted by an error (it is key material). */
const SECRET_D = 'PrivateD-9c1f7e2b-not-to-be-quoted';

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

let dir: string;
let path: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'camgate-keys-')), 'data');
  path = join(dir, SIGNING_KEYS_FILE_NAME);
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('FileSigningKeyStore', () => {
  it('starts empty; keys created and deleted are durable across reopen', async () => {
    const store = await FileSigningKeyStore.open(dir);
    expect(await store.list()).toEqual([]);
    await store.create(record('a'));
    await store.create(record('own', true));
    await store.create(record('b'));
    expect(await store.delete('b')).toBe(true);
    expect(await store.delete('b')).toBe(false);
    await store.close();
    const again = await FileSigningKeyStore.open(dir);
    expect(await again.list()).toEqual([record('a'), record('own', true)]);
    await again.close();
  });

  it('creates its directory 0700 and the file 0600: it holds the gateway’s own private key', async () => {
    const store = await FileSigningKeyStore.open(dir);
    await store.create(record('own', true));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('a duplicate id is refused; the list returned is a copy', async () => {
    const store = await FileSigningKeyStore.open(dir);
    await store.create(record('a'));
    await expect(store.create(record('a'))).rejects.toMatchObject({ code: StoreErrorCode.DUPLICATE_ID });
    const listed = await store.list();
    (listed[0] as SigningKeyRecord).name = 'changed';
    expect((await store.list())[0]?.name).toBe('key a');
    await store.close();
  });

  it(`keeps ${MAX_SIGNING_KEYS} keys of the API and one of the gateway's own, which API keys cannot crowd out`, async () => {
    const store = await FileSigningKeyStore.open(dir);
    await Promise.all(Array.from({ length: MAX_SIGNING_KEYS }, (_, i) => store.create(record(`k${i}`))));
    await expect(store.create(record('one-more'))).rejects.toMatchObject({ code: StoreErrorCode.FULL });
    await store.create(record('own', true));
    await expect(store.create(record('own2', true))).rejects.toMatchObject({ code: StoreErrorCode.FULL });
    expect(await store.list()).toHaveLength(MAX_SIGNING_KEYS + 1);
    await store.close();
    // A full store reopens.
    const again = await FileSigningKeyStore.open(dir);
    expect(await again.list()).toHaveLength(MAX_SIGNING_KEYS + 1);
    await again.close();
  });

  it('a write that fails changes nothing, in memory or on disk (STORE_IO)', async () => {
    const store = await FileSigningKeyStore.open(dir);
    await store.create(record('a'));
    const before = await readFile(path, 'utf8');
    // The temporary file's place is taken by a directory: the write cannot start.
    await mkdir(`${path}.tmp`);
    await expect(store.create(record('b'))).rejects.toMatchObject({ code: StoreErrorCode.IO });
    await expect(store.delete('a')).rejects.toMatchObject({ code: StoreErrorCode.IO });
    expect((await store.list()).map((key) => key.id)).toEqual(['a']);
    expect(await readFile(path, 'utf8')).toBe(before);
    await rm(`${path}.tmp`, { recursive: true });
    await store.create(record('b'));
    expect((await store.list()).map((key) => key.id)).toEqual(['a', 'b']);
    await store.close();
  });

  it('refuses to work once closed (STORE_CLOSED)', async () => {
    const store = await FileSigningKeyStore.open(dir);
    await store.close();
    await expect(store.list()).rejects.toMatchObject({ code: StoreErrorCode.CLOSED });
    await expect(store.create(record('a'))).rejects.toMatchObject({ code: StoreErrorCode.CLOSED });
    await expect(store.delete('a')).rejects.toMatchObject({ code: StoreErrorCode.CLOSED });
  });

  const valid = { schema: 1, keys: [record('own', true)] };
  it.for([
    ['not JSON (a private key in the text)', `{"schema":1,"keys":[{"d":"${SECRET_D}"`],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ['another schema', JSON.stringify({ ...valid, schema: 2 })],
    ['no key list', JSON.stringify({ schema: 1 })],
    ['null', 'null'],
    ['a key that is not an object', JSON.stringify({ schema: 1, keys: ['x'] })],
    ['a key id that is not one', JSON.stringify({ schema: 1, keys: [{ ...record('own', true), id: 'a b' }] })],
    [
      'an algorithm the gateway does not use',
      JSON.stringify({ schema: 1, keys: [{ ...record('own', true), algorithm: 'HS256' }] }),
    ],
    [
      'a private key that is not a JWK',
      JSON.stringify({ schema: 1, keys: [{ ...record('own', true), privateJwk: SECRET_D }] }),
    ],
    ['no createdAt time', JSON.stringify({ schema: 1, keys: [{ ...record('own', true), createdAt: 'yesterday' }] })],
    [
      'the gateway’s own key without its private part',
      JSON.stringify({ schema: 1, keys: [{ ...record('own', true), privateJwk: undefined }] }),
    ],
    [
      'more keys than the gateway keeps',
      JSON.stringify({ schema: 1, keys: Array.from({ length: MAX_SIGNING_KEYS + 2 }, (_, i) => record(`k${i}`)) }),
    ],
    ['more than 4 MiB', ' '.repeat(4 * 1024 * 1024 + 1)],
  ] as const)('a file with %s is refused (STORE_CORRUPT), left alone and never quoted', async ([, content]) => {
    await mkdir(dir, { recursive: true });
    await writeFile(path, content);
    await writeFile(`${path}.tmp`, 'left by a crash');
    const error = await FileSigningKeyStore.open(dir).then(
      () => undefined,
      (err: unknown) => err as Error & { code: string },
    );
    expect(error?.code).toBe(StoreErrorCode.CORRUPT);
    expect(error?.message).toContain(path);
    expect(error?.message).not.toContain(SECRET_D);
    expect((await readFile(path)).equals(Buffer.from(content))).toBe(true);
  });

  it('a leftover temporary file of a crash is removed at open', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path, JSON.stringify(valid));
    await writeFile(`${path}.tmp`, '{"half":');
    const store = await FileSigningKeyStore.open(dir);
    await expect(stat(`${path}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await store.list()).toEqual(valid.keys);
    await store.close();
  });
});

describe('FileSigningKeyStore with a secret key (CAMGATE_SECRET_KEY)', () => {
  const secrets = SecretBox.fromKeys(Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1)));
  const otherKey = Buffer.from(Array.from({ length: 32 }, (_, i) => 100 + i));
  const onDisk = async () =>
    (JSON.parse(await readFile(path, 'utf8')) as { keys: Array<{ privateJwk?: unknown }> }).keys;

  it("seals the gateway's own private key in the file, lists it plain, and reopens with the key", async () => {
    const store = await FileSigningKeyStore.open(dir, { secrets });
    await store.create(record('own', true));
    await store.create(record('a'));
    expect(await store.list()).toEqual([record('own', true), record('a')]);
    await store.close();
    expect(await readFile(path, 'utf8')).not.toContain(SECRET_D);
    const [own, a] = await onDisk();
    expect(own?.privateJwk).toMatch(new RegExp(`^sealed:v1:${secrets.keyId}:`));
    expect(a?.privateJwk).toBeUndefined();
    const again = await FileSigningKeyStore.open(dir, { secrets });
    expect(await again.list()).toEqual([record('own', true), record('a')]);
    await again.close();
  });

  it('seals a file written without a key at open, once', async () => {
    const plain = await FileSigningKeyStore.open(dir);
    await plain.create(record('own', true));
    await plain.close();
    expect(await readFile(path, 'utf8')).toContain(SECRET_D);
    // Read-only: readSigningKeys changes nothing.
    expect(await readSigningKeys(dir, { secrets })).toEqual([record('own', true)]);
    expect(await readFile(path, 'utf8')).toContain(SECRET_D);

    const store = await FileSigningKeyStore.open(dir, { secrets });
    const sealedText = await readFile(path, 'utf8');
    expect(sealedText).not.toContain(SECRET_D);
    expect(await store.list()).toEqual([record('own', true)]);
    await store.close();
    await (await FileSigningKeyStore.open(dir, { secrets })).close();
    expect(await readFile(path, 'utf8')).toBe(sealedText);
  });

  it.for([
    ['no key', undefined, 'CAMGATE_SECRET_KEY is not set'],
    ['another key', SecretBox.fromKeys(otherKey), 'which is neither CAMGATE_SECRET_KEY'],
  ] as const)(
    'a file sealed with a key, opened with %s, is refused (STORE_CORRUPT) with the fix',
    async ([, box, why]) => {
      const store = await FileSigningKeyStore.open(dir, { secrets });
      await store.create(record('own', true));
      await store.close();
      const before = await readFile(path, 'utf8');
      const error = await FileSigningKeyStore.open(dir, box === undefined ? {} : { secrets: box }).then(
        () => undefined,
        (err: unknown) => err as Error & { code: string },
      );
      expect(error?.code).toBe(StoreErrorCode.CORRUPT);
      expect(error?.message).toContain(why);
      expect(error?.message).toContain('set CAMGATE_SECRET_KEY to the key it was written with');
      expect(await readFile(path, 'utf8')).toBe(before);
    },
  );

  it("a sealed private key moved to another key's record does not open (STORE_CORRUPT)", async () => {
    const store = await FileSigningKeyStore.open(dir, { secrets });
    await store.create(record('own', true));
    await store.close();
    const file = JSON.parse(await readFile(path, 'utf8')) as { keys: Array<Record<string, unknown>> };
    file.keys[0]!['id'] = 'renamed';
    await writeFile(path, JSON.stringify(file));
    await expect(FileSigningKeyStore.open(dir, { secrets })).rejects.toMatchObject({ code: StoreErrorCode.CORRUPT });
  });

  it('rotation: a private key sealed with CAMGATE_SECRET_KEY_PREVIOUS is sealed with the new key at open', async () => {
    const old = await FileSigningKeyStore.open(dir, { secrets: SecretBox.fromKeys(otherKey) });
    await old.create(record('own', true));
    await old.close();
    const rotated = await FileSigningKeyStore.open(dir, {
      secrets: SecretBox.fromKeys(Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1)), [otherKey]),
    });
    expect(await rotated.list()).toEqual([record('own', true)]);
    await rotated.close();
    expect((await onDisk())[0]?.privateJwk).toMatch(new RegExp(`^sealed:v1:${secrets.keyId}:`));
  });
});
