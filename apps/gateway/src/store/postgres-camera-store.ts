import {
  cameraRecordProblem,
  copyCameraRecord,
  RECORD_KEYS,
  StoreError,
  StoreErrorCode,
  type CameraRecord,
  type CameraStore,
  type StoreChange,
} from './camera-store.js';
import { MAX_CAMERAS } from './file-camera-store.js';
import { PostgresDatabase, type DatabaseLogger, type PostgresLimits } from './postgres-database.js';
import { ChannelWatchers, StoreCalls } from './postgres-store-support.js';
import { isSealed, SecretError, secretKeyRequired, sealedContext, sealedKeyId, type SecretBox } from './secret-box.js';

/** The channel the schema's trigger notifies with `{id, revision}` or `{id, deleted: true}`. */
export const CAMERAS_CHANNEL = 'camgate_cameras';

/**
 * Held (for the transaction) by every create: creates run one at a time across all nodes, so the
 * camera limit is exact. Creates are rare (an API call each); updates and deletes never take it.
 * camgate's own value ("camgcr": "camg" and "cr" in ASCII), apart from other applications' locks.
 */
const CREATE_LOCK_ID = 0x63616d676372;

/** Record fields a row keeps in columns of their own, not in `settings`. */
const COLUMN_KEYS: ReadonlyArray<keyof CameraRecord> = ['id', 'url', 'revision', 'createdAt', 'updatedAt'];
/** The settings a row's `settings` holds: every field of a record but its id, URL, revision and times. */
const SETTINGS_KEYS = RECORD_KEYS.filter((key) => !COLUMN_KEYS.includes(key));

export interface PostgresCameraStoreOptions {
  /** The database, shared with the node's other stores (the caller ends it), or a URL (the store then owns its pool). */
  database: PostgresDatabase | string;
  /** Seals the URLs (required: a database never holds camera passwords in the clear). */
  secrets: SecretBox | undefined;
  /** Most cameras (default {@link MAX_CAMERAS}, as the file store); tests lower it. */
  maxCameras?: number;
  /** For a database given as a URL. */
  limits?: PostgresLimits;
  /** How often watch() emits a resync (default 30 s); tests shorten it. */
  resyncIntervalMs?: number;
  heartbeatIntervalMs?: number;
  logger?: DatabaseLogger;
}

interface CameraRow {
  id: string;
  url_sealed: string;
  settings: unknown;
  revision: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'id, url_sealed, settings, revision, created_at, updated_at';

/**
 * The camera registry in PostgreSQL (`camgate_cameras`, migrations/1700000000001_initial.sql),
 * shared by every node. Same contract and error codes as the JSON file:
 *
 * - the URL is sealed (AES-256-GCM, `camera:<id>:url`) in `url_sealed`; the other settings are a
 *   JSON object in `settings`, checked on every read like the file's records (STORE_CORRUPT);
 * - creation order is the row's `position`, which an update keeps;
 * - a write naming a revision is one statement conditioned on it (`WHERE revision = $expected`),
 *   so of two nodes writing the same revision, one gets STORE_CONFLICT;
 * - a database that cannot be reached is STORE_IO (the message never holds the password).
 *
 * Each write is one statement (a create, one short transaction), durable when it resolves.
 * watch() follows changes any node (or psql) makes, through LISTEN/NOTIFY on `camgate_cameras`.
 */
export class PostgresCameraStore implements CameraStore {
  readonly #db: PostgresDatabase;
  readonly #ownsDatabase: boolean;
  readonly #secrets: SecretBox;
  readonly #maxCameras: number;
  readonly #options: PostgresCameraStoreOptions;
  readonly #calls: StoreCalls;
  readonly #watchers: ChannelWatchers<StoreChange>;

