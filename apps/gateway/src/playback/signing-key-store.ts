import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError, StoreErrorCode } from '../store/camera-store.js';
import { writeFileDurably, type WriteFailure } from '../store/durable-file.js';
import { isSealed, SecretError, sealedContext, sealedKeyId, type SecretBox } from '../store/secret-box.js';

export const SIGNING_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A JSON Web Key (RFC 7517) as jose exports it: only string members and `key_ops`/`ext`. */
export type StoredJwk = Record<string, unknown>;

/**
 * One key that signs playback tokens. Only the gateway's own key (`managed`) keeps its private
 * part: a key created through the API hands its private part to the caller once and forgets it.
 */
export interface SigningKeyRecord {
  /** The `kid` tokens name in their header. */
  id: string;
  name: string;
  algorithm: SigningAlgorithm;
  publicJwk: StoredJwk;
  /** The gateway's own key (it mints `POST /v1/cameras/:id/playback-tokens`); never shown. */
  privateJwk?: StoredJwk;
  /** True for the gateway's own key. */
  managed: boolean;
  /** ISO 8601 timestamp. */
  createdAt: string;
}

/** Where signing keys are kept: a file in the data directory, or the database every node shares. */
export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>;
  /** Throws STORE_DUPLICATE_ID or STORE_FULL. Resolves once the key is durable. */
  create(record: SigningKeyRecord): Promise<void>;
  /** False when there was no such key. Resolves once the removal is durable. */
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
  /**
   * Calls `listener` when the keys may have changed elsewhere (another node created or deleted
   * one; or periodically, in case a notice was missed): list() again. Returns the unsubscribe
   * function. Optional: a store only this process writes has none.
   */
  watch?(listener: () => void): () => void;
}

export interface FileSigningKeyStoreOptions {
  /**
   * Seals the gateway's own private key in the file (CAMGATE_SECRET_KEY): `privateJwk` holds
   * `sealed:v1:...` instead of the JWK. A file written without a key, or with a previous one, is
   * sealed with the current key at open. Without it, a file with a sealed key does not open.
   */
  secrets?: SecretBox;
}

export const SIGNING_KEYS_FILE_NAME = 'signing-keys.json';
const SCHEMA = 1;
/**
 * 100 keys: rotation needs two or three at a time; each is a few hundred bytes, and a token's `kid`
 * is looked up among them on every first sight of a token.
 */
export const MAX_SIGNING_KEYS = 100;
/** 4 MiB: 100 RSA-4096 key pairs as JWK are about 700 KB; a larger file is not one we wrote. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The signing keys as `<dataDir>/signing-keys.json` (mode 0600: it holds the gateway's own private
 * key), written like the camera registry (tmp file, fsync, rename, fsync the directory), one write
 * at a time; memory changes only after the write succeeded.
 */
export class FileSigningKeyStore implements SigningKeyStore {
  readonly #dir: string;
  readonly #path: string;
  readonly #secrets: SecretBox | undefined;
  #keys: readonly SigningKeyRecord[];
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(dir: string, keys: readonly SigningKeyRecord[], secrets: SecretBox | undefined) {
    this.#dir = dir;
    this.#path = join(dir, SIGNING_KEYS_FILE_NAME);
    this.#keys = keys;
    this.#secrets = secrets;
  }

