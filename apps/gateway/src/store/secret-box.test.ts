import { randomBytes } from 'node:crypto';
import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateSecretKey,
  isSealed,
  MAX_SEALED_CHARS,
  parseSecretKey,
  SecretBox,
  SecretError,
  SecretErrorCode,
  secretKeyRequired,
  sealedKeyId,
} from './secret-box.js';

/** What the box keeps secret: no error message may contain it. */
const PLAINTEXT = 'rtsp://admin:s3cret-pw@192.0.2.10:554/stream1';
const KEY = Buffer.alloc(32, 0).map((_, i) => i + 1);
const OTHER_KEY = Buffer.alloc(32, 0).map((_, i) => 200 - i);

/** Every way the key could show up in a message. */
function keyForms(key: Uint8Array): string[] {
  const bytes = Buffer.from(key);
  return [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
}

/** Throws `code`, as a SecretError, with a message that holds neither the plaintext nor a key. */
function expectSecretError(run: () => unknown, code: SecretErrorCode): SecretError {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SecretError);
  const err = caught as SecretError;
  expect(err.code).toBe(code);
  for (const secret of [PLAINTEXT, ...keyForms(KEY), ...keyForms(OTHER_KEY)]) expect(err.message).not.toContain(secret);
  return err;
}

describe('parseSecretKey', () => {
  const key = randomBytes(32);
  it.each<[string, string]>([
    ['64 hex digits', key.toString('hex')],
    ['64 hex digits in capitals', key.toString('hex').toUpperCase()],
    ['43 base64url characters', key.toString('base64url')],
    ['44 base64 characters with padding', key.toString('base64')],
    ['43 base64 characters without padding', key.toString('base64').replace(/=$/, '')],
    ['surrounded by whitespace (a line from a file)', ` ${key.toString('base64url')}\n`],
  ])('accepts %s', (_name, text) => {
    expect(parseSecretKey(text)).toEqual(key);
  });

  const canonical = key.toString('base64url');
  // The last character of 43 carries 2 unused bits: set one, and it decodes to the same key.
  const lastIndex = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(canonical.at(-1)!);
  const nonCanonical = `${canonical.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[lastIndex | 1]!}`;
  it.each<[string, string]>([
    ['empty', ''],
    ['a passphrase', 'correct horse battery staple, really long one'],
    ['63 hex digits', key.toString('hex').slice(1)],
    ['65 hex digits', `${key.toString('hex')}0`],
    ['16 bytes of base64url (AES-128)', randomBytes(16).toString('base64url')],
    ['48 bytes of base64', randomBytes(48).toString('base64')],
    ['base64 with a character outside the alphabet', `${canonical.slice(0, -1)}!`],
    ['base64 that is not canonical', nonCanonical],
    ['the same byte 32 times', '00'.repeat(32)],
    ['the same byte 32 times in base64url', Buffer.alloc(32, 7).toString('base64url')],
  ])('refuses %s with SECRET_INVALID_KEY, saying how to make one', (_name, text) => {
    const err = expectSecretError(() => parseSecretKey(text, 'CAMGATE_SECRET_KEY'), SecretErrorCode.INVALID_KEY);
    expect(err.message).toContain('CAMGATE_SECRET_KEY');
    expect(err.message).toContain('camgate keygen --secret');
    if (text.length > 8) expect(err.message).not.toContain(text.trim());
  });

  it('accepts what generateSecretKey makes, never the same twice', () => {
    const keys = Array.from({ length: 50 }, generateSecretKey);
    expect(new Set(keys).size).toBe(50);
    for (const text of keys) expect(parseSecretKey(text)).toHaveLength(32);
  });
});

