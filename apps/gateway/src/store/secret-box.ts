import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { CodedError } from '@camgate/bits';

export const SecretErrorCode = {
  /** CAMGATE_SECRET_KEY (or one of CAMGATE_SECRET_KEY_PREVIOUS) is not a key: 32 random bytes as hex or base64. */
  INVALID_KEY: 'SECRET_INVALID_KEY',
  /** A setting that needs camera credentials encrypted (a database) was given without CAMGATE_SECRET_KEY. */
  KEY_REQUIRED: 'SECRET_KEY_REQUIRED',
  /** The value was sealed with a key this gateway does not have: give it the key it was written with. */
  WRONG_KEY: 'SECRET_WRONG_KEY',
  /** The value names a key this gateway has but does not open with it: changed, or moved from another field. */
  TAMPERED: 'SECRET_TAMPERED',
  /** The value is not a sealed value this version reads. */
  MALFORMED: 'SECRET_MALFORMED',
} as const;
export type SecretErrorCode = (typeof SecretErrorCode)[keyof typeof SecretErrorCode];

/** Errors of the secret box: they name keys by their id, never show a key or a plaintext. */
export class SecretError extends CodedError<SecretErrorCode> {}

/** 32 bytes: AES-256. */
export const SECRET_KEY_BYTES = 32;
/** 12 bytes, random per seal: GCM's native nonce size; 2^32 seals per key stay far below the collision bound. */
const IV_BYTES = 12;
/** 16 bytes: GCM's full tag (shorter tags weaken the integrity check). */
const TAG_BYTES = 16;
/** What every sealed value starts with; v1 is AES-256-GCM as described at {@link SecretBox}. */
const SEALED_PREFIX = 'sealed:';
const VERSION = 'v1';
/** 8 hex characters of SHA-256 of the key: tells keys apart in values and errors, reveals nothing of the key. */
const KEY_ID = /^[0-9a-f]{8}$/;
/**
 * 1 MiB: what the gateway seals is a camera URL (a few hundred bytes) or a private JWK (an RSA-16384
 * one is about 20 KB). A longer value is not one we wrote, and is refused before it is decoded.
 */
export const MAX_SEALED_CHARS = 1024 * 1024;

/** The command that prints a new key, quoted in every error about a missing or bad key. */
export const SECRET_KEYGEN_COMMAND = 'camgate keygen --secret';
const HOW_TO_MAKE = `make one with \`${SECRET_KEYGEN_COMMAND}\` (32 random bytes as base64url) and keep it in your secret store`;

interface Key {
  id: string;
  bytes: Buffer;
}

/**
 * Encrypts secrets at rest (camera URLs with their passwords, the gateway's private signing key)
 * with AES-256-GCM under CAMGATE_SECRET_KEY.
 *
 * A sealed value is text, so it fits where the plain value was:
 * `sealed:v1:<key id>:<base64url(iv | ciphertext | tag)>`, the key id being the first 8 hex digits
 * of SHA-256 of the key. The IV is random for every seal. The associated data binds the value to
 * what it is (`context`, e.g. `camera:<id>:url`) and to its header, so a sealed URL pasted onto
 * another camera, or a header edited, does not open.
 *
 * Rotation: new seals always use the current key; `previous` keys (CAMGATE_SECRET_KEY_PREVIOUS)
 * still open what they sealed, and {@link needsReseal} tells the stores which values to seal again
 * with the current key (they do it at start, see FileCameraStore and PostgresCameraStore).
 */
export class SecretBox {
  readonly #current: Key;
  readonly #keys: readonly Key[];

  private constructor(current: Key, previous: readonly Key[]) {
    this.#current = current;
    this.#keys = [current, ...previous];
  }

  /** A box from raw keys (32 bytes each): the current one first, then keys that only open. */
  static fromKeys(current: Uint8Array, previous: readonly Uint8Array[] = []): SecretBox {
    return new SecretBox(
      toKey(current, 'the secret key'),
      previous.map((bytes) => toKey(bytes, 'a previous key')),
    );
  }

