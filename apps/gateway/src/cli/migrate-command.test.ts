import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { PostgresSigningKeyStore } from '../playback/postgres-signing-key-store.js';
import { FileSigningKeyStore, type SigningKeyRecord } from '../playback/signing-key-store.js';
import type { CameraRecord } from '../store/camera-store.js';
import { FileCameraStore, STORE_FILE_NAME } from '../store/file-camera-store.js';
import { PostgresCameraStore } from '../store/postgres-camera-store.js';
import { SecretBox, SecretErrorCode } from '../store/secret-box.js';
import { DATABASE_CANARY, usePrivatePostgres } from '../store/test-postgres.js';
import type { CliIo } from './io.js';
import { dbCommand } from './migrate-command.js';

const postgres = usePrivatePostgres();

/** In every camera URL and private key: the command's output never shows them. */
const CAMERA_PASSWORD = 'cam-pw-5d1c0a';
const SECRET_D = 'PrivateD-import-not-to-be-shown';
const SECRET_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 7 * i + 3));
const secrets = SecretBox.fromKeys(SECRET_KEY);

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function camera(id: string, overrides: Partial<CameraRecord> = {}): CameraRecord {
  return {
    id,
    name: `Camera ${id}`,
    url: `rtsp://admin:${CAMERA_PASSWORD}@192.0.2.10:554/${id}`,
    transport: 'auto',
    onDemand: false,
    audio: 'auto',
    enabled: true,
    createdAt: '2025-01-02T03:04:05.678Z',
    updatedAt: '2025-01-02T03:04:05.678Z',
    ...overrides,
  };
}

function key(id: string, managed = false): SigningKeyRecord {
  return {
    id,
    name: `key ${id}`,
    algorithm: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: `x-${id}`, y: `y-${id}` },
    ...(managed ? { privateJwk: { kty: 'EC', crv: 'P-256', x: `x-${id}`, y: `y-${id}`, d: SECRET_D } } : {}),
    managed,
    createdAt: new Date(0).toISOString(),
  };
}

/** A single gateway's data directory: cameras (some with revisions, one public) and signing keys. */
async function dataDir(options: { sealed: boolean }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'camgate-import-'));
  dirs.push(dir);
  const box = options.sealed ? { secrets } : {};
  const store = await FileCameraStore.open(dir, box);
  await store.create(camera('front', { revision: 3 }));
  await store.create(camera('back'));
  await store.create(camera('gate', { playback: 'public', revision: 2 }));
  await store.close();
  const keys = await FileSigningKeyStore.open(dir, box);
  await keys.create(key('api-key'));
  await keys.create(key('own', true));
  await keys.close();
  return dir;
}

function io(env: NodeJS.ProcessEnv): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env,
    stop: new AbortController().signal,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

function env(url: string): NodeJS.ProcessEnv {
  return { CAMGATE_DATABASE_URL: url, CAMGATE_SECRET_KEY: SECRET_KEY.toString('hex') };
}

/** Runs `camgate db ...` and checks the output holds no credential. */
async function run(args: string[], environment: NodeJS.ProcessEnv) {
  const cli = io(environment);
  const code = await dbCommand(args, cli);
  for (const text of [cli.out(), cli.err()]) {
    for (const secret of [CAMERA_PASSWORD, SECRET_D, DATABASE_CANARY, SECRET_KEY.toString('hex')]) {
      expect(text).not.toContain(secret);
    }
  }
  return { code, out: cli.out(), err: cli.err() };
}

async function databaseContents(url: string) {
  const cameras = await PostgresCameraStore.open({ database: url, secrets });
  const keys = await PostgresSigningKeyStore.open({ database: url, secrets });
  try {
    return { cameras: await cameras.list(), keys: await keys.list() };
  } finally {
    await Promise.all([cameras.close(), keys.close()]);
  }
}

const wantCameras = [
  camera('front', { revision: 3 }),
  camera('back', { revision: 1 }),
  camera('gate', { playback: 'public', revision: 2 }),
];

