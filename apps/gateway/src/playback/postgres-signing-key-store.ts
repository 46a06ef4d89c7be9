import { StoreError, StoreErrorCode } from '../store/camera-store.js';
import { PostgresDatabase, type DatabaseLogger, type PostgresLimits } from '../store/postgres-database.js';
import { ChannelWatchers, StoreCalls } from '../store/postgres-store-support.js';
import {
  isSealed,
  SecretError,
  secretKeyRequired,
  sealedContext,
  sealedKeyId,
  type SecretBox,
} from '../store/secret-box.js';
import {
  MAX_SIGNING_KEYS,
  signingKeyRecordProblem,
  type SigningKeyRecord,
  type SigningKeyStore,
  type StoredJwk,
} from './signing-key-store.js';

/** The channel the schema's trigger notifies with `{id}` whenever a key is created, changed or deleted. */
export const SIGNING_KEYS_CHANNEL = 'camgate_signing_keys';

/**
 * Held (for the transaction) by every create: the key limits are counted exactly across nodes.
 * camgate's own value ("camgsk": "camg" and "sk" in ASCII), apart from other applications' locks.
 */
const CREATE_LOCK_ID = 0x63616d67736b;

export interface PostgresSigningKeyStoreOptions {
  /** The database, shared with the node's other stores (the caller ends it), or a URL (the store then owns its pool). */
  database: PostgresDatabase | string;
  /** Seals the gateway's own private key (required). */
  secrets: SecretBox | undefined;
  limits?: PostgresLimits;
  /** How often watch() calls its listeners anyway (default 30 s); tests shorten it. */
  resyncIntervalMs?: number;
  heartbeatIntervalMs?: number;
  logger?: DatabaseLogger;
}

interface KeyRow {
  id: string;
  name: string;
  algorithm: string;
  public_jwk: unknown;
  private_sealed: string | null;
  managed: boolean;
  created_at: string;
}

const COLUMNS = 'id, name, algorithm, public_jwk, private_sealed, managed, created_at';

/**
 * The signing keys in PostgreSQL (`camgate_signing_keys`), shared by every node: a key created on
 * one node verifies tokens on all, and one deleted on one is refused by all as soon as they hear
 * of it (watch(): LISTEN/NOTIFY, and a resync every 30 s as the safety net). The gateway's own
 * private key is kept sealed (AES-256-GCM, `signing-key:<id>`) in `private_sealed`. Same limits
 * and error codes as the file.
 */
export class PostgresSigningKeyStore implements SigningKeyStore {
  readonly #db: PostgresDatabase;
  readonly #ownsDatabase: boolean;
  readonly #secrets: SecretBox;
  readonly #calls: StoreCalls;
  readonly #watchers: ChannelWatchers<undefined>;

