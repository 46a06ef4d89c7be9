import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout, repoRoot } from '@camgate/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreErrorCode, type CameraRecord } from './camera-store.js';
import { FileCameraStore, readCameraRegistry, STORE_FILE_NAME } from './file-camera-store.js';
import { SecretBox } from './secret-box.js';
import { describeCameraStoreContract } from './test-camera-store-contract.js';

/** In every camera URL: no error message may ever contain it. */
const SECRET = 's3cret-pw';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh directory under the system temp dir, removed after the test. */
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'camgate-store-'));
  dirs.push(dir);
  return dir;
}

function camera(id: string, overrides: Partial<CameraRecord> = {}): CameraRecord {
  return {
    id,
    name: `Camera ${id}`,
    url: `rtsp://admin:${SECRET}@192.0.2.10:554/${id}`,
    transport: 'auto',
    onDemand: false,
    audio: 'auto',
    enabled: true,
    createdAt: '2025-01-02T03:04:05.678Z',
    updatedAt: '2025-01-02T03:04:05.678Z',
    ...overrides,
  };
}

async function readStoreFile(dir: string): Promise<{ schema: number; cameras: CameraRecord[] }> {
  return JSON.parse(await readFile(join(dir, STORE_FILE_NAME), 'utf8')) as { schema: number; cameras: CameraRecord[] };
}

/** Rejects with `code`, and the message never shows a camera password. */
async function expectCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  await expectCodeReturning(promise, code);
}

async function expectCodeReturning(promise: Promise<unknown>, code: StoreErrorCode): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(err).toMatchObject({ code });
  expect((err as Error).message).not.toContain(SECRET);
  return err as Error;
}

describeCameraStoreContract('FileCameraStore', {
  storage: async () => {
    const dir = await tempDir();
    return { open: (options) => FileCameraStore.open(dir, options ?? {}) };
  },
  ordersConcurrentCalls: true,
});

/** Two keys for the sealing tests: a registry sealed with one does not open with the other. */
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
const OTHER_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 100 + i));
const secrets = SecretBox.fromKeys(KEY);

describeCameraStoreContract('FileCameraStore with CAMGATE_SECRET_KEY', {
  storage: async () => {
    const dir = await tempDir();
    return { open: (options) => FileCameraStore.open(dir, { ...options, secrets }) };
  },
  ordersConcurrentCalls: true,
});

