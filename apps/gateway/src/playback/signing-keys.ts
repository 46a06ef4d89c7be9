import { randomBytes } from 'node:crypto';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importJWK, importSPKI, type CryptoKey } from 'jose';
import { isCodedError } from '@camgate/bits';
import { errors } from '../errors.js';
import { StoreError, StoreErrorCode } from '../store/camera-store.js';
import {
  MAX_SIGNING_KEYS,
  type SigningAlgorithm,
  type SigningKeyRecord,
  type SigningKeyStore,
  type StoredJwk,
} from './signing-key-store.js';

/** 2048-bit RSA: what RS256 signers (Mux, Cloudflare) use; verifying costs a fraction of signing. */
const RSA_MODULUS_BITS = 2048;
/** RSA keys imported for RS256 must have at least 2048 bits (NIST SP 800-131A). */
const MIN_RSA_MODULUS_BITS = 2048;
/** 16,384-bit RSA at most: a larger key makes every verification a denial of service. */
const MAX_RSA_MODULUS_BITS = 16_384;

/** A signing key as the API shows it: the public part only. */
export interface SigningKeyView {
  id: string;
  name: string;
  algorithm: SigningAlgorithm;
  /** The gateway's own key, which mints tokens for `POST /v1/cameras/:id/playback-tokens`. */
  managed: boolean;
  createdAt: string;
  publicKey: string;
  publicJwk: StoredJwk;
}

/** What `create()` returns: the key, and for a key pair made here, its private part (shown once). */
export interface CreatedSigningKey extends SigningKeyView {
  /** PKCS#8 PEM; absent when the caller brought its own public key. */
  privateKey?: string;
}

interface LoadedKey {
  record: SigningKeyRecord;
  publicKey: CryptoKey;
  publicPem: string;
  privateKey?: CryptoKey;
}

/**
 * The keys playback tokens are checked against (and the gateway's own, which mints tokens). Keys
 * are imported once, at open and at creation: a token's first check costs one signature
 * verification, never a key import.
 */
export class SigningKeys {
  readonly #store: SigningKeyStore;
  readonly #keys = new Map<string, LoadedKey>();
  readonly #now: () => Date;
  readonly #revoked = new Set<(id: string) => void>();
  readonly #added = new Set<(id: string) => void>();
  #managed: Promise<LoadedKey> | undefined;
  /** The re-read in progress (keys changed on another node), and whether another is due after it. */
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  #unwatch: (() => void) | undefined;

  private constructor(store: SigningKeyStore, now: () => Date) {
    this.#store = store;
    this.#now = now;
  }

  static async open(store: SigningKeyStore, now: () => Date = () => new Date()): Promise<SigningKeys> {
    const keys = new SigningKeys(store, now);
    for (const record of await store.list()) keys.#keys.set(record.id, await loadChecked(record));
    // Shared keys (a cluster): a key created or deleted on another node counts here within a second.
    keys.#unwatch = store.watch?.(() => void keys.reload());
    return keys;
  }