  private constructor(
    db: PostgresDatabase,
    ownsDatabase: boolean,
    secrets: SecretBox,
    options: PostgresCameraStoreOptions,
  ) {
    this.#db = db;
    this.#ownsDatabase = ownsDatabase;
    this.#secrets = secrets;
    this.#maxCameras = options.maxCameras ?? MAX_CAMERAS;
    this.#options = options;
    this.#calls = new StoreCalls(db, 'the camera store');
    this.#watchers = new ChannelWatchers<StoreChange>(
      db,
      {
        channels: [CAMERAS_CHANNEL],
        ...(options.resyncIntervalMs === undefined ? {} : { resyncIntervalMs: options.resyncIntervalMs }),
        ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      },
      parseChange,
      { kind: 'resync' },
    );
  }

  /**
   * Opens the registry (the schema must be migrated: runMigrations()). Throws SECRET_KEY_REQUIRED
   * without a secret key; STORE_IO when the database cannot be reached; STORE_CORRUPT when cameras
   * are sealed with a key this gateway does not have (the message says to set CAMGATE_SECRET_KEY to
   * the key they were written with). URLs sealed with a previous key (CAMGATE_SECRET_KEY_PREVIOUS)
   * are sealed again with the current one here, at start.
   */
  static async open(options: PostgresCameraStoreOptions): Promise<PostgresCameraStore> {
    if (options.secrets === undefined) throw secretKeyRequired();
    const owns = typeof options.database === 'string';
    const db =
      typeof options.database === 'string'
        ? PostgresDatabase.fromUrl(options.database, options.limits)
        : options.database;
    const store = new PostgresCameraStore(db, owns, options.secrets, options);
    try {
      await store.#resealOldValues();
    } catch (err) {
      if (owns) await db.end();
      throw err;
    }
    return store;
  }

