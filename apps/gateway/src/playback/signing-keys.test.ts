import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, importPKCS8, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { StoreErrorCode } from '../store/camera-store.js';
import { FileSigningKeyStore, MAX_SIGNING_KEYS, SIGNING_KEYS_FILE_NAME } from './signing-key-store.js';
import { SigningKeys } from './signing-keys.js';

let dir: string;
let keys: SigningKeys;
const open = async () => SigningKeys.open(await FileSigningKeyStore.open(dir), () => new Date(Date.UTC(2026, 0, 2)));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-signing-'));
  keys = await open();
});
afterEach(async () => {
  await keys.close();
  await rm(dir, { recursive: true, force: true });
});

/** A token signed with `privateKey`, checked with the key the gateway keeps for `kid`. */
async function roundTrip(privateKey: CryptoKey, kid: string, alg: 'ES256' | 'RS256'): Promise<string | undefined> {
  const token = await new SignJWT({ sub: 'cam' })
    .setProtectedHeader({ alg, kid })
    .setExpirationTime('1h')
    .sign(privateKey);
  const key = keys.verificationKey(kid, alg);
  if (key === undefined) return undefined;
  return (await jwtVerify(token, key)).payload.sub;
}

/** The body lines of a PEM (what must never be quoted). */
function pemBody(pem: string): string[] {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
}