describe('SecretBox.fromEnv', () => {
  const current = randomBytes(32);
  const previous = [randomBytes(32), randomBytes(32)];

  it('is undefined without CAMGATE_SECRET_KEY (the file store then writes plain values, as before)', () => {
    expect(SecretBox.fromEnv({})).toBeUndefined();
    expect(SecretBox.fromEnv({ CAMGATE_SECRET_KEY: '  ' })).toBeUndefined();
  });

  it('seals with CAMGATE_SECRET_KEY and opens with it and with every CAMGATE_SECRET_KEY_PREVIOUS', () => {
    const box = SecretBox.fromEnv({
      CAMGATE_SECRET_KEY: current.toString('hex'),
      CAMGATE_SECRET_KEY_PREVIOUS: ` ${previous[0]!.toString('base64url')} ,${previous[1]!.toString('base64')},`,
    })!;
    expect(box.keyId).toBe(SecretBox.fromKeys(current).keyId);
    for (const key of previous) {
      const old = SecretBox.fromKeys(key).seal(PLAINTEXT, 'camera:a:url');
      expect(box.open(old, 'camera:a:url')).toBe(PLAINTEXT);
    }
    expect(sealedKeyId(box.seal(PLAINTEXT, 'camera:a:url'))).toBe(box.keyId);
  });

  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['a bad current key', { CAMGATE_SECRET_KEY: 'hunter2' }, 'CAMGATE_SECRET_KEY'],
    [
      'a bad previous key',
      {
        CAMGATE_SECRET_KEY: current.toString('hex'),
        CAMGATE_SECRET_KEY_PREVIOUS: `${previous[0]!.toString('hex')},nope`,
      },
      'CAMGATE_SECRET_KEY_PREVIOUS (key 2)',
    ],
    [
      'previous keys without a current one',
      { CAMGATE_SECRET_KEY_PREVIOUS: previous[0]!.toString('hex') },
      'CAMGATE_SECRET_KEY',
    ],
  ])('refuses %s with SECRET_INVALID_KEY naming the variable', (_name, env, named) => {
    const err = expectSecretError(() => SecretBox.fromEnv(env), SecretErrorCode.INVALID_KEY);
    expect(err.message).toContain(named);
    for (const key of [current, ...previous]) for (const form of keyForms(key)) expect(err.message).not.toContain(form);
  });
});