describe('FileCameraStore', () => {
  it('persists across reopen as {"schema": 1, "cameras": [...]}', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir);
    await store.create(camera('a'));
    await store.create(camera('b', { transport: 'udp', audio: 'off', onDemand: true }));
    await store.update(camera('a', { name: 'Gate' }));
    await store.close();

    expect(await readStoreFile(dir)).toEqual({
      schema: 1,
      cameras: [camera('a', { name: 'Gate' }), camera('b', { transport: 'udp', audio: 'off', onDemand: true })],
    });
    const reopened = await FileCameraStore.open(dir);
    expect(await reopened.list()).toEqual([
      camera('a', { name: 'Gate' }),
      camera('b', { transport: 'udp', audio: 'off', onDemand: true }),
    ]);
    await reopened.close();
  });

  it('creates a missing data directory with mode 0700 and writes the file with mode 0600', async () => {
    const dir = join(await tempDir(), 'nested', 'data');
    const store = await FileCameraStore.open(dir);
    await store.create(camera('a'));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, STORE_FILE_NAME))).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('rejects a data directory path that is a file with STORE_IO', async () => {
    const file = join(await tempDir(), 'not-a-dir');
    await writeFile(file, '');
    await expectCode(FileCameraStore.open(file), StoreErrorCode.IO);
  });

  // Durability is tested twice. Here at the contract level: once a promise resolves, the
  // change is in cameras.json, read straight from disk. Below, a writer process killed with
  // SIGKILL at arbitrary points: every acknowledged change survives and the file (with any
  // tmp file the kill left) always reopens. Neither can prove the fsyncs reached the disk:
  // only a power cut shows that; they are there by construction.
  it('has every acknowledged operation in the file when its promise resolves', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir);
    await store.create(camera('a'));
    expect((await readStoreFile(dir)).cameras).toEqual([camera('a')]);
    await store.update(camera('a', { enabled: false }));
    expect((await readStoreFile(dir)).cameras).toEqual([camera('a', { enabled: false })]);
    await store.delete('a');
    expect((await readStoreFile(dir)).cameras).toEqual([]);
    await store.close();
  });

  it('ignores and removes a cameras.json.tmp left by a crash', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir);
    await store.create(camera('a'));
    await store.close();
    // A crash between writing the tmp file and the rename: half a file, never acknowledged.
    const tmp = join(dir, `${STORE_FILE_NAME}.tmp`);
    await writeFile(tmp, '{"schema": 1, "cameras": [{"id": "b", "na');

    const reopened = await FileCameraStore.open(dir);
    expect(await reopened.list()).toEqual([camera('a')]);
    await expect(stat(tmp)).rejects.toMatchObject({ code: 'ENOENT' });
    await reopened.create(camera('b'));
    await reopened.close();
    expect((await readStoreFile(dir)).cameras).toEqual([camera('a'), camera('b')]);
  });

  it('ignores a leftover tmp file when there is no cameras.json (crash before the first write)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, `${STORE_FILE_NAME}.tmp`), 'garbage');
    const store = await FileCameraStore.open(dir);
    expect(await store.list()).toEqual([]);
    await store.close();
  });

  it('refuses to open a file holding more cameras than maxCameras with STORE_CORRUPT (not a file it wrote)', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir, { maxCameras: 3 });
    await Promise.all(['a', 'b', 'c'].map((id) => store.create(camera(id))));
    await expectCode(store.create(camera('d')), StoreErrorCode.FULL);
    await store.close();
    await expectCode(FileCameraStore.open(dir, { maxCameras: 2 }), StoreErrorCode.CORRUPT);
  });

  it('writes concurrent creates in call order, and each acknowledged one is in the file', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir);
    const ids = Array.from({ length: 20 }, (_, i) => `cam-${i}`);
    await Promise.all(ids.map((id) => store.create(camera(id))));
    expect((await readStoreFile(dir)).cameras.map((c) => c.id)).toEqual(ids);
    await store.close();
  });

  it('keeps a camera saved without a revision without one (revision 1 to revisionOf)', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir);
    await store.create(camera('a'));
    await store.close();
    expect(Object.keys((await readStoreFile(dir)).cameras[0]!)).not.toContain('revision');
    const reopened = await FileCameraStore.open(dir);
    expect(await reopened.get('a')).toEqual(camera('a'));
    await reopened.update({ ...camera('a'), revision: 2 }, 1);
    await reopened.close();
  });

  it('rejects a write that would make the file larger than maxFileBytes with STORE_FULL', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir, { maxFileBytes: 2_000 });
    await store.create(camera('a'));
    await expectCode(store.create(camera('b', { name: 'x'.repeat(2_000) })), StoreErrorCode.FULL);
    await expectCode(store.update(camera('a', { name: 'x'.repeat(2_000) })), StoreErrorCode.FULL);
    expect(await store.list()).toEqual([camera('a')]);
    await store.close();
    expect((await readStoreFile(dir)).cameras).toEqual([camera('a')]);
  });

  it('rolls back a failed write: STORE_IO, memory still matches the file, and the next write works', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir);
    await store.create(camera('a'));
    // A directory where the tmp file goes makes the write fail (permissions would not: tests may run as root).
    const tmp = join(dir, `${STORE_FILE_NAME}.tmp`);
    await mkdir(tmp);
    await expectCode(store.create(camera('b')), StoreErrorCode.IO);
    await expectCode(store.update(camera('a', { name: 'lost' })), StoreErrorCode.IO);
    await expectCode(store.delete('a'), StoreErrorCode.IO);
    expect(await store.list()).toEqual([camera('a')]);
    expect((await readStoreFile(dir)).cameras).toEqual([camera('a')]);

    await rm(tmp, { recursive: true });
    await store.create(camera('b'));
    await store.close();
    expect((await readStoreFile(dir)).cameras).toEqual([camera('a'), camera('b')]);
  });
});