describe('SigningKeys', () => {
  it.for(['ES256', 'RS256'] as const)(
    'creates a %s pair: the private key returned once, the public one kept and shown',
    async (algorithm) => {
      const created = await keys.create({ algorithm, name: 'backend' });
      expect(created).toMatchObject({
        id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        name: 'backend',
        algorithm,
        managed: false,
        createdAt: '2026-01-02T00:00:00.000Z',
        publicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n/),
        privateKey: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----\n/),
        publicJwk: { kty: algorithm === 'ES256' ? 'EC' : 'RSA', kid: created.id, alg: algorithm, use: 'sig' },
      });
      expect(created.publicJwk).not.toHaveProperty('d');
      const privateKey = await importPKCS8(created.privateKey as string, algorithm);
      expect(await roundTrip(privateKey, created.id, algorithm)).toBe('cam');
      if (algorithm === 'RS256') expect(created.publicJwk['n']).toHaveLength(342); // 2048 bits
      // Shown without the private part ever after, and kept without it.
      expect(keys.get(created.id)).toEqual({ ...created, privateKey: undefined });
      expect(keys.list()).toEqual([keys.get(created.id)]);
      const file = await readFile(join(dir, SIGNING_KEYS_FILE_NAME), 'utf8');
      expect(file).not.toContain('"d"');
      for (const line of pemBody(created.privateKey as string)) expect(file).not.toContain(line);
    },
  );

  it('the header’s algorithm must be the key’s: no ES/RS (or HS) confusion', async () => {
    const es = await keys.create({ algorithm: 'ES256' });
    const rs = await keys.create({ algorithm: 'RS256' });
    expect(keys.verificationKey(es.id, 'ES256')).toBeDefined();
    expect(keys.verificationKey(es.id, 'RS256')).toBeUndefined();
    expect(keys.verificationKey(es.id, 'HS256')).toBeUndefined();
    expect(keys.verificationKey(es.id, 'es256')).toBeUndefined();
    expect(keys.verificationKey(rs.id, 'ES256')).toBeUndefined();
    expect(keys.verificationKey(rs.id, 'none')).toBeUndefined();
    expect(keys.verificationKey('unknown', 'ES256')).toBeUndefined();
  });

  it.for([
    ['ES256', 'SPKI PEM'],
    ['ES256', 'JWK'],
    ['RS256', 'SPKI PEM'],
    ['RS256', 'JWK'],
  ] as const)('registers a client’s own %s public key as %s; tokens it signs verify', async ([algorithm, form]) => {
    const pair =
      algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicKey =
      form === 'JWK'
        ? { ...(pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), use: 'sig' }
        : (pair.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const created = await keys.create({ algorithm, publicKey });
    expect(created).not.toHaveProperty('privateKey');
    expect(created.publicJwk).toMatchObject(pair.publicKey.export({ format: 'jwk' }));
    const privateKey = await importPKCS8(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm);
    expect(await roundTrip(privateKey, created.id, algorithm)).toBe('cam');
  });

  it('refuses private keys, as PEM or JWK, without ever quoting them', async () => {
    const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pems = [
      es.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      es.privateKey.export({ type: 'sec1', format: 'pem' }) as string,
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    ];
    const jwks = [es.privateKey.export({ format: 'jwk' }), rsa.privateKey.export({ format: 'jwk' })];
    const cases = [
      ...pems.map((publicKey, i) => ({
        algorithm: i === 2 ? ('RS256' as const) : ('ES256' as const),
        publicKey,
        secrets: pemBody(publicKey),
      })),
      ...jwks.map((publicKey, i) => ({
        algorithm: i === 1 ? ('RS256' as const) : ('ES256' as const),
        publicKey,
        secrets: ['d', 'p', 'q', 'dp', 'dq', 'qi'].flatMap((m) =>
          typeof publicKey[m] === 'string' ? [publicKey[m]] : [],
        ),
      })),
    ];
    for (const { algorithm, publicKey, secrets } of cases) {
      const error = await keys.create({ algorithm, publicKey }).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: GatewayErrorCode.INVALID_SIGNING_KEY, statusCode: 400 });
      const text = JSON.stringify(error) + (error as Error).message;
      expect(secrets.length).toBeGreaterThan(0);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect(keys.list()).toEqual([]);
  });

  it.for([
    ['an RSA key of 1024 bits', 'RS256', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, /2048/],
    ['an RSA key of 2047 bits', 'RS256', () => generateKeyPairSync('rsa', { modulusLength: 2047 }).publicKey, /2048/],
    ['an EC key for RS256', 'RS256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, /RSA/],
    ['an RSA key for ES256', 'ES256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, /P-256/],
    ['a P-384 key for ES256', 'ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, /P-256/],
    ['an Ed25519 key', 'ES256', () => generateKeyPairSync('ed25519').publicKey, /P-256/],
  ] as const)('refuses %s', async ([, algorithm, make, message]) => {
    const key = make();
    for (const publicKey of [key.export({ type: 'spki', format: 'pem' }) as string, key.export({ format: 'jwk' })]) {
      await expect(keys.create({ algorithm, publicKey })).rejects.toMatchObject({
        code: GatewayErrorCode.INVALID_SIGNING_KEY,
        message: expect.stringMatching(message),
      });
    }
  });

  it('refuses RSA public keys anyone could "sign" for: an exponent of 1, 3 or an even one, an even modulus', async () => {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const n = Buffer.from(jwk.n as string, 'base64url');
    const evenN = Buffer.from(n);
    evenN[evenN.length - 1] = (evenN[evenN.length - 1] as number) & 0xfe;
    const forged = [
      { ...jwk, e: 'AQ' },
      { ...jwk, e: 'Aw' },
      { ...jwk, e: 'AQAC' },
      { ...jwk, n: evenN.toString('base64url') },
    ];
    for (const publicKey of forged) {
      await expect(keys.create({ algorithm: 'RS256', publicKey })).rejects.toMatchObject({
        code: GatewayErrorCode.INVALID_SIGNING_KEY,
      });
    }
    // The real key, exponent 65537, is one.
    await expect(keys.create({ algorithm: 'RS256', publicKey: jwk })).resolves.toMatchObject({ algorithm: 'RS256' });
  });

  it.for([
    ['garbage', 'not a key'],
    ['a certificate-shaped PEM', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['a JWK without kty', { crv: 'P-256', x: 'AA', y: 'AA' }],
    ['a symmetric JWK', { kty: 'oct', k: 'c2VjcmV0' }],
  ] as const)('refuses %s as a public key', async ([, publicKey]) => {
    await expect(keys.create({ algorithm: 'ES256', publicKey })).rejects.toMatchObject({
      code: GatewayErrorCode.INVALID_SIGNING_KEY,
    });
  });

  it('deleting a key revokes it: listeners hear its id, it verifies nothing, and it stays deleted', async () => {
    const created = await keys.create({});
    const revoked: string[] = [];
    keys.onRevoked((id) => revoked.push(id));
    expect(await keys.delete('unknown')).toBe(false);
    expect(await keys.delete(created.id)).toBe(true);
    expect(await keys.delete(created.id)).toBe(false);
    expect(revoked).toEqual([created.id]);
    expect(keys.has(created.id)).toBe(false);
    expect(keys.get(created.id)).toBeUndefined();
    expect(keys.verificationKey(created.id, 'ES256')).toBeUndefined();
    await keys.close();
    keys = await open();
    expect(keys.has(created.id)).toBe(false);
  });

  it('the gateway’s own key: made once however many ask at once, kept across a restart, never shown with its private part', async () => {
    const asked = await Promise.all(Array.from({ length: 20 }, () => keys.managedKey()));
    const ids = new Set(asked.map((key) => key.id));
    expect(ids.size).toBe(1);
    const [own] = asked;
    expect(own?.algorithm).toBe('ES256');
    expect(keys.list()).toEqual([expect.objectContaining({ id: own?.id, managed: true })]);
    expect(keys.list()[0]?.publicJwk).not.toHaveProperty('d');
    expect(keys.list()[0]).not.toHaveProperty('privateKey');
    // Its tokens verify with its public part.
    expect(await roundTrip(own?.privateKey as CryptoKey, own?.id as string, 'ES256')).toBe('cam');
    await keys.close();
    keys = await open();
    expect((await keys.managedKey()).id).toBe(own?.id);
    const stored = JSON.parse(await readFile(join(dir, SIGNING_KEYS_FILE_NAME), 'utf8')) as {
      keys: Array<{ managed: boolean; privateJwk?: { d?: string } }>;
    };
    expect(stored.keys).toHaveLength(1);
    expect(stored.keys[0]?.privateJwk?.d).toEqual(expect.any(String));
    // Deleting it rotates it: a new one is made when next needed.
    expect(await keys.delete(own?.id as string)).toBe(true);
    const next = await keys.managedKey();
    expect(next.id).not.toBe(own?.id);
    expect(keys.list().map((key) => key.id)).toEqual([next.id]);
  });

  it(`keeps ${MAX_SIGNING_KEYS} keys of the API, the gateway's own besides`, async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicKey = pair.publicKey.export({ format: 'jwk' });
    // One more than allowed, at once: exactly one is refused.
    const results = await Promise.allSettled(
      Array.from({ length: MAX_SIGNING_KEYS + 1 }, () => keys.create({ publicKey })),
    );
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.reason).toMatchObject({ code: GatewayErrorCode.SIGNING_KEY_LIMIT, statusCode: 409 });
    await expect(keys.create({})).rejects.toMatchObject({ code: GatewayErrorCode.SIGNING_KEY_LIMIT });
    // The gateway still makes its own.
    await keys.managedKey();
    expect(keys.list()).toHaveLength(MAX_SIGNING_KEYS + 1);
  });

  it('a stored key that is no key (an edited file) stops the opening with STORE_CORRUPT, never quoting it', async () => {
    await keys.managedKey();
    await keys.close();
    const path = join(dir, SIGNING_KEYS_FILE_NAME);
    const text = await readFile(path, 'utf8');
    const file = JSON.parse(text) as { keys: Array<{ privateJwk: { d: string } }> };
    const stored = file.keys[0] as { privateJwk: { d: string } };
    const secret = stored.privateJwk.d;
    stored.privateJwk.d = `${secret.slice(0, -4)}!!!!`;
    await writeFile(path, JSON.stringify(file));
    const error = await open().catch((err: unknown) => err as Error & { code: string });
    expect(error).toMatchObject({ code: StoreErrorCode.CORRUPT });
    expect((error as Error).message).not.toContain(secret.slice(0, 20));
    await writeFile(path, text);
    keys = await open();
  });

  it('a JWK member beyond the public ones (`d` aside) is dropped, never kept', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { n, e } = pair.publicKey.export({ format: 'jwk' });
    const created = await keys.create({
      algorithm: 'RS256',
      publicKey: {
        kty: 'RSA',
        n,
        e,
        key_ops: ['verify'],
        x5u: 'https://evil.example/x5u',
        jku: 'https://evil.example',
      },
    });
    expect(Object.keys(created.publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(await exportJWK(keys.verificationKey(created.id, 'RS256') as CryptoKey)).toEqual({ kty: 'RSA', n, e });
  });
});
