import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_S, MAX_TOKEN_LENGTH, PlaybackTokens, type VerifiedToken } from './playback-tokens.js';
import { FileSigningKeyStore, type SigningKeyRecord, type SigningKeyStore } from './signing-key-store.js';
import { SigningKeys } from './signing-keys.js';

/** The tests' clock: whole seconds since the epoch, moved by hand. */
const T0 = 1_800_000_000;
let nowMs = T0 * 1000;
let dir: string;
let keys: SigningKeys;
let kid: string;
let privateKey: CryptoKey;

beforeEach(async () => {
  nowMs = T0 * 1000;
  dir = await mkdtemp(join(tmpdir(), 'camgate-tokens-'));
  keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
  const created = await keys.create({ algorithm: 'ES256' });
  kid = created.id;
  privateKey = await importPKCS8(created.privateKey as string, 'ES256');
});
afterEach(async () => {
  await keys.close();
  await rm(dir, { recursive: true, force: true });
});

/** Several nodes' key store (a database's table): what one node writes, every node lists. */
class SharedKeyStore implements SigningKeyStore {
  readonly #records: SigningKeyRecord[] = [];
  list(): Promise<SigningKeyRecord[]> {
    return Promise.resolve(this.#records.map((record) => structuredClone(record)));
  }
  create(record: SigningKeyRecord): Promise<void> {
    this.#records.push(structuredClone(record));
    return Promise.resolve();
  }
  delete(id: string): Promise<boolean> {
    const at = this.#records.findIndex((record) => record.id === id);
    if (at !== -1) this.#records.splice(at, 1);
    return Promise.resolve(at !== -1);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function tokens(limits?: { verified?: number; refused?: number }): PlaybackTokens {
  return new PlaybackTokens(keys, () => nowMs, limits);
}

/** A token of the test key: sub `cam`, valid 60 s from T0, with `claims` changed. */
function sign(claims: JWTPayload = {}, key = privateKey, keyId = kid): Promise<string> {
  return new SignJWT({ sub: 'cam', exp: T0 + 60, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: keyId })
    .sign(key);
}

describe('PlaybackTokens', () => {
  it('a valid token is checked once: the next requests are answered synchronously from the cache', async () => {
    const checker = tokens();
    const token = await sign({ aud: 'playback', iat: T0 });
    const first = checker.verify(token);
    expect(first).toBeInstanceOf(Promise);
    // Requests while the first check runs share it.
    expect(checker.verify(token)).toBe(first);
    const claims = await first;
    expect(claims).toEqual({
      sub: 'cam',
      expMs: (T0 + 60) * 1000,
      nbfMs: 0,
      kid,
      viewer: expect.stringMatching(/^token [A-Za-z0-9_-]{22}$/),
    });
    const again = checker.verify(token);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toBe(claims);
    // One viewer per token: another token of the same claims is another viewer.
    const other = (await checker.verify(await sign({ aud: 'playback', iat: T0 }))) as VerifiedToken;
    expect(other.viewer).not.toBe(claims?.viewer);
  });

  it('remembers a bounded number of tokens, the least recently used forgotten first', async () => {
    const checker = tokens({ verified: 3 });
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map((n) => sign({ jti: `t${n}` })));
    for (const token of [a, b, c]) await checker.verify(token as string);
    // a is used again: b is now the least recently used.
    expect(checker.verify(a as string)).not.toBeInstanceOf(Promise);
    await checker.verify(d as string);
    expect(checker.verify(a as string)).not.toBeInstanceOf(Promise);
    expect(checker.verify(c as string)).not.toBeInstanceOf(Promise);
    expect(checker.verify(d as string)).not.toBeInstanceOf(Promise);
    const forgotten = checker.verify(b as string);
    expect(forgotten).toBeInstanceOf(Promise);
    expect(await forgotten).toMatchObject({ sub: 'cam' });
  });

  it('a refused token is remembered for 10 s, in a bounded list, then checked again; one not valid yet is not remembered', async () => {
    const checker = tokens({ refused: 2 });
    // Not valid yet (nbf beyond the tolerance), valid 8 s from now: checked again each time.
    const early = await sign({ nbf: T0 + 8 });
    expect(await checker.verify(early)).toBeUndefined();
    nowMs += 3_500;
    expect(await checker.verify(early)).toMatchObject({ sub: 'cam', nbfMs: (T0 + 8) * 1000 });
    // A wrong audience is a verdict: refused from memory for 10 s, then checked again.
    const wrong = await sign({ aud: 'other' });
    expect(await checker.verify(wrong)).toBeUndefined();
    nowMs += 9_000;
    expect(checker.verify(wrong)).toBeUndefined();
    nowMs += 1_000;
    expect(checker.verify(wrong)).toBeInstanceOf(Promise);

    // Two refusals remembered at most: the oldest is checked again.
    const [x, y, z] = await Promise.all(['x', 'y', 'z'].map((jti) => sign({ jti, aud: 'nope' })));
    for (const token of [x, y, z]) expect(await checker.verify(token as string)).toBeUndefined();
    expect(checker.verify(z as string)).toBeUndefined();
    expect(checker.verify(y as string)).toBeUndefined();
    expect(checker.verify(x as string)).toBeInstanceOf(Promise);
  });

  it('forgetRefusals(): a token refused for an unknown key plays once the key is added; verified ones stay cached', async () => {
    const checker = tokens();
    const valid = await sign();
    await checker.verify(valid);
    const created = await keys.create({ algorithm: 'RS256' });
    const rsKey = await importPKCS8(created.privateKey as string, 'RS256');
    // Signed with a kid the gateway does not know yet.
    const early = await new SignJWT({ sub: 'cam', exp: T0 + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: 'not-yet' })
      .sign(rsKey);
    expect(await checker.verify(early)).toBeUndefined();
    checker.forgetRefusals();
    expect(checker.verify(valid)).not.toBeInstanceOf(Promise);
    expect(checker.verify(early)).toBeInstanceOf(Promise);
    checker.clear();
    expect(checker.verify(valid)).toBeInstanceOf(Promise);
  });

  it('a key learned from another node (reload) makes a token it refused a moment before valid at once', async () => {
    // Two nodes on one key store: the first mints with the gateway's own key, made there just now.
    const shared = new SharedKeyStore();
    const [here, there] = [await SigningKeys.open(shared), await SigningKeys.open(shared)];
    const checker = new PlaybackTokens(here, () => nowMs);
    const { token } = await new PlaybackTokens(there, () => nowMs).mint('cam', 60);
    // Asked before this node heard of the key: refused, and the refusal remembered.
    expect(await checker.verify(token)).toBeUndefined();
    expect(checker.verify(token)).toBeUndefined();
    await here.reload();
    expect((await checker.verify(token))?.sub).toBe('cam');
  });

  it('a key created here makes a token refused a moment before valid (no call to forgetRefusals needed)', async () => {
    const checker = tokens();
    const { token } = await new PlaybackTokens(keys, () => nowMs).mint('cam', 60);
    // The gateway's own key was made by mint(), through the same SigningKeys: known at once.
    expect((await checker.verify(token))?.sub).toBe('cam');
    const created = await keys.create({ algorithm: 'ES256' });
    const early = await new SignJWT({ sub: 'cam', exp: T0 + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: 'soon' })
      .sign(await importPKCS8(created.privateKey as string, 'ES256'));
    expect(await checker.verify(early)).toBeUndefined();
    await keys.create({ algorithm: 'ES256' });
    expect(checker.verify(early)).toBeInstanceOf(Promise);
  });

  it('deleting a key revokes its tokens at once, cached or not', async () => {
    const checker = tokens();
    const token = await sign();
    expect(await checker.verify(token)).toBeDefined();
    const other = await keys.create({});
    const otherToken = await sign({}, await importPKCS8(other.privateKey as string, 'ES256'), other.id);
    expect(await checker.verify(otherToken)).toBeDefined();
    await keys.delete(kid);
    // Forgotten at once: checked again, and refused.
    expect(await checker.verify(token)).toBeUndefined();
    // The other key's tokens are not touched.
    expect(checker.verify(otherToken)).toMatchObject({ kid: other.id });
    // And a token of the deleted key never seen before.
    expect(await checker.verify(await sign({ jti: 'new' }))).toBeUndefined();
  });

  it(`exp and nbf with ${CLOCK_TOLERANCE_S} s of tolerance, on the first check and from the cache`, async () => {
    const checker = tokens();
    const token = await sign({ exp: T0 + 60 });
    // First seen 4 s after it expired: within the tolerance.
    nowMs = (T0 + 64) * 1000;
    expect(await checker.verify(token)).toBeDefined();
    nowMs = (T0 + 65) * 1000 - 1;
    expect(checker.verify(token)).toBeDefined();
    nowMs = (T0 + 65) * 1000;
    expect(checker.verify(token)).toBeUndefined();
    // First seen 6 s after it expired.
    const late = await sign({ exp: T0 + 60, jti: 'late' });
    nowMs = (T0 + 66) * 1000;
    expect(await checker.verify(late)).toBeUndefined();

    nowMs = T0 * 1000;
    expect(await checker.verify(await sign({ nbf: T0 + 4 }))).toBeDefined();
    expect(await checker.verify(await sign({ nbf: T0 + 6 }))).toBeUndefined();
    // A cached token whose nbf the clock goes back before (a clock step) is refused too.
    const now = await sign({ nbf: T0, jti: 'now' });
    expect(await checker.verify(now)).toBeDefined();
    nowMs = (T0 - 6) * 1000;
    expect(checker.verify(now)).toBeUndefined();
  });

  it.for([
    ['no aud', {}, true],
    ['aud playback', { aud: 'playback' }, true],
    ['aud a list with playback', { aud: ['web', 'playback'] }, true],
    ['another aud', { aud: 'admin' }, false],
    ['aud a list without playback', { aud: ['web', 'admin'] }, false],
    ['aud an empty list', { aud: [] }, false],
    ['no sub', { sub: undefined }, false],
    ['sub a number', { sub: 7 }, false],
    ['sub a list', { sub: ['cam'] }, false],
    ['no exp', { exp: undefined }, false],
    ['exp a string', { exp: String(T0 + 60) }, false],
    ['nbf a string', { nbf: String(T0) }, false],
    ['iat a string', { iat: 'now' }, false],
  ] as const)('claims with %s: %s', async ([, claims, valid]) => {
    const checker = tokens();
    const token = await sign(claims as JWTPayload);
    if (valid) expect(await checker.verify(token)).toMatchObject({ sub: 'cam' });
    else expect(await checker.verify(token)).toBeUndefined();
  });

  it('what is not a compact JWS of a sane length is refused at once, without parsing', async () => {
    const checker = tokens();
    const token = await sign();
    for (const bad of ['', 'a', 'a.b', 'a.b.c.d', 'a..c', `${token}.x`, `${token} `, `${token}=`, 'x'.repeat(5000)]) {
      expect(checker.verify(bad)).toBeUndefined();
    }
    const long = `${token.slice(0, token.indexOf('.'))}.${'A'.repeat(MAX_TOKEN_LENGTH)}.sig`;
    expect(checker.verify(long)).toBeUndefined();
  });

  it("mint(): an ES256 token of the gateway's own key for one camera, with aud and exp", async () => {
    const checker = tokens();
    const { token, expiresAt } = await checker.mint('door', 600);
    expect(expiresAt.getTime()).toBe((T0 + 600) * 1000);
    const own = await keys.managedKey();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: own.id, typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({ sub: 'door', aud: 'playback', iat: T0, exp: T0 + 600 });
    expect(await checker.verify(token)).toMatchObject({ sub: 'door', kid: own.id, expMs: (T0 + 600) * 1000 });
    // Deleting the gateway's key revokes what it minted; the next token is of a new key.
    await keys.delete(own.id);
    expect(await checker.verify(token)).toBeUndefined();
    const next = await checker.mint('door', 60);
    expect(decodeProtectedHeader(next.token).kid).not.toBe(own.id);
    expect(await checker.verify(next.token)).toMatchObject({ sub: 'door' });
  });
});