describe('FileCameraStore with a secret key (CAMGATE_SECRET_KEY)', () => {
  const sealedUrl = new RegExp(`^sealed:v1:${secrets.keyId}:[A-Za-z0-9_-]+$`);

  /** A registry written without a key: plain URLs, as before there were keys. */
  async function plainRegistry(dir: string, ids: string[]): Promise<void> {
    const store = await FileCameraStore.open(dir);
    for (const id of ids) await store.create(camera(id));
    await store.close();
  }

  it('writes URLs sealed in the file, lists and gets them plain, and reopens with the key', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir, { secrets });
    await store.create(camera('a'));
    await store.create(camera('b'));
    await store.update(camera('a', { name: 'Gate' }));
    expect(await store.list()).toEqual([camera('a', { name: 'Gate' }), camera('b')]);
    await store.close();

    const text = await readFile(join(dir, STORE_FILE_NAME), 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('192.0.2.10');
    const onDisk = (await readStoreFile(dir)).cameras;
    for (const record of onDisk) expect(record.url).toMatch(sealedUrl);
    // Everything else stays readable for an operator.
    expect(onDisk.map((c) => c.name)).toEqual(['Gate', 'Camera b']);

    const reopened = await FileCameraStore.open(dir, { secrets });
    expect(await reopened.get('b')).toEqual(camera('b'));
    await reopened.close();
  });

  it('seals a registry written without a key at open, durably and once', async () => {
    const dir = await tempDir();
    await plainRegistry(dir, ['a', 'b']);
    expect(await readFile(join(dir, STORE_FILE_NAME), 'utf8')).toContain(SECRET);

    const store = await FileCameraStore.open(dir, { secrets });
    // Sealed before open() resolved, without any write through the store.
    const sealedText = await readFile(join(dir, STORE_FILE_NAME), 'utf8');
    expect(sealedText).not.toContain(SECRET);
    for (const record of (await readStoreFile(dir)).cameras) expect(record.url).toMatch(sealedUrl);
    expect(await store.list()).toEqual([camera('a'), camera('b')]);
    await store.close();

    // Once: a registry already sealed with the current key is not written again at open.
    const again = await FileCameraStore.open(dir, { secrets });
    await again.close();
    expect(await readFile(join(dir, STORE_FILE_NAME), 'utf8')).toBe(sealedText);
  });

  it('refuses a registry with sealed URLs without a key: STORE_CORRUPT with the fix, quoting no value, file untouched', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir, { secrets });
    await store.create(camera('a'));
    await store.close();
    const before = await readFile(join(dir, STORE_FILE_NAME), 'utf8');

    const err = await expectCodeReturning(FileCameraStore.open(dir), StoreErrorCode.CORRUPT);
    expect(err.message).toContain('set CAMGATE_SECRET_KEY to the key it was written with');
    expect(err.message).toContain(secrets.keyId);
    expect(err.message).not.toContain(before.slice(before.indexOf('sealed:v1:'), before.indexOf('sealed:v1:') + 30));
    expect(await readFile(join(dir, STORE_FILE_NAME), 'utf8')).toBe(before);
  });

  it('refuses a registry sealed with another key: STORE_CORRUPT naming both key ids and the fix', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir, { secrets });
    await store.create(camera('a'));
    await store.close();
    const other = SecretBox.fromKeys(OTHER_KEY);
    const err = await expectCodeReturning(FileCameraStore.open(dir, { secrets: other }), StoreErrorCode.CORRUPT);
    expect(err.message).toContain('set CAMGATE_SECRET_KEY to the key it was written with');
    expect(err.message).toContain(secrets.keyId);
    expect(err.message).toContain(other.keyId);
    for (const form of [KEY, OTHER_KEY].flatMap((key) => [key.toString('hex'), key.toString('base64url')])) {
      expect(err.message).not.toContain(form);
    }
  });

  it('refuses a sealed URL copied onto another camera (the value is bound to its camera)', async () => {
    const dir = await tempDir();
    const store = await FileCameraStore.open(dir, { secrets });
    await store.create(camera('a'));
    await store.create(camera('b'));
    await store.close();
    const file = await readStoreFile(dir);
    file.cameras[1]!.url = file.cameras[0]!.url;
    await writeFile(join(dir, STORE_FILE_NAME), JSON.stringify(file));
    const err = await expectCodeReturning(FileCameraStore.open(dir, { secrets }), StoreErrorCode.CORRUPT);
    expect(err.message).toContain('cameras[1]');
    expect(err.message).toContain('copied');
  });

  it('rotation: opens URLs sealed with CAMGATE_SECRET_KEY_PREVIOUS and seals them with the new key at open', async () => {
    const dir = await tempDir();
    const oldBox = SecretBox.fromKeys(OTHER_KEY);
    const store = await FileCameraStore.open(dir, { secrets: oldBox });
    await store.create(camera('a'));
    await store.close();

    const rotated = await FileCameraStore.open(dir, { secrets: SecretBox.fromKeys(KEY, [OTHER_KEY]) });
    expect(await rotated.get('a')).toEqual(camera('a'));
    await rotated.close();
    for (const record of (await readStoreFile(dir)).cameras) expect(record.url).toMatch(sealedUrl);
    // The previous key is no longer needed, and the old key alone no longer opens the registry.
    const current = await FileCameraStore.open(dir, { secrets });
    expect(await current.get('a')).toEqual(camera('a'));
    await current.close();
    await expectCode(FileCameraStore.open(dir, { secrets: oldBox }), StoreErrorCode.CORRUPT);
  });

  it('readCameraRegistry() opens sealed URLs and changes nothing (what `camgate db import` reads)', async () => {
    const dir = await tempDir();
    await plainRegistry(dir, ['a']);
    const plainText = await readFile(join(dir, STORE_FILE_NAME), 'utf8');
    expect(await readCameraRegistry(dir, { secrets })).toEqual([camera('a')]);
    expect(await readFile(join(dir, STORE_FILE_NAME), 'utf8')).toBe(plainText);

    const sealedDir = await tempDir();
    const store = await FileCameraStore.open(sealedDir, { secrets });
    await store.create(camera('b'));
    await store.close();
    expect(await readCameraRegistry(sealedDir, { secrets })).toEqual([camera('b')]);
    await expectCode(readCameraRegistry(sealedDir), StoreErrorCode.CORRUPT);
    expect(await readCameraRegistry(join(sealedDir, 'missing'))).toEqual([]);
  });
});