describe('SecretBox', () => {
  const box = SecretBox.fromKeys(KEY);

  it('seals as sealed:v1:<key id>:<base64url>, opens to the plaintext, and never seals the same way twice', () => {
    const sealed = box.seal(PLAINTEXT, 'camera:a:url');
    expect(sealed).toMatch(/^sealed:v1:[0-9a-f]{8}:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('s3cret');
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed(PLAINTEXT)).toBe(false);
    expect(box.open(sealed, 'camera:a:url')).toBe(PLAINTEXT);
    expect(box.seal(PLAINTEXT, 'camera:a:url')).not.toBe(sealed);
  });

  it.each(['', 'ünïcødé 📷', 'x'.repeat(100_000)])('round-trips any text (%#)', (text) => {
    expect(box.open(box.seal(text, 'ctx'), 'ctx')).toBe(text);
  });

  it('names the key by the first 8 hex digits of its SHA-256, the same for the same key', () => {
    expect(box.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(SecretBox.fromKeys(Buffer.from(KEY)).keyId).toBe(box.keyId);
    expect(SecretBox.fromKeys(OTHER_KEY).keyId).not.toBe(box.keyId);
  });

  it('refuses a value moved to another place (another camera, another field) with SECRET_TAMPERED', () => {
    const sealed = box.seal(PLAINTEXT, 'camera:a:url');
    expectSecretError(() => box.open(sealed, 'camera:b:url'), SecretErrorCode.TAMPERED);
    expectSecretError(() => box.open(sealed, 'signing-key:a'), SecretErrorCode.TAMPERED);
  });

  it('refuses a value sealed with another key with SECRET_WRONG_KEY naming both key ids and the fix', () => {
    const other = SecretBox.fromKeys(OTHER_KEY);
    const err = expectSecretError(() => box.open(other.seal(PLAINTEXT, 'c'), 'c'), SecretErrorCode.WRONG_KEY);
    expect(err.message).toContain(other.keyId);
    expect(err.message).toContain(box.keyId);
    expect(err.message).toContain('set CAMGATE_SECRET_KEY to the key it was written with');
  });

  it('refuses a changed value with SECRET_TAMPERED, whichever byte changed', () => {
    const sealed = box.seal(PLAINTEXT, 'c');
    const header = sealed.slice(0, sealed.lastIndexOf(':') + 1);
    const body = Buffer.from(sealed.slice(header.length), 'base64url');
    for (let i = 0; i < body.length; i++) {
      const changed = Buffer.from(body);
      changed[i]! ^= 0x01;
      expectSecretError(() => box.open(`${header}${changed.toString('base64url')}`, 'c'), SecretErrorCode.TAMPERED);
    }
    // Cut short (the tag gone) or extended.
    expectSecretError(
      () => box.open(`${header}${body.subarray(0, -1).toString('base64url')}`, 'c'),
      SecretErrorCode.TAMPERED,
    );
    expectSecretError(() => box.open(`${sealed}AAAA`, 'c'), SecretErrorCode.TAMPERED);
  });

  it.each<[string, string]>([
    ['a plain URL', PLAINTEXT],
    ['an empty string', ''],
    ['no key id', 'sealed:v1::AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a key id that is not 8 hex digits', 'sealed:v1:XYZ:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a body that is not base64url', 'sealed:v1:0123abcd:AAAA+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['a body shorter than IV and tag', 'sealed:v1:0123abcd:AAAA'],
    ['an extra field', 'sealed:v1:0123abcd:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:x'],
    ['an unknown format', 'sealed:aes:0123abcd:AAAA'],
    ['a value longer than MAX_SEALED_CHARS', `sealed:v1:0123abcd:${'A'.repeat(MAX_SEALED_CHARS)}`],
  ])('refuses %s with SECRET_MALFORMED', (_name, value) => {
    expectSecretError(() => box.open(value, 'c'), SecretErrorCode.MALFORMED);
  });

  it('says a value of a newer format needs a newer camgate', () => {
    const err = expectSecretError(() => box.open('sealed:v2:0123abcd:AAAA', 'c'), SecretErrorCode.MALFORMED);
    expect(err.message).toContain('upgrade camgate');
  });

  it('rotation: seals with the current key, opens with previous ones, and says which values to seal again', () => {
    const oldBox = SecretBox.fromKeys(OTHER_KEY);
    const rotated = SecretBox.fromKeys(KEY, [OTHER_KEY]);
    const old = oldBox.seal(PLAINTEXT, 'c');
    expect(rotated.open(old, 'c')).toBe(PLAINTEXT);
    const fresh = rotated.seal(PLAINTEXT, 'c');
    expect(sealedKeyId(fresh)).toBe(box.keyId);
    expect(box.open(fresh, 'c')).toBe(PLAINTEXT); // the previous key is not needed for new values
    expectSecretError(() => oldBox.open(fresh, 'c'), SecretErrorCode.WRONG_KEY);

    expect(rotated.needsReseal(old)).toBe(true); // a previous key's
    expect(rotated.needsReseal(PLAINTEXT)).toBe(true); // written before there was a key
    expect(rotated.needsReseal(fresh)).toBe(false);
    // A value of an unknown key cannot be sealed again: it is reported when read instead.
    expect(rotated.needsReseal(SecretBox.fromKeys(randomBytes(32)).seal('x', 'c'))).toBe(false);
    expect(rotated.needsReseal('sealed:v1:garbage')).toBe(false);
  });

  it('refuses raw keys of the wrong size', () => {
    expectSecretError(() => SecretBox.fromKeys(randomBytes(16)), SecretErrorCode.INVALID_KEY);
    expectSecretError(() => SecretBox.fromKeys(KEY, [randomBytes(31)]), SecretErrorCode.INVALID_KEY);
  });

  it('secretKeyRequired() says what needs the key and how to make one', () => {
    const err = secretKeyRequired();
    expect(err.code).toBe(SecretErrorCode.KEY_REQUIRED);
    expect(err.message).toContain('CAMGATE_DATABASE_URL is set but CAMGATE_SECRET_KEY is not');
    expect(err.message).toContain('camgate keygen --secret');
  });

  it(
    'fuzz: open() of any string, or of a sealed value with bytes changed, returns the plaintext or throws a SecretError',
    { timeout: fuzzTimeout() },
    () => {
      const rotated = SecretBox.fromKeys(KEY, [OTHER_KEY]);
      const sealed = [box.seal(PLAINTEXT, 'c'), SecretBox.fromKeys(OTHER_KEY).seal(PLAINTEXT, 'c')];
      // ASCII only: one character, one code unit.
      const alphabet = Array.from('sealdv1:0123456789abcdefABCDEF-_+/=');
      const edited = fc
        .tuple(
          fc.constantFrom(...sealed),
          fc.array(
            fc.record({
              at: fc.nat(),
              remove: fc.nat({ max: 3 }),
              insert: fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 3 }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
        )
        .map(([value, edits]) => {
          let out = value;
          for (const { at, remove, insert } of edits) {
            const position = at % (out.length + 1);
            out = `${out.slice(0, position)}${insert}${out.slice(position + remove)}`;
          }
          return out;
        });
      const inputs = fc.oneof(
        edited,
        fc.string({ unit: 'binary', maxLength: 120 }),
        fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 120 }).map((text) => `sealed:${text}`),
        fc
          .tuple(fc.stringMatching(/^[0-9a-f]{8}$/), fc.uint8Array({ maxLength: 80 }))
          .map(([id, body]) => `sealed:v1:${id}:${Buffer.from(body).toString('base64url')}`),
      );
      fc.assert(
        fc.property(inputs, fc.constantFrom('c', 'other'), (value, context) => {
          try {
            // Only the original bytes open (an edit may change only the unused bits of the last character).
            expect(rotated.open(value, context)).toBe(PLAINTEXT);
          } catch (err) {
            expect(isCodedError(err)).toBe(true);
            expect(err).toBeInstanceOf(SecretError);
            expect((err as Error).message).not.toContain(PLAINTEXT);
          }
        }),
        { numRuns: fuzzRuns() },
      );
    },
  );
});