  /**
   * Reads the keys again: a key another node created is accepted, one it deleted is revoked here
   * too (its tokens refused at once). Called on the store's notices; overlapping calls coalesce.
   */
  reload(): Promise<void> {
    if (this.#reloading !== undefined) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = this.#reloadNow()
      .catch(() => undefined)
      .finally(() => {
        this.#reloading = undefined;
        if (this.#reloadAgain) {
          this.#reloadAgain = false;
          void this.reload();
        }
      });
    return this.#reloading;
  }

  async #reloadNow(): Promise<void> {
    const records = await this.#store.list();
    const seen = new Set(records.map((record) => record.id));
    for (const record of records) {
      if (this.#keys.has(record.id)) continue;
      try {
        this.#keys.set(record.id, await loadChecked(record));
      } catch {
        // Not a key this gateway reads: left out (the node that wrote it checked it).
        continue;
      }
      this.#announce(record.id);
    }
    for (const [id, key] of [...this.#keys]) {
      if (seen.has(id)) continue;
      this.#keys.delete(id);
      if (key.record.managed) this.#managed = undefined;
      for (const listener of this.#revoked) listener(id);
    }
  }

  list(): SigningKeyView[] {
    return [...this.#keys.values()].map(view);
  }

  get(id: string): SigningKeyView | undefined {
    const key = this.#keys.get(id);
    return key === undefined ? undefined : view(key);
  }

  /** The key a token names, if the gateway has it and it is for `algorithm`. */
  verificationKey(id: string, algorithm: string): CryptoKey | undefined {
    const key = this.#keys.get(id);
    // The header's algorithm must be the key's: no RS/ES (or HS) confusion (S07).
    return key?.record.algorithm === algorithm ? key.publicKey : undefined;
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** Called with a key's id once it is deleted: tokens it signed are revoked. */
  onRevoked(listener: (id: string) => void): () => void {
    this.#revoked.add(listener);
    return () => this.#revoked.delete(listener);
  }

  /**
   * Called with a key's id once it is known here: created through this gateway, the gateway's own
   * made here, or learned from another node (reload). A token refused a moment ago may now be valid.
   */
  onAdded(listener: (id: string) => void): () => void {
    this.#added.add(listener);
    return () => this.#added.delete(listener);
  }

  #announce(id: string): void {
    for (const listener of this.#added) listener(id);
  }

  /**
   * A new key: a pair made here (the private part returned once, never kept), or the public key a
   * client brings (PEM or JWK) whose private part never leaves its owner.
   */
  async create(input: {
    algorithm?: SigningAlgorithm;
    name?: string;
    publicKey?: string | StoredJwk;
  }): Promise<CreatedSigningKey> {
    if (this.#external() >= MAX_SIGNING_KEYS) throw errors.signingKeyLimit(MAX_SIGNING_KEYS);
    const algorithm = input.algorithm ?? 'ES256';
    let publicKey: CryptoKey;
    let privatePem: string | undefined;
    if (input.publicKey === undefined) {
      const pair = await generate(algorithm);
      publicKey = pair.publicKey;
      privatePem = await exportPKCS8(pair.privateKey);
    } else {
      publicKey = await importPublicKey(input.publicKey, algorithm);
    }
    const record: SigningKeyRecord = {
      id: newKeyId(),
      name: input.name ?? '',
      algorithm,
      publicJwk: await exportJWK(publicKey),
      managed: false,
      createdAt: this.#now().toISOString(),
    };
    await this.#write(() => this.#store.create(record));
    const loaded = await load(record);
    this.#keys.set(record.id, loaded);
    this.#announce(record.id);
    return { ...view(loaded), ...(privatePem === undefined ? {} : { privateKey: privatePem }) };
  }

  /** Deletes a key; every token it signed is refused from then on. Deleting the gateway's own key rotates it. */
  async delete(id: string): Promise<boolean> {
    if (!this.#keys.has(id)) return false;
    const deleted = await this.#write(() => this.#store.delete(id));
    if (!deleted) return false;
    const key = this.#keys.get(id);
    this.#keys.delete(id);
    if (key?.record.managed === true) this.#managed = undefined;
    for (const listener of this.#revoked) listener(id);
    return true;
  }

  /** The gateway's own signing key, made (and saved) the first time it is needed. */
  managedKey(): Promise<{ id: string; algorithm: SigningAlgorithm; privateKey: CryptoKey }> {
    this.#managed ??= this.#loadManaged().catch((err: unknown) => {
      this.#managed = undefined;
      throw err;
    });
    return this.#managed.then((key) => ({
      id: key.record.id,
      algorithm: key.record.algorithm,
      privateKey: key.privateKey as CryptoKey,
    }));
  }

  close(): Promise<void> {
    this.#unwatch?.();
    return this.#store.close();
  }

  async #loadManaged(): Promise<LoadedKey> {
    for (const key of this.#keys.values()) if (key.record.managed && key.privateKey !== undefined) return key;
    const pair = await generate('ES256');
    const record: SigningKeyRecord = {
      id: newKeyId(),
      name: 'camgate (mints playback tokens)',
      algorithm: 'ES256',
      publicJwk: await exportJWK(pair.publicKey),
      privateJwk: await exportJWK(pair.privateKey),
      managed: true,
      createdAt: this.#now().toISOString(),
    };
    try {
      await this.#write(() => this.#store.create(record));
    } catch (err) {
      // Another node made the gateway's own key first (one per cluster): use that one.
      await this.#reloadNow();
      for (const key of this.#keys.values()) if (key.record.managed && key.privateKey !== undefined) return key;
      throw err;
    }
    const loaded = await load(record);
    this.#keys.set(record.id, loaded);
    this.#announce(record.id);
    return loaded;
  }

  #external(): number {
    let count = 0;
    for (const key of this.#keys.values()) if (!key.record.managed) count++;
    return count;
  }

  async #write<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (isCodedError(err, StoreErrorCode.FULL)) throw errors.signingKeyLimit(MAX_SIGNING_KEYS);
      if (isCodedError(err)) throw errors.storeUnavailable('the signing keys');
      throw err;
    }
  }
}

function view(key: LoadedKey): SigningKeyView {
  const { record } = key;
  return {
    id: record.id,
    name: record.name,
    algorithm: record.algorithm,
    managed: record.managed,
    createdAt: record.createdAt,
    publicKey: key.publicPem,
    publicJwk: { ...publicMembers(record.publicJwk), kid: record.id, alg: record.algorithm, use: 'sig' },
  };
}

/** Only the public members of a JWK (RFC 7518 §6.2.1, §6.3.1): never `d`, `p`, `q`, ... */
function publicMembers(jwk: StoredJwk): StoredJwk {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined));
}