describe('FileCameraStore.open() on a damaged or foreign file', () => {
  const valid = (cameras: unknown[]) => JSON.stringify({ schema: 1, cameras });
  const withField = (field: string, value: unknown) => valid([{ ...camera('a'), [field]: value }]);

  it.each<[string, string | Uint8Array]>([
    ['written by a newer camgate (schema 2)', JSON.stringify({ schema: 2, cameras: [] })],
    ['schema 0', JSON.stringify({ schema: 0, cameras: [] })],
    ['schema as a string', JSON.stringify({ schema: '1', cameras: [] })],
    ['no schema', JSON.stringify({ cameras: [] })],
    ['cameras not an array', JSON.stringify({ schema: 1, cameras: {} })],
    ['an unknown top-level field', JSON.stringify({ schema: 1, cameras: [], extra: true })],
    ['not JSON', `{"schema": 1, "cameras": [{"url": "rtsp://admin:${SECRET}@cam/"`],
    ['an empty file', ''],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['a camera with an unknown transport', withField('transport', 'rtp')],
    ['a camera with a numeric id', withField('id', 7)],
    ['a camera with an unknown field', withField(`rtsp://admin:${SECRET}@cam/`, 1)],
    ['a camera with a bad timestamp', withField('updatedAt', 'now')],
    ['a camera that is not an object', valid(['a'])],
    ['a camera without a url', valid([{ ...camera('a'), url: undefined }])],
    ['two cameras with the same id', valid([camera('a'), camera('a', { name: 'twin' })])],
  ])('rejects %s with STORE_CORRUPT and leaves the file untouched', async (_name, content) => {
    const dir = await tempDir();
    const path = join(dir, STORE_FILE_NAME);
    await writeFile(path, content);
    await expectCode(FileCameraStore.open(dir), StoreErrorCode.CORRUPT);
    expect(new Uint8Array(await readFile(path))).toEqual(
      typeof content === 'string' ? new Uint8Array(Buffer.from(content)) : content,
    );
  });

  it('rejects a file over maxFileBytes with STORE_CORRUPT before parsing it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, STORE_FILE_NAME), valid([camera('a'), camera('b'), camera('c')]));
    await expectCode(FileCameraStore.open(dir, { maxFileBytes: 100 }), StoreErrorCode.CORRUPT);
  });

  it('rejects a cameras.json that is a directory with STORE_CORRUPT', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, STORE_FILE_NAME));
    await expectCode(FileCameraStore.open(dir), StoreErrorCode.CORRUPT);
  });

  it('accepts a hand-edited file with a byte order mark and any key order', async () => {
    const dir = await tempDir();
    const { id, url, ...rest } = camera('a');
    await writeFile(
      join(dir, STORE_FILE_NAME),
      `\ufeff${JSON.stringify({ cameras: [{ url, ...rest, id }], schema: 1 })}`,
    );
    const store = await FileCameraStore.open(dir);
    expect(await store.list()).toEqual([camera('a')]);
    await store.close();
  });

  // Each input is a file write plus an open() (about 1.5 ms on a busy machine, more than the
  // 1 ms fuzzTimeout() budgets): fewer runs by default, and a timeout that allows for the disk.
  const FILE_FUZZ_RUNS = fuzzRuns(1_000);

  it(
    'fuzz: random file contents load or reject with STORE_CORRUPT, never another error',
    { timeout: fuzzTimeout(FILE_FUZZ_RUNS * 5) },
    async () => {
      const dir = await tempDir();
      const path = join(dir, STORE_FILE_NAME);
      const encoder = new TextEncoder();
      const timestamp = fc
        .date({ min: new Date(0), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
        .map((date) => date.toISOString());
      const validRecord = fc.record({
        id: fc.string({ minLength: 1, maxLength: 6 }),
        name: fc.string({ maxLength: 8 }),
        url: fc.constant(`rtsp://admin:${SECRET}@192.0.2.1/stream1`),
        transport: fc.constantFrom('auto', 'tcp', 'udp'),
        onDemand: fc.boolean(),
        audio: fc.constantFrom('auto', 'off'),
        enabled: fc.boolean(),
        createdAt: timestamp,
        updatedAt: timestamp,
      });
      const validFile = fc
        .uniqueArray(validRecord, { selector: (record) => record.id, maxLength: 4 })
        .map((cameras) => encoder.encode(valid(cameras)));
      /** Mostly absent: each edit below makes a file invalid, and valid files must be common enough too. */
      const sometimes = <T>(arbitrary: fc.Arbitrary<T>) =>
        fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
      // A valid record, sometimes with one field replaced by any JSON value, removed or added.
      const record = fc
        .tuple(
          validRecord,
          sometimes(
            fc.tuple(
              fc.constantFrom(...Object.keys(camera('a')), 'extra'),
              fc.option(fc.jsonValue(), { nil: undefined }),
            ),
          ),
        )
        .map(([base, edit]) => {
          if (edit === undefined) return base;
          const [field, value] = edit;
          const out: Record<string, unknown> = Object.fromEntries(
            Object.entries(base).filter(([key]) => key !== field),
          );
          if (value !== undefined) out[field] = value;
          return out;
        });
      // Structural edits: any schema, any "cameras", an extra field (undefined ones are left out).
      const storeFile = fc
        .record({
          schema: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.jsonValue() }),
          cameras: fc.oneof(
            { weight: 4, arbitrary: fc.array(record, { maxLength: 4 }) },
            { weight: 1, arbitrary: fc.jsonValue() },
          ),
          extra: sometimes(fc.jsonValue()),
        })
        .map((file) => encoder.encode(JSON.stringify(file)));
      // Byte edits of valid files: truncations, flipped and inserted bytes.
      const edited = fc
        .tuple(
          fc.array(validRecord, { maxLength: 3 }).map((cameras) => encoder.encode(valid(cameras))),
          fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 4 }), insert: fc.uint8Array({ maxLength: 3 }) }), {
            minLength: 1,
            maxLength: 4,
          }),
        )
        .map(([bytes, edits]) => {
          let out = bytes;
          for (const { at, remove, insert } of edits) {
            const position = at % (out.length + 1);
            out = new Uint8Array([...out.subarray(0, position), ...insert, ...out.subarray(position + remove)]);
          }
          return out;
        });
      const contents = fc.oneof(
        validFile,
        storeFile,
        edited,
        fc.jsonValue().map((value) => encoder.encode(JSON.stringify(value))),
        fc.string({ unit: 'binary', maxLength: 200 }).map((text) => encoder.encode(text)),
        fc.uint8Array({ maxLength: 200 }),
      );

      await fc.assert(
        fc.asyncProperty(contents, async (bytes) => {
          await writeFile(path, bytes);
          let store: FileCameraStore;
          try {
            store = await FileCameraStore.open(dir);
          } catch (err) {
            expect(isCodedError(err, StoreErrorCode.CORRUPT)).toBe(true);
            expect((err as Error).message).not.toContain(SECRET);
            return;
          }
          const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { schema: unknown; cameras: unknown[] };
          expect(parsed.schema).toBe(1);
          expect((await store.list()).length).toBe(parsed.cameras.length);
          await store.close();
        }),
        { numRuns: FILE_FUZZ_RUNS },
      );
    },
  );
});

