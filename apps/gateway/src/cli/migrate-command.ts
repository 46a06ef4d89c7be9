import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { errors } from '../errors.js';
import { PostgresSigningKeyStore } from '../playback/postgres-signing-key-store.js';
import { readSigningKeys, SIGNING_KEYS_FILE_NAME, type SigningKeyRecord } from '../playback/signing-key-store.js';
import { copyCameraRecord, revisionOf, type CameraRecord } from '../store/camera-store.js';
import { readCameraRegistry, STORE_FILE_NAME } from '../store/file-camera-store.js';
import { PostgresCameraStore } from '../store/postgres-camera-store.js';
import { PostgresDatabase } from '../store/postgres-database.js';
import { runMigrations } from '../store/postgres-migrations.js';
import { SecretBox, secretKeyRequired } from '../store/secret-box.js';
import type { CliIo } from './io.js';

export const DB_USAGE = `Usage: camgate db <command> [options]

Sets up the PostgreSQL database several gateway nodes share (CAMGATE_DATABASE_URL).

Commands:
  migrate             bring the database's schema up to this camgate's (every node also does
                      this at start, under a lock; run it yourself to migrate before a rollout)
  import [--from <data-dir>] [--force] [--dry-run]
                      copy a single gateway's JSON registry (cameras.json, signing-keys.json) into
                      the database, with the same ids, revisions and order, camera URLs sealed with
                      CAMGATE_SECRET_KEY. Run it again at will: what is there already is skipped;
                      a camera or key that differs in the database is reported and left alone,
                      unless --force (then the file's wins, as a new revision). --dry-run says what
                      it would do.
                      --from: the gateway's data directory (default CAMGATE_DATA_DIR, or ./data).

Environment: CAMGATE_DATABASE_URL (postgres://user:password@host:5432/db; never on the command
line, where other users of the machine see it), CAMGATE_SECRET_KEY (make one with
'camgate keygen --secret'; every node needs the same), CAMGATE_SECRET_KEY_PREVIOUS (older keys the
JSON registry may be sealed with).

Exit status: 0 done, 1 failed or a conflict left alone, 2 bad usage or configuration.
`;

export async function dbCommand(args: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '-h' || subcommand === '--help') {
    if (subcommand === undefined) throw errors.usage(`db needs a command\n\n${DB_USAGE}`);
    io.stdout.write(DB_USAGE);
    return 0;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout.write(DB_USAGE);
    return 0;
  }
  switch (subcommand) {
    case 'migrate':
      if (rest.length > 0) throw errors.usage(`db migrate takes no arguments\n\n${DB_USAGE}`);
      return migrate(io);
    case 'import':
      return importRegistry(parseImportArgs(rest, io.env), io);
    default:
      throw errors.usage(`unknown db command '${subcommand}'\n\n${DB_USAGE}`);
  }
}

interface ImportOptions {
  from: string;
  force: boolean;
  dryRun: boolean;
}

function parseImportArgs(args: string[], env: NodeJS.ProcessEnv): ImportOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        from: { type: 'string' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw errors.usage(`${(err as Error).message}\n\n${DB_USAGE}`);
  }
  const fromEnv = env['CAMGATE_DATA_DIR'];
  const from = values.from ?? (fromEnv === undefined || fromEnv === '' ? './data' : fromEnv);
  return { from: resolve(from), force: values.force === true, dryRun: values['dry-run'] === true };
}

/** The database from CAMGATE_DATABASE_URL, and the secret box (required: the database holds credentials sealed). */
function connect(io: CliIo): { db: PostgresDatabase; secrets: SecretBox } {
  const url = (io.env['CAMGATE_DATABASE_URL'] ?? '').trim();
  if (url === '') {
    throw errors.invalidConfig(
      'CAMGATE_DATABASE_URL',
      'is not set: it says which database to use (postgres://user:password@host:5432/db)',
    );
  }
  const secrets = SecretBox.fromEnv(io.env);
  if (secrets === undefined) throw secretKeyRequired();
  return { db: PostgresDatabase.fromUrl(url), secrets };
}

async function migrate(io: CliIo): Promise<number> {
  const { db } = connect(io);
  try {
    const { applied, schema } = await runMigrations(db);
    io.stdout.write(
      applied.length === 0
        ? `the database ${db.description} is up to date (${schema.length} migrations)\n`
        : `the database ${db.description} migrated: ${applied.join(', ')}\n`,
    );
    return 0;
  } finally {
    await db.end();
  }
}

/** What happened to each camera or key; ids only (never a URL or key material). */
interface Outcome {
  imported: string[];
  /** Already in the database, the same. */
  same: string[];
  /** In the database, different: `what` says how (field names, revisions; never values). */
  conflicts: Array<{ id: string; what: string }>;
  /** Conflicts the file won (--force). */
  overwritten: string[];
}