  private constructor(
    db: PostgresDatabase,
    ownsDatabase: boolean,
    secrets: SecretBox,
    options: PostgresSigningKeyStoreOptions,
  ) {
    this.#db = db;
    this.#ownsDatabase = ownsDatabase;
    this.#secrets = secrets;
    this.#calls = new StoreCalls(db, 'the signing key store');
    this.#watchers = new ChannelWatchers<undefined>(
      db,
      {
        channels: [SIGNING_KEYS_CHANNEL],
        ...(options.resyncIntervalMs === undefined ? {} : { resyncIntervalMs: options.resyncIntervalMs }),
        ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      },
      () => undefined,
      undefined,
    );
  }

  /**
   * Opens the keys (the schema must be migrated). Throws SECRET_KEY_REQUIRED without a secret key,
   * STORE_IO when the database cannot be reached, STORE_CORRUPT when a private key is sealed with a
   * key this gateway does not have. Private keys sealed with a previous key are sealed again with
   * the current one here.
   */
  static async open(options: PostgresSigningKeyStoreOptions): Promise<PostgresSigningKeyStore> {
    if (options.secrets === undefined) throw secretKeyRequired();
    const owns = typeof options.database === 'string';
    const db =
      typeof options.database === 'string'
        ? PostgresDatabase.fromUrl(options.database, options.limits)
        : options.database;
    const store = new PostgresSigningKeyStore(db, owns, options.secrets, options);
    try {
      await store.#resealOldValues(options.logger);
    } catch (err) {
      if (owns) await db.end();
      throw err;
    }
    return store;
  }

  list(): Promise<SigningKeyRecord[]> {
    return this.#calls.run('read the signing keys', async () => {
      const { rows } = await this.#db.pool.query<KeyRow>(
        `SELECT ${COLUMNS} FROM camgate_signing_keys ORDER BY position`,
      );
      return rows.map((row) => this.#toRecord(row));
    });
  }

  create(record: SigningKeyRecord): Promise<void> {
    return this.#calls.run('add a signing key', () => {
      const problem = signingKeyRecordProblem(record);
      if (problem !== undefined) {
        throw new StoreError(StoreErrorCode.INVALID_RECORD, `invalid signing key: ${problem}`);
      }
      const copy = structuredClone(record);
      const values = [
        copy.id,
        copy.name,
        copy.algorithm,
        JSON.stringify(copy.publicJwk),
        copy.privateJwk === undefined
          ? null
          : this.#secrets.seal(JSON.stringify(copy.privateJwk), sealedContext.signingKey(copy.id)),
        copy.managed,
        copy.createdAt,
      ];
      return this.#calls.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK_ID]);
        const { rows } = await client.query<{ taken: boolean; count: string }>(
          `SELECT EXISTS (SELECT 1 FROM camgate_signing_keys WHERE id = $1) AS taken,
                  (SELECT count(*) FROM camgate_signing_keys WHERE managed = $2) AS count`,
          [copy.id, copy.managed],
        );
        const { taken, count } = rows[0] as { taken: boolean; count: string };
        if (taken) throw duplicate(copy.id);
        // MAX_SIGNING_KEYS of the API's, and the gateway's own: as the file store.
        if (Number(count) >= (copy.managed ? 1 : MAX_SIGNING_KEYS)) throw full(copy.managed);
        try {
          await client.query(
            `INSERT INTO camgate_signing_keys (id, name, algorithm, public_jwk, private_sealed, managed, created_at)
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
            values,
          );
        } catch (err) {
          // A row added by hand (psql, without the lock) since the check.
          const constraint = (err as { code?: unknown; constraint?: unknown }).constraint;
          if ((err as { code?: unknown }).code === '23505') {
            throw constraint === 'camgate_signing_keys_one_managed' ? full(true) : duplicate(copy.id);
          }
          throw err;
        }
      });
    });
  }

  delete(id: string): Promise<boolean> {
    return this.#calls.run('delete a signing key', async () => {
      const deleted = await this.#db.pool.query('DELETE FROM camgate_signing_keys WHERE id = $1', [id]);
      return deleted.rowCount === 1;
    });
  }

  /**
   * Calls `listener` when a key was created, changed or deleted on any node (or with psql), once
   * listening starts, after every reconnection, and every 30 s: list() again then. Returns the
   * unsubscribe function.
   */
  watch(listener: () => void): () => void {
    return this.#watchers.add(() => listener());
  }

  async close(): Promise<void> {
    if (this.#calls.closed) return;
    await this.#calls.close();
    await this.#watchers.close();
    if (this.#ownsDatabase) await this.#db.end();
  }

  #toRecord(row: KeyRow): SigningKeyRecord {
    const where = `signing key ${JSON.stringify(row.id)} in the database`;
    const record = {
      id: row.id,
      name: row.name,
      algorithm: row.algorithm,
      publicJwk: row.public_jwk,
      ...(row.private_sealed === null ? {} : { privateJwk: this.#openPrivate(row.id, row.private_sealed, where) }),
      managed: row.managed,
      createdAt: row.created_at,
    };
    const problem = signingKeyRecordProblem(record);
    if (problem !== undefined) throw new StoreError(StoreErrorCode.CORRUPT, `${where} ${problem}`);
    return record as SigningKeyRecord;
  }

  #openPrivate(id: string, sealed: string, where: string): StoredJwk {
    try {
      const jwk: unknown = JSON.parse(this.#secrets.open(sealed, sealedContext.signingKey(id)));
      if (typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk)) return jwk as StoredJwk;
    } catch (err) {
      if (err instanceof SecretError) {
        throw new StoreError(StoreErrorCode.CORRUPT, `${where} "private_sealed": ${err.message}`);
      }
    }
    throw new StoreError(StoreErrorCode.CORRUPT, `${where} has a "private_sealed" that is not a sealed JWK`);
  }

  /** As the camera store: refuse private keys of an unknown secret key, seal previous keys' again. */
  async #resealOldValues(logger: DatabaseLogger | undefined): Promise<void> {
    let rows: Array<{ id: string; private_sealed: string }>;
    try {
      ({ rows } = await this.#db.pool.query<{ id: string; private_sealed: string }>(
        'SELECT id, private_sealed FROM camgate_signing_keys WHERE private_sealed IS NOT NULL',
      ));
    } catch (err) {
      throw this.#calls.ioError('read the signing keys', err);
    }
    for (const row of rows) {
      const keyId = sealedKeyId(row.private_sealed);
      if (keyId !== undefined && keyId !== this.#secrets.keyId && !this.#secrets.needsReseal(row.private_sealed)) {
        throw new StoreError(
          StoreErrorCode.CORRUPT,
          `signing key ${JSON.stringify(row.id)} in the database ${this.#db.description} is sealed with secret key ${keyId}, which is neither CAMGATE_SECRET_KEY (${this.#secrets.keyId}) nor in CAMGATE_SECRET_KEY_PREVIOUS: set CAMGATE_SECRET_KEY to the key it was written with (the same on every node)`,
        );
      }
    }
    let resealed = 0;
    for (const row of rows) {
      if (!isSealed(row.private_sealed) || !this.#secrets.needsReseal(row.private_sealed)) continue;
      const where = `signing key ${JSON.stringify(row.id)} in the database`;
      const jwk = this.#openPrivate(row.id, row.private_sealed, where);
      try {
        const result = await this.#db.pool.query(
          'UPDATE camgate_signing_keys SET private_sealed = $2 WHERE id = $1 AND private_sealed = $3',
          [row.id, this.#secrets.seal(JSON.stringify(jwk), sealedContext.signingKey(row.id)), row.private_sealed],
        );
        resealed += result.rowCount ?? 0;
      } catch (err) {
        throw this.#calls.ioError('seal a signing key with the current key', err);
      }
    }
    if (resealed > 0) {
      logger?.info(
        { signingKeys: resealed, keyId: this.#secrets.keyId },
        'signing keys sealed with a previous secret key were sealed again with CAMGATE_SECRET_KEY',
      );
    }
  }
}

function duplicate(id: string): StoreError {
  return new StoreError(StoreErrorCode.DUPLICATE_ID, `a signing key with id ${JSON.stringify(id)} exists`);
}

function full(managed: boolean): StoreError {
  return new StoreError(
    StoreErrorCode.FULL,
    managed
      ? 'the gateway keeps one signing key of its own'
      : `the gateway keeps at most ${MAX_SIGNING_KEYS} signing keys`,
  );
}