/**
 * The kill -9 test runs the real store in a child node process. Tests run on
 * the TypeScript sources and Node 20 cannot load TypeScript, so the child
 * registers tiny module hooks that transpile .ts with the repository's own
 * `typescript` (type stripping only, no type check) and map the sources'
 * `./x.js` imports to `./x.ts`; `--conditions=camgate-source` makes
 * `@camgate/bits` resolve to its sources, as in vitest. No build, no dist/.
 */
const TS_HOOKS = `
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ts = createRequire(${JSON.stringify(join(repoRoot, 'package.json'))})('typescript');

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!specifier.endsWith('.js')) throw err;
    return nextResolve(specifier.slice(0, -3) + '.ts', context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
`;

/** Creates cameras w<n>, w<n+1>, ... forever, printing each id once its create() resolved. */
const WRITER = `
import { register } from 'node:module';
register(new URL('./ts-hooks.mjs', import.meta.url));
const { FileCameraStore } = await import(process.argv[2]);
const store = await FileCameraStore.open(process.argv[3]);
for (let n = (await store.list()).length; ; n++) {
  const record = (await store.list())[0];
  if (record !== undefined) await store.update({ ...record, name: 'update ' + n }); // rewrites with an update too
  await store.create({ ...JSON.parse(process.argv[4]), id: 'w' + n });
  process.stdout.write('w' + n + '\\n');
}
`;