/** {@link load}, a key that does not load being a corrupt store (named, never quoted: it is key material). */
async function loadChecked(record: SigningKeyRecord): Promise<LoadedKey> {
  try {
    return await load(record);
  } catch {
    throw new StoreError(
      StoreErrorCode.CORRUPT,
      `signing key ${JSON.stringify(record.id)} is not a ${record.algorithm} key the gateway can read`,
    );
  }
}

async function load(record: SigningKeyRecord): Promise<LoadedKey> {
  const publicKey = (await importJWK(publicMembers(record.publicJwk), record.algorithm, {
    extractable: true,
  })) as CryptoKey;
  const loaded: LoadedKey = { record, publicKey, publicPem: await exportSPKI(publicKey) };
  if (record.privateJwk !== undefined) {
    loaded.privateKey = (await importJWK(record.privateJwk, record.algorithm)) as CryptoKey;
  }
  return loaded;
}

function generate(algorithm: SigningAlgorithm) {
  return generateKeyPair(algorithm, {
    extractable: true,
    ...(algorithm === 'RS256' ? { modulusLength: RSA_MODULUS_BITS } : {}),
  });
}

/**
 * A client's public key for `algorithm`: SPKI PEM or a JWK. A private key is refused (it must not
 * be sent anywhere); the error never quotes what was sent.
 */
async function importPublicKey(input: string | StoredJwk, algorithm: SigningAlgorithm): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    if (typeof input === 'string') {
      if (input.includes('PRIVATE KEY-----'))
        throw errors.invalidSigningKey('this is a private key: send the public key only');
      key = await importSPKI(input.trim(), algorithm, { extractable: true });
    } else {
      if ('d' in input) throw errors.invalidSigningKey('this JWK holds a private key: send the public members only');
      key = (await importJWK(publicMembers(input), algorithm, { extractable: true })) as CryptoKey;
    }
  } catch (err) {
    if (isCodedError(err)) throw err;
    throw errors.invalidSigningKey(
      `not a ${algorithm === 'ES256' ? 'P-256 EC' : 'RSA'} public key (SPKI PEM or JWK) for ${algorithm}`,
    );
  }
  if (key.type !== 'public') throw errors.invalidSigningKey('send the public key only');
  if (algorithm === 'RS256') {
    const bits = (key.algorithm as { modulusLength?: number }).modulusLength ?? 0;
    if (bits < MIN_RSA_MODULUS_BITS || bits > MAX_RSA_MODULUS_BITS) {
      throw errors.invalidSigningKey(
        `RSA keys need ${MIN_RSA_MODULUS_BITS} to ${MAX_RSA_MODULUS_BITS} bits, not ${bits}`,
      );
    }
    // A public exponent of 1 (or any even one) makes "signatures" anyone can compute: only an odd
    // exponent of at least 65537 (what every RSA library makes) and an odd modulus (a product of
    // two odd primes) are keys.
    const { n, e } = await exportJWK(key);
    const modulus = Buffer.from(String(n), 'base64url');
    const exponent = BigInt(`0x${Buffer.from(String(e), 'base64url').toString('hex') || '0'}`);
    if (exponent < 65_537n || exponent % 2n === 0n || ((modulus.at(-1) ?? 0) & 1) === 0) {
      throw errors.invalidSigningKey('not a usable RSA public key (its exponent must be odd and at least 65537)');
    }
  }
  return key;
}

/** 128 random bits, base64url: key ids cannot be guessed or collide. */
function newKeyId(): string {
  return randomBytes(16).toString('base64url');
}