  list(): Promise<CameraRecord[]> {
    return this.#calls.run('read the cameras', async () => {
      const { rows } = await this.#db.pool.query<CameraRow>(`SELECT ${COLUMNS} FROM camgate_cameras ORDER BY position`);
      return rows.map((row) => this.#toRecord(row));
    });
  }

  get(id: string): Promise<CameraRecord | undefined> {
    return this.#calls.run('read a camera', async () => {
      const { rows } = await this.#db.pool.query<CameraRow>(`SELECT ${COLUMNS} FROM camgate_cameras WHERE id = $1`, [
        id,
      ]);
      const row = rows[0];
      return row === undefined ? undefined : this.#toRecord(row);
    });
  }

  create(record: CameraRecord): Promise<void> {
    return this.#calls.run('add a camera', () => {
      // Copied now, before the first await: a caller changing its object later changes nothing.
      const copy = checkedCopy(record);
      return this.#calls.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK_ID]);
        const { rows } = await client.query<{ taken: boolean; count: string }>(
          'SELECT EXISTS (SELECT 1 FROM camgate_cameras WHERE id = $1) AS taken, (SELECT count(*) FROM camgate_cameras) AS count',
          [copy.id],
        );
        const { taken, count } = rows[0] as { taken: boolean; count: string };
        if (taken) throw duplicate(copy.id);
        if (Number(count) >= this.#maxCameras) {
          throw new StoreError(StoreErrorCode.FULL, `the store holds the maximum of ${this.#maxCameras} cameras`);
        }
        // ON CONFLICT: a row added by hand (psql, without the lock) since the check.
        const inserted = await client.query(
          `INSERT INTO camgate_cameras (id, url_sealed, settings, revision, created_at, updated_at)
           VALUES ($1, $2, $3::jsonb, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
          this.#rowValues(copy),
        );
        if (inserted.rowCount !== 1) throw duplicate(copy.id);
      });
    });
  }

  update(record: CameraRecord, expectedRevision?: number): Promise<void> {
    return this.#calls.run('change a camera', async () => {
      const copy = checkedCopy(record);
      const updated = await this.#db.pool.query(
        `UPDATE camgate_cameras SET url_sealed = $2, settings = $3::jsonb, revision = $4, created_at = $5, updated_at = $6
         WHERE id = $1 AND ($7::integer IS NULL OR revision = $7)`,
        [...this.#rowValues(copy), expectedRevision ?? null],
      );
      if (updated.rowCount === 1) return;
      const current = expectedRevision === undefined ? undefined : await this.#revision(copy.id);
      if (current === undefined) {
        throw new StoreError(StoreErrorCode.NOT_FOUND, `no camera with id ${JSON.stringify(copy.id)}`);
      }
      throw conflict(copy.id, current, expectedRevision);
    });
  }

  delete(id: string, expectedRevision?: number): Promise<boolean> {
    return this.#calls.run('delete a camera', async () => {
      const deleted = await this.#db.pool.query(
        'DELETE FROM camgate_cameras WHERE id = $1 AND ($2::integer IS NULL OR revision = $2)',
        [id, expectedRevision ?? null],
      );
      if (deleted.rowCount === 1) return true;
      const current = expectedRevision === undefined ? undefined : await this.#revision(id);
      if (current === undefined) return false;
      throw conflict(id, current, expectedRevision);
    });
  }

  /**
   * Changes any node (or psql) makes: `{kind: 'camera', id, revision}` or `{..., deleted: true}`
   * for each row written (this store's own writes included: the registry de-duplicates them by
   * revision), and `{kind: 'resync'}` once listening starts, after every reconnection, and every
   * 30 s, for changes whose notification may have been missed. One LISTEN connection serves every
   * watcher; it ends with the last unsubscribe.
   */
  watch(listener: (change: StoreChange) => void): () => void {
    return this.#watchers.add(listener);
  }

  /** Waits for calls in progress, stops watching; later calls reject with STORE_CLOSED. */
  async close(): Promise<void> {
    if (this.#calls.closed) return;
    await this.#calls.close();
    await this.#watchers.close();
    if (this.#ownsDatabase) await this.#db.end();
  }

  async #revision(id: string): Promise<number | undefined> {
    const { rows } = await this.#db.pool.query<{ revision: number }>(
      'SELECT revision FROM camgate_cameras WHERE id = $1',
      [id],
    );
    return rows[0]?.revision;
  }

  /** id, url_sealed, settings, revision, created_at, updated_at: the URL sealed for this camera. */
  #rowValues(record: CameraRecord): unknown[] {
    const settings: Record<string, unknown> = {};
    for (const key of SETTINGS_KEYS) if (record[key] !== undefined) settings[key] = record[key];
    return [
      record.id,
      this.#secrets.seal(record.url, sealedContext.cameraUrl(record.id)),
      JSON.stringify(settings),
      record.revision ?? 1,
      record.createdAt,
      record.updatedAt,
    ];
  }

  /** A row as a record, checked like the file's: a row edited into something invalid is STORE_CORRUPT. */
  #toRecord(row: CameraRow): CameraRecord {
    const where = `camera ${JSON.stringify(row.id)} in the database`;
    const { settings } = row;
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw corrupt(`${where} has "settings" that are not a JSON object`);
    }
    if (Object.keys(settings).some((key) => !(SETTINGS_KEYS as readonly string[]).includes(key))) {
      throw corrupt(`${where} has a setting that is not one of ${SETTINGS_KEYS.join(', ')}`);
    }
    const record = {
      id: row.id,
      ...(settings as Record<string, unknown>),
      url: this.#openUrl(row, where),
      revision: row.revision,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
    const problem = cameraRecordProblem(record);
    if (problem !== undefined) throw corrupt(`${where}: ${problem}`);
    return copyCameraRecord(record as CameraRecord);
  }

  #openUrl(row: { id: string; url_sealed: string }, where: string): string {
    if (!isSealed(row.url_sealed)) {
      throw corrupt(
        `${where} has a "url_sealed" that is not sealed: add cameras through the API or \`camgate db import\``,
      );
    }
    try {
      return this.#secrets.open(row.url_sealed, sealedContext.cameraUrl(row.id));
    } catch (err) {
      if (err instanceof SecretError) throw corrupt(`${where} "url_sealed": ${err.message}`);
      throw err;
    }
  }

  /**
   * At open: refuses a database whose URLs this gateway cannot open for want of their key (every
   * read would fail), and seals URLs of previous keys again with the current key, each with one
   * statement conditioned on the old value (nodes starting together do it once; the revision
   * stays: the camera did not change).
   */
  async #resealOldValues(): Promise<void> {
    let rows: Array<{ id: string; url_sealed: string }>;
    try {
      ({ rows } = await this.#db.pool.query<{ id: string; url_sealed: string }>(
        'SELECT id, url_sealed FROM camgate_cameras ORDER BY position',
      ));
    } catch (err) {
      throw this.#calls.ioError('read the cameras', err);
    }
    const unknownKeys = new Map<string, number>();
    for (const row of rows) {
      const keyId = sealedKeyId(row.url_sealed);
      if (keyId === undefined || this.#secrets.needsReseal(row.url_sealed)) continue;
      if (keyId !== this.#secrets.keyId) unknownKeys.set(keyId, (unknownKeys.get(keyId) ?? 0) + 1);
    }
    if (unknownKeys.size > 0) {
      const [[keyId, count]] = [...unknownKeys] as [[string, number]];
      throw corrupt(
        `${count} camera${count === 1 ? ' is' : 's are'} sealed in the database ${this.#db.description} with secret key ${keyId}, which is neither CAMGATE_SECRET_KEY (${this.#secrets.keyId}) nor in CAMGATE_SECRET_KEY_PREVIOUS: set CAMGATE_SECRET_KEY to the key it was written with (the same on every node)`,
      );
    }
    let resealed = 0;
    for (const row of rows) {
      if (!isSealed(row.url_sealed) || !this.#secrets.needsReseal(row.url_sealed)) continue;
      const url = this.#openUrl(row, `camera ${JSON.stringify(row.id)} in the database`);
      try {
        const result = await this.#db.pool.query(
          'UPDATE camgate_cameras SET url_sealed = $2 WHERE id = $1 AND url_sealed = $3',
          [row.id, this.#secrets.seal(url, sealedContext.cameraUrl(row.id)), row.url_sealed],
        );
        resealed += result.rowCount ?? 0;
      } catch (err) {
        throw this.#calls.ioError('seal a camera URL with the current key', err);
      }
    }
    if (resealed > 0) {
      this.#options.logger?.info(
        { cameras: resealed, keyId: this.#secrets.keyId },
        'camera URLs sealed with a previous secret key were sealed again with CAMGATE_SECRET_KEY',
      );
    }
  }
}

/** A notification's payload as a change; anything unexpected (a hand-made NOTIFY) asks for a resync. */
export function parseChange(payload: string): StoreChange {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { kind: 'resync' };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'resync' };
  const { id, revision, deleted } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') return { kind: 'resync' };
  if (deleted === true) return { kind: 'camera', id, deleted: true };
  if (typeof revision === 'number' && Number.isSafeInteger(revision) && revision >= 1) {
    return { kind: 'camera', id, revision };
  }
  return { kind: 'resync' };
}

function checkedCopy(record: CameraRecord): CameraRecord {
  const problem = cameraRecordProblem(record);
  if (problem !== undefined) throw new StoreError(StoreErrorCode.INVALID_RECORD, `invalid camera record: ${problem}`);
  return copyCameraRecord(record);
}

function duplicate(id: string): StoreError {
  return new StoreError(StoreErrorCode.DUPLICATE_ID, `a camera with id ${JSON.stringify(id)} exists`);
}

function conflict(id: string, current: number, expected: number | undefined): StoreError {
  return new StoreError(
    StoreErrorCode.CONFLICT,
    `camera ${JSON.stringify(id)} is at revision ${current}, not ${String(expected)}`,
  );
}

function corrupt(problem: string): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, problem);
}