describe('FileCameraStore durability across kill -9', () => {
  it('keeps every acknowledged create and always reopens after the writer is killed mid-write', async () => {
    const dir = await tempDir();
    const dataDir = join(dir, 'data');
    await writeFile(join(dir, 'ts-hooks.mjs'), TS_HOOKS);
    await writeFile(join(dir, 'writer.mjs'), WRITER);
    const storeUrl = pathToFileURL(fileURLToPath(new URL('./file-camera-store.ts', import.meta.url))).href;

    let acknowledged: string[] = [];
    // Three rounds: each restarts on the file (and maybe the tmp file) the killed writer left.
    for (const acksBeforeKill of [5, 17, 40]) {
      const child = spawn(
        process.execPath,
        ['--conditions=camgate-source', join(dir, 'writer.mjs'), storeUrl, dataDir, JSON.stringify(camera('w'))],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try {
        let acks = 0;
        for await (const line of createInterface({ input: child.stdout })) {
          acknowledged.push(line);
          if (++acks === acksBeforeKill) child.kill('SIGKILL');
        }
      } finally {
        clearTimeout(timer);
        child.kill('SIGKILL');
      }
      expect(stderr).toBe('');
      expect(await exited).toBe('SIGKILL');

      const store = await FileCameraStore.open(dataDir);
      const ids = (await store.list()).map((c) => c.id);
      await store.close();
      // Everything acknowledged is there; at most the one create in flight at the kill is extra.
      expect(ids.slice(0, acknowledged.length)).toEqual(acknowledged);
      expect(ids.length - acknowledged.length).toBeLessThanOrEqual(1);
      acknowledged = ids;
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(5 + 17 + 40);
  }, 120_000);
});