  /**
   * The box CAMGATE_SECRET_KEY and CAMGATE_SECRET_KEY_PREVIOUS (a comma-separated list) describe,
   * or undefined when CAMGATE_SECRET_KEY is unset or empty. Throws SECRET_INVALID_KEY, naming the
   * variable and never quoting its value, when one is not a key.
   */
  static fromEnv(env: NodeJS.ProcessEnv): SecretBox | undefined {
    return SecretBox.fromSettings(env['CAMGATE_SECRET_KEY'] ?? '', env['CAMGATE_SECRET_KEY_PREVIOUS'] ?? '');
  }

  /** {@link fromEnv} from the two settings' text (the gateway's config `secretKey` and `secretKeyPrevious`). */
  static fromSettings(secretKey: string, secretKeyPrevious = ''): SecretBox | undefined {
    const current = secretKey.trim();
    const previous = secretKeyPrevious
      .split(',')
      .map((text) => text.trim())
      .filter((text) => text !== '');
    if (current === '') {
      if (previous.length > 0) {
        throw new SecretError(
          SecretErrorCode.INVALID_KEY,
          'CAMGATE_SECRET_KEY_PREVIOUS is set but CAMGATE_SECRET_KEY is not: set CAMGATE_SECRET_KEY to the key new values are sealed with',
        );
      }
      return undefined;
    }
    return SecretBox.fromKeys(
      parseSecretKey(current, 'CAMGATE_SECRET_KEY'),
      previous.map((text, index) => parseSecretKey(text, `CAMGATE_SECRET_KEY_PREVIOUS (key ${index + 1})`)),
    );
  }

  /** The current key's id (8 hex digits): what new values are sealed with. */
  get keyId(): string {
    return this.#current.id;
  }

  /** `plaintext` sealed with the current key for `context` (where it is stored, e.g. `camera:<id>:url`). */
  seal(plaintext: string, context: string): string {
    const header = `${SEALED_PREFIX}${VERSION}:${this.#current.id}:`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.bytes, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, context));
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${header}${body.toString('base64url')}`;
  }

  /**
   * The plaintext of a value {@link seal} made for the same `context`. Throws a {@link SecretError}
   * (SECRET_MALFORMED, SECRET_WRONG_KEY or SECRET_TAMPERED) and nothing else, whatever `sealed` is.
   */
  open(sealed: string, context: string): string {
    const { header, keyId, body } = parseSealed(sealed);
    const candidates = this.#keys.filter((key) => key.id === keyId);
    if (candidates.length === 0) {
      throw new SecretError(
        SecretErrorCode.WRONG_KEY,
        `sealed with secret key ${keyId}, which is neither CAMGATE_SECRET_KEY (${this.#current.id}) nor in CAMGATE_SECRET_KEY_PREVIOUS: set CAMGATE_SECRET_KEY to the key it was written with`,
      );
    }
    const iv = body.subarray(0, IV_BYTES);
    const ciphertext = body.subarray(IV_BYTES, body.length - TAG_BYTES);
    const tag = body.subarray(body.length - TAG_BYTES);
    // Two keys may share an id (1 in 4 billion): each is tried; GCM's tag tells the right one.
    for (const key of candidates) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.bytes, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(associatedData(header, context));
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
        return new TextDecoder('utf-8', { fatal: true }).decode(plain);
      } catch {
        // Tried below as tampering; the crypto error is not passed on (it says nothing useful).
      }
    }
    throw new SecretError(
      SecretErrorCode.TAMPERED,
      `does not open with secret key ${keyId}: it was changed, or copied from another place than ${JSON.stringify(context)}`,
    );
  }

  /**
   * True when `stored` should be sealed again with the current key: it is plain (written before a
   * key was set) or sealed with a previous key. Values sealed with an unknown key are not: they do
   * not open, and the stores report them instead.
   */
  needsReseal(stored: string): boolean {
    if (!isSealed(stored)) return true;
    const keyId = sealedKeyId(stored);
    return keyId !== undefined && keyId !== this.#current.id && this.#keys.some((key) => key.id === keyId);
  }
}

/**
 * What each sealed value is bound to (its associated data): a value copied to another place does
 * not open there.
 */
export const sealedContext = {
  /** A camera's RTSP URL, with its credentials. */
  cameraUrl: (cameraId: string) => `camera:${cameraId}:url`,
  /** The private JWK of a signing key (the gateway's own). */
  signingKey: (keyId: string) => `signing-key:${keyId}`,
};