describe('camgate db import', () => {
  it.for([
    ['a registry written without a key', false],
    ['a registry sealed with CAMGATE_SECRET_KEY', true],
  ] as const)(
    'copies %s with the same ids, revisions and order, URLs sealed; a second run skips everything',
    async ([, sealed], ctx) => {
      const url = await postgres.database(ctx, { migrate: false });
      const from = await dataDir({ sealed });
      const before = await readFile(join(from, STORE_FILE_NAME), 'utf8');

      const first = await run(['import', '--from', from], env(url));
      expect(first.code).toBe(0);
      expect(first.out).toContain('cameras: 3 imported, 0 already there');
      expect(first.out).toContain('signing keys: 2 imported, 0 already there');
      expect(await databaseContents(url)).toEqual({ cameras: wantCameras, keys: [key('api-key'), key('own', true)] });
      const rows = await postgres
        .cluster()
        .psql('SELECT url_sealed FROM camgate_cameras', new URL(url).pathname.slice(1));
      expect(rows).not.toContain(CAMERA_PASSWORD);
      // The source is read, never written.
      expect(await readFile(join(from, STORE_FILE_NAME), 'utf8')).toBe(before);

      const second = await run(['import', '--from', from], env(url));
      expect(second.code).toBe(0);
      expect(second.out).toContain('cameras: 0 imported, 3 already there');
      expect(second.out).toContain('signing keys: 0 imported, 2 already there');
    },
  );

  it('reports a camera or key that differs in the database without overwriting it; --force overwrites', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const from = await dataDir({ sealed: false });
    expect((await run(['import', '--from', from], env(url))).code).toBe(0);
    // Changed in the database since: a camera through the store, the gateway's own key replaced.
    const store = await PostgresCameraStore.open({ database: url, secrets });
    await store.update(camera('back', { name: 'Back door', url: 'rtsp://other/', revision: 2 }), 1);
    await store.close();
    const keys = await PostgresSigningKeyStore.open({ database: url, secrets });
    await keys.delete('own');
    await keys.create(key('own-2', true));
    await keys.close();

    const dry = await run(['import', '--from', from, '--dry-run'], env(url));
    expect(dry.code).toBe(1);
    const conflicted = await run(['import', '--from', from], env(url));
    expect(conflicted.code).toBe(1);
    expect(conflicted.out).toContain('cameras: 0 imported, 2 already there, 1 in conflict (left as they are)');
    expect(conflicted.out).toContain(
      'conflict: "back" differs from the database\'s (revision 2 there, 1 in the file; name, url, revision)',
    );
    expect(conflicted.out).toContain(
      'conflict: "own" is the gateway\'s own key, and the database has another ("own-2"',
    );
    expect(conflicted.err).toContain('rerun with --force');
    const kept = await databaseContents(url);
    expect(kept.cameras[1]).toMatchObject({ name: 'Back door', revision: 2 });
    expect(kept.keys.map((k) => k.id)).toEqual(['api-key', 'own-2']);

    const dryForce = await run(['import', '--from', from, '--force', '--dry-run'], env(url));
    expect(dryForce.code).toBe(0);
    expect(dryForce.out).toContain('1 would be overwritten (--force)');
    expect(await databaseContents(url)).toEqual(kept);

    const forced = await run(['import', '--from', from, '--force'], env(url));
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('cameras: 0 imported, 2 already there, 1 overwritten (--force)');
    // The file's camera with a revision above both: other nodes take it as the newer one.
    const overwritten = [wantCameras[0], { ...wantCameras[1], revision: 3 }, wantCameras[2]];
    expect(await databaseContents(url)).toEqual({ cameras: overwritten, keys: [key('api-key'), key('own', true)] });
  });

  it('a registry sealed with another key changes nothing: STORE_CORRUPT saying which key to set', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const from = await dataDir({ sealed: true });
    const other = {
      ...env(url),
      CAMGATE_SECRET_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => 9 + i)).toString('hex'),
    };
    const err = await dbCommand(['import', '--from', from], io(other)).catch((error: unknown) => error as Error);
    expect(err).toMatchObject({ code: 'STORE_CORRUPT' });
    expect((err as Error).message).toContain('set CAMGATE_SECRET_KEY to the key it was written with');
    // Nothing was written: not even the schema.
    expect(
      await postgres.cluster().psql("SELECT to_regclass('camgate_cameras') IS NULL", new URL(url).pathname.slice(1)),
    ).toBe('t');
  });
});

describe('camgate db migrate', () => {
  it('migrates, then says the schema is up to date', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const first = await run(['migrate'], env(url));
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain('migrated: 1700000000001_initial');
    expect(first.out).toContain(`127.0.0.1:${new URL(url).port}/`);
    expect((await run(['migrate'], env(url))).out).toContain('is up to date');
  });
});

describe('camgate db: usage and configuration', () => {
  it.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ['no command', [], {}, GatewayErrorCode.USAGE],
    ['an unknown command', ['drop'], {}, GatewayErrorCode.USAGE],
    ['an unknown option', ['import', '--overwrite'], {}, GatewayErrorCode.USAGE],
    ['arguments to migrate', ['migrate', 'now'], {}, GatewayErrorCode.USAGE],
    [
      'no CAMGATE_DATABASE_URL',
      ['migrate'],
      { CAMGATE_SECRET_KEY: SECRET_KEY.toString('hex') },
      GatewayErrorCode.INVALID_CONFIG,
    ],
    [
      'no CAMGATE_SECRET_KEY',
      ['migrate'],
      { CAMGATE_DATABASE_URL: 'postgres://db/camgate' },
      SecretErrorCode.KEY_REQUIRED,
    ],
    [
      'a CAMGATE_SECRET_KEY that is not a key',
      ['migrate'],
      { CAMGATE_DATABASE_URL: 'postgres://db/camgate', CAMGATE_SECRET_KEY: 'hunter2' },
      SecretErrorCode.INVALID_KEY,
    ],
    [
      'a CAMGATE_DATABASE_URL that is not a PostgreSQL URL',
      ['migrate'],
      { CAMGATE_DATABASE_URL: `mysql://u:${DATABASE_CANARY}@db/x`, CAMGATE_SECRET_KEY: SECRET_KEY.toString('hex') },
      'DB_INVALID_URL',
    ],
  ])('refuses %s', async (_name, args, environment, code) => {
    const err = await dbCommand(args, io(environment)).catch((error: unknown) => error as Error);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).not.toContain(DATABASE_CANARY);
  });

  it('refuses a --from that holds no registry (a mistyped path would import nothing)', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'camgate-import-'));
    dirs.push(empty);
    const environment = {
      CAMGATE_DATABASE_URL: 'postgres://db/camgate',
      CAMGATE_SECRET_KEY: SECRET_KEY.toString('hex'),
    };
    const err = await dbCommand(['import', '--from', empty], io(environment)).catch((error: unknown) => error as Error);
    expect(err).toMatchObject({ code: GatewayErrorCode.INVALID_CONFIG });
    expect((err as Error).message).toContain(`${empty} holds no cameras.json or signing-keys.json`);
  });

  it('prints its usage for --help', async () => {
    const cli = io({});
    expect(await dbCommand(['--help'], cli)).toBe(0);
    expect(cli.out()).toContain('Usage: camgate db <command>');
  });
});