  /**
   * Rejects with STORE_CORRUPT (the file left alone) when the file is not a key list this version
   * reads, or holds a private key sealed with a key `options.secrets` does not have (the message
   * says to set CAMGATE_SECRET_KEY to the key it was written with).
   */
  static async open(dataDir: string, options: FileSigningKeyStoreOptions = {}): Promise<FileSigningKeyStore> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, SIGNING_KEYS_FILE_NAME);
    const { keys, stored } = await load(path, options.secrets);
    await rm(`${path}.tmp`, { force: true });
    const store = new FileSigningKeyStore(dataDir, keys, options.secrets);
    const { secrets } = options;
    // Once, at open: a private key written without a key (or with the previous one) is sealed now.
    if (secrets !== undefined && stored.some((value) => value !== undefined && secrets.needsReseal(value))) {
      await store.#commit(keys);
    }
    return store;
  }

  list(): Promise<SigningKeyRecord[]> {
    if (this.#closed) return Promise.reject(closed());
    return Promise.resolve(this.#keys.map((key) => structuredClone(key)));
  }

  create(record: SigningKeyRecord): Promise<void> {
    if (this.#closed) return Promise.reject(closed());
    const copy = structuredClone(record);
    return this.#enqueue(async () => {
      if (this.#keys.some((key) => key.id === copy.id)) {
        throw new StoreError(StoreErrorCode.DUPLICATE_ID, `a signing key with id ${JSON.stringify(copy.id)} exists`);
      }
      // MAX_SIGNING_KEYS of the API's, and the gateway's own: keys created at once through the API
      // can never take the place the gateway's own key needs.
      const kept = this.#keys.filter((key) => key.managed === copy.managed).length;
      if (kept >= (copy.managed ? 1 : MAX_SIGNING_KEYS)) {
        throw new StoreError(
          StoreErrorCode.FULL,
          copy.managed
            ? 'the gateway keeps one signing key of its own'
            : `the gateway keeps at most ${MAX_SIGNING_KEYS} signing keys`,
        );
      }
      await this.#commit([...this.#keys, copy]);
    });
  }

  delete(id: string): Promise<boolean> {
    if (this.#closed) return Promise.reject(closed());
    return this.#enqueue(async () => {
      if (!this.#keys.some((key) => key.id === id)) return false;
      await this.#commit(this.#keys.filter((key) => key.id !== id));
      return true;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(operation);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async #commit(next: readonly SigningKeyRecord[]): Promise<void> {
    const text = this.#serialize(next);
    try {
      await writeFileDurably(this.#dir, this.#path, text);
    } catch (err) {
      // A rename that happened before the failure left `next` on disk; write the old list back.
      if ((err as WriteFailure).replaced) {
        await writeFileDurably(this.#dir, this.#path, this.#serialize(this.#keys)).catch(() => undefined);
      }
      const code = ((err as WriteFailure).cause as NodeJS.ErrnoException | undefined)?.code;
      throw new StoreError(StoreErrorCode.IO, `cannot write ${this.#path}${code === undefined ? '' : ` (${code})`}`, {
        cause: err,
      });
    }
    this.#keys = next;
  }

  /** The file's text, private keys sealed when there is a secret key. */
  #serialize(keys: readonly SigningKeyRecord[]): string {
    const secrets = this.#secrets;
    const stored =
      secrets === undefined
        ? keys
        : keys.map((key) =>
            key.privateJwk === undefined
              ? key
              : { ...key, privateJwk: secrets.seal(JSON.stringify(key.privateJwk), sealedContext.signingKey(key.id)) },
          );
    return `${JSON.stringify({ schema: SCHEMA, keys: stored }, null, 2)}\n`;
  }
}

/**
 * The keys in `<dataDir>/signing-keys.json`, private parts opened, without changing anything:
 * what `camgate db import` copies. Rejects like {@link FileSigningKeyStore.open}.
 */
export async function readSigningKeys(
  dataDir: string,
  options: FileSigningKeyStoreOptions = {},
): Promise<SigningKeyRecord[]> {
  return (await load(join(dataDir, SIGNING_KEYS_FILE_NAME), options.secrets)).keys;
}

/** The keys (private parts opened) and each one's `privateJwk` as the file holds it (for re-sealing). */
async function load(
  path: string,
  secrets: SecretBox | undefined,
): Promise<{ keys: SigningKeyRecord[]; stored: Array<string | undefined> }> {
  let text: string;
  try {
    const data = await readFile(path);
    if (data.length > MAX_FILE_BYTES) throw corrupt(path, `is larger than ${MAX_FILE_BYTES} bytes`);
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [], stored: [] };
    throw corrupt(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'not UTF-8'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text around the error, which may be a private key.
    throw corrupt(path, 'is not valid JSON');
  }
  const file = parsed as { schema?: unknown; keys?: unknown } | null;
  if (file?.schema !== SCHEMA || !Array.isArray(file.keys)) {
    throw corrupt(path, `is not a signing key list of schema ${SCHEMA}`);
  }
  if (file.keys.length > MAX_SIGNING_KEYS + 1) throw corrupt(path, `holds more than ${MAX_SIGNING_KEYS + 1} keys`);
  const stored: Array<string | undefined> = [];
  const keys = file.keys.map((value: unknown, index) => {
    const opened = openPrivateJwk(path, index, value, secrets);
    stored.push(opened.stored);
    const problem = signingKeyRecordProblem(opened.value);
    if (problem !== undefined) throw corrupt(path, `keys[${index}] ${problem}`);
    return opened.value as SigningKeyRecord;
  });
  return { keys, stored };
}

/**
 * A key from the file with its `privateJwk` opened when sealed; `stored` is the sealed text, or
 * `plain` for a JWK in the clear (then to be sealed when there is a secret key).
 */
function openPrivateJwk(
  path: string,
  index: number,
  value: unknown,
  secrets: SecretBox | undefined,
): { value: unknown; stored: string | undefined } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { value, stored: undefined };
  const key = value as Record<string, unknown>;
  const sealed = key['privateJwk'];
  if (sealed === undefined) return { value, stored: undefined };
  if (typeof sealed !== 'string' || !isSealed(sealed)) return { value, stored: 'plain' };
  if (typeof key['id'] !== 'string') return { value, stored: undefined };
  if (secrets === undefined) {
    const keyId = sealedKeyId(sealed);
    throw corrupt(
      path,
      `keys[${index}] has its "privateJwk" sealed with a secret key${keyId === undefined ? '' : ` (${keyId})`} and CAMGATE_SECRET_KEY is not set: set CAMGATE_SECRET_KEY to the key it was written with`,
    );
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(secrets.open(sealed, sealedContext.signingKey(key['id'])));
  } catch (err) {
    if (err instanceof SecretError) throw corrupt(path, `keys[${index}] "privateJwk": ${err.message}`);
    // Sealed by us, so JSON: this is not reachable unless the key itself was forged.
    throw corrupt(path, `keys[${index}] "privateJwk" is not a JWK`);
  }
  return { value: { ...key, privateJwk: jwk }, stored: sealed };
}

/** Why `value` is not a stored signing key; names fields, never quotes values (they are key material). */
export function signingKeyRecordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not an object';
  const key = value as Partial<Record<keyof SigningKeyRecord, unknown>>;
  if (typeof key.id !== 'string' || !SIGNING_KEY_ID.test(key.id)) return '"id" is not a key id';
  if (typeof key.name !== 'string') return '"name" must be a string';
  if (!(SIGNING_ALGORITHMS as readonly unknown[]).includes(key.algorithm)) return '"algorithm" is not ES256 or RS256';
  if (!isJwk(key.publicJwk)) return '"publicJwk" must be a JWK';
  if (key.privateJwk !== undefined && !isJwk(key.privateJwk)) return '"privateJwk" must be a JWK';
  if (typeof key.managed !== 'boolean') return '"managed" must be a boolean';
  // The gateway's own key signs: without its private part it is no key at all.
  if (key.managed && key.privateJwk === undefined) return 'is the gateway\'s own key without "privateJwk"';
  if (typeof key.createdAt !== 'string' || Number.isNaN(Date.parse(key.createdAt))) return '"createdAt" is not a time';
  return undefined;
}

/** Key ids: what the gateway makes (22 base64url characters) and what clients may send in `kid`. */
export const SIGNING_KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

function isJwk(value: unknown): value is StoredJwk {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as StoredJwk)['kty'] === 'string'
  );
}

function corrupt(path: string, problem: string): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, `signing keys ${path} ${problem}`);
}

function closed(): StoreError {
  return new StoreError(StoreErrorCode.CLOSED, 'the signing key store is closed');
}