/** True when `value` is a sealed value (of any version), as opposed to a plain one. */
export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** The id of the key a sealed value names, or undefined when it is not a sealed v1 value. */
export function sealedKeyId(value: string): string | undefined {
  try {
    return parseSealed(value).keyId;
  } catch {
    return undefined;
  }
}

/**
 * 32 bytes from what a person puts in CAMGATE_SECRET_KEY: 64 hex digits, or base64 / base64url
 * (43 characters, or 44 with the `=` padding). `name` says where the text came from, for the error.
 */
export function parseSecretKey(text: string, name = 'CAMGATE_SECRET_KEY'): Buffer {
  const value = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) {
    bytes = Buffer.from(value, 'hex');
  } else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const canonical = value.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const decoded = Buffer.from(canonical, 'base64url');
    // Canonical only: the last character carries 2 unused bits, which must be zero.
    if (decoded.length === SECRET_KEY_BYTES && decoded.toString('base64url') === canonical) bytes = decoded;
  }
  if (bytes === undefined) {
    throw new SecretError(
      SecretErrorCode.INVALID_KEY,
      `${name} is not a secret key: it must be 32 random bytes as 64 hex digits or 43 base64url characters; ${HOW_TO_MAKE}`,
    );
  }
  if (bytes.every((byte) => byte === bytes[0])) {
    throw new SecretError(
      SecretErrorCode.INVALID_KEY,
      `${name} is not random (every byte is the same): ${HOW_TO_MAKE}`,
    );
  }
  return bytes;
}

/** A new secret key for CAMGATE_SECRET_KEY: 32 bytes from the system's CSPRNG, base64url. */
export function generateSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString('base64url');
}

/**
 * The startup error for a setting that stores credentials where they must be encrypted (a database)
 * without CAMGATE_SECRET_KEY. `what` names the setting: `CAMGATE_DATABASE_URL is set`.
 */
export function secretKeyRequired(what = 'CAMGATE_DATABASE_URL is set'): SecretError {
  return new SecretError(
    SecretErrorCode.KEY_REQUIRED,
    `${what} but CAMGATE_SECRET_KEY is not: camera passwords and the gateway's signing key are stored encrypted with it. Set CAMGATE_SECRET_KEY (${HOW_TO_MAKE}); every node of one database needs the same key`,
  );
}

function toKey(bytes: Uint8Array, what: string): Key {
  if (bytes.length !== SECRET_KEY_BYTES) {
    throw new SecretError(SecretErrorCode.INVALID_KEY, `${what} must be ${SECRET_KEY_BYTES} bytes; ${HOW_TO_MAKE}`);
  }
  const copy = Buffer.from(bytes);
  return { id: createHash('sha256').update(copy).digest('hex').slice(0, 8), bytes: copy };
}

/** The header binds the version and key id; the context binds where the value belongs. */
function associatedData(header: string, context: string): Buffer {
  return Buffer.from(`${header}${context}`, 'utf8');
}

function parseSealed(sealed: string): { header: string; keyId: string; body: Buffer } {
  if (typeof sealed !== 'string' || !sealed.startsWith(SEALED_PREFIX)) {
    throw malformed('is not a sealed value');
  }
  if (sealed.length > MAX_SEALED_CHARS) throw malformed(`is longer than ${MAX_SEALED_CHARS} characters`);
  const parts = sealed.split(':');
  const version = parts[1];
  if (version !== VERSION) {
    throw malformed(
      /^v\d+$/.test(version ?? '')
        ? `was sealed by a newer camgate (format ${version ?? ''}; this version reads ${VERSION}): upgrade camgate`
        : 'is not a sealed value this version reads',
    );
  }
  const [, , keyId, encoded] = parts;
  if (parts.length !== 4 || keyId === undefined || encoded === undefined || !KEY_ID.test(keyId)) {
    throw malformed('is not a sealed value this version reads');
  }
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw malformed('has a body that is not base64url');
  const body = Buffer.from(encoded, 'base64url');
  if (body.length < IV_BYTES + TAG_BYTES) throw malformed('is too short to be sealed');
  return { header: `${SEALED_PREFIX}${VERSION}:${keyId}:`, keyId, body };
}

function malformed(problem: string): SecretError {
  return new SecretError(SecretErrorCode.MALFORMED, `the value ${problem}`);
}