async function importRegistry(options: ImportOptions, io: CliIo): Promise<number> {
  const { db, secrets } = connect(io);
  try {
    // A mistyped --from would otherwise import nothing, successfully.
    if (![STORE_FILE_NAME, SIGNING_KEYS_FILE_NAME].some((name) => existsSync(join(options.from, name)))) {
      throw errors.invalidConfig(
        '--from',
        `${options.from} holds no ${STORE_FILE_NAME} or ${SIGNING_KEYS_FILE_NAME}: give the data directory of the gateway to import`,
      );
    }
    // Read everything first: a file that does not open (wrong key, damaged) changes nothing.
    const cameras = await readCameraRegistry(options.from, { secrets });
    const keys = await readSigningKeys(options.from, { secrets });
    const { applied } = await runMigrations(db);
    if (applied.length > 0) io.stdout.write(`the database ${db.description} migrated: ${applied.join(', ')}\n`);

    const cameraStore = await PostgresCameraStore.open({ database: db, secrets });
    let cameraOutcome: Outcome;
    try {
      cameraOutcome = await importCameras(cameraStore, cameras, options);
    } finally {
      await cameraStore.close();
    }
    const keyStore = await PostgresSigningKeyStore.open({ database: db, secrets });
    let keyOutcome: Outcome;
    try {
      keyOutcome = await importKeys(keyStore, keys, options);
    } finally {
      await keyStore.close();
    }

    const would = options.dryRun ? 'would be ' : '';
    io.stdout.write(
      `${options.dryRun ? 'dry run: nothing written. ' : ''}from ${options.from} (${cameras.length} cameras, ${keys.length} signing keys) into ${db.description}:\n`,
    );
    for (const [what, outcome] of [
      ['cameras', cameraOutcome],
      ['signing keys', keyOutcome],
    ] as const) {
      const left = outcome.conflicts.length - outcome.overwritten.length;
      io.stdout.write(
        `  ${what}: ${outcome.imported.length} ${would}imported, ${outcome.same.length} already there` +
          (outcome.overwritten.length > 0 ? `, ${outcome.overwritten.length} ${would}overwritten (--force)` : '') +
          (left > 0 ? `, ${left} in conflict (left as they are)` : '') +
          '\n',
      );
      for (const { id, what: why } of outcome.conflicts) {
        const forced = outcome.overwritten.includes(id);
        io.stdout.write(`    ${forced ? `${would}overwritten` : 'conflict'}: ${JSON.stringify(id)} ${why}\n`);
      }
    }
    const left =
      cameraOutcome.conflicts.length -
      cameraOutcome.overwritten.length +
      keyOutcome.conflicts.length -
      keyOutcome.overwritten.length;
    if (left > 0) {
      io.stderr.write(
        `camgate db import: ${left} differ from what the database has and were left as they are; rerun with --force to overwrite them with the file's\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await db.end();
  }
}

async function importCameras(
  store: PostgresCameraStore,
  cameras: readonly CameraRecord[],
  options: ImportOptions,
): Promise<Outcome> {
  const outcome: Outcome = { imported: [], same: [], conflicts: [], overwritten: [] };
  const existing = new Map((await store.list()).map((camera) => [camera.id, camera]));
  // In the file's order: each create takes the next position, so the database lists them the same way.
  for (const camera of cameras) {
    const record = { ...copyCameraRecord(camera), revision: revisionOf(camera) };
    const there = existing.get(camera.id);
    if (there === undefined) {
      if (!options.dryRun) await store.create(record);
      outcome.imported.push(camera.id);
      continue;
    }
    const fields = differingFields(there, record);
    if (fields.length === 0) {
      outcome.same.push(camera.id);
      continue;
    }
    outcome.conflicts.push({
      id: camera.id,
      what: `differs from the database's (revision ${revisionOf(there)} there, ${record.revision} in the file; ${fields.join(', ')})`,
    });
    if (options.force) {
      // A new revision above both: nodes that hold the database's version take it as newer (they
      // skip a change whose revision they have seen), and a change made meanwhile is not undone.
      const revision = Math.max(revisionOf(there), record.revision) + 1;
      if (!options.dryRun) await store.update({ ...record, revision }, revisionOf(there));
      outcome.overwritten.push(camera.id);
    }
  }
  return outcome;
}

async function importKeys(
  store: PostgresSigningKeyStore,
  keys: readonly SigningKeyRecord[],
  options: ImportOptions,
): Promise<Outcome> {
  const outcome: Outcome = { imported: [], same: [], conflicts: [], overwritten: [] };
  let existing = await store.list();
  for (const key of keys) {
    const there = existing.find((other) => other.id === key.id);
    // The gateway keeps one key of its own: another one in the database is in the way.
    const otherManaged = key.managed ? existing.find((other) => other.managed && other.id !== key.id) : undefined;
    if (there === undefined && otherManaged === undefined) {
      if (!options.dryRun) await store.create(key);
      outcome.imported.push(key.id);
      continue;
    }
    if (there !== undefined && isDeepStrictEqual(there, key)) {
      outcome.same.push(key.id);
      continue;
    }
    const why =
      there !== undefined
        ? `differs from the database's (${differingFields(there, key).join(', ')})`
        : `is the gateway's own key, and the database has another (${JSON.stringify(otherManaged?.id)}; overwriting it revokes the tokens it signed)`;
    outcome.conflicts.push({ id: key.id, what: why });
    if (options.force) {
      if (!options.dryRun) {
        for (const old of [there, otherManaged]) if (old !== undefined) await store.delete(old.id);
        await store.create(key);
        existing = await store.list();
      }
      outcome.overwritten.push(key.id);
    }
  }
  return outcome;
}

/** The names of the fields two records differ in (never their values: a URL holds a password). */
function differingFields<T extends object>(a: T, b: T): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof T>);
  return [...keys].filter((key) => !isDeepStrictEqual(a[key], b[key])).map(String);
}
