import { constants, createHmac, createPrivateKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import { decodeProtectedHeader } from 'jose';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TOKEN_LENGTH, PlaybackTokens } from './playback-tokens.js';
import { FileSigningKeyStore } from './signing-key-store.js';
import { SigningKeys } from './signing-keys.js';
import { SignedGateway } from './test-signed-gateway.js';

/**
 * S06/S07: forged, altered, expired and other-camera tokens against a real gateway over HTTP. Each
 * is refused exactly as an unknown camera is (same status, body and Cache-Control), on every kind
 * of file a player asks for, in the path and as `?token=`; none is a 5xx.
 */

let gateway: SignedGateway;
/** Signing keys made through the API: their ids and private keys. */
let es: { id: string; key: KeyObject; publicPem: string };
let rs: { id: string; key: KeyObject; publicPem: string; publicJwk: Record<string, unknown> };
/** The gateway's own key (mints /v1/cameras/:id/playback-tokens). */
let ownKid: string;
let valid: string;
let otherCamera: string;
let publicCamera: string;
let deletedKeyToken: string;
let otherGatewayToken: string;
let otherGatewayKey: KeyObject;
/** A part of the signed camera's stream, as its media playlist names it. */
let part: string;
const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'cam', aud: 'playback', exp: nowS() + 600, ...extra });

type Alg = 'ES256' | 'RS256' | 'PS256' | 'ES256-DER';
/** A compact JWS of `header` and `payload` signed with `key` as `how`, whatever the header says. */
function jws(header: unknown, payload: unknown, key: KeyObject, how: Alg = 'ES256'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const data = Buffer.from(input);
  const signature =
    how === 'ES256'
      ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
      : how === 'ES256-DER'
        ? sign('sha256', data, { key, dsaEncoding: 'der' })
        : how === 'PS256'
          ? sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign('sha256', data, key);
  return `${input}.${signature.toString('base64url')}`;
}
function hs256(header: unknown, payload: unknown, secret: string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
const parts = (token: string) => token.split('.') as [string, string, string];
/** Changes one character in the middle of `text` (base64url: never only the unused trailing bits). */
const flip = (text: string) => {
  const at = Math.floor(text.length / 2);
  return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
};

interface Answer {
  status: number;
  cacheControl: string | null;
  contentType: string | null;
  body: string;
}
async function answer(path: string, method = 'GET'): Promise<Answer> {
  const response = await fetch(`${gateway.origin}${path}`, { method });
  return {
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

/** A body about camera `nope` (there is none) as it would read about camera `id`: the id is the only difference. */
function renamed(body: string, id = 'cam'): string {
  return body
    .replaceAll('\\"nope\\"', `\\"${id}\\"`)
    .replaceAll('/live/nope/', `/live/${id}/`)
    .replaceAll('camera nope"', `camera ${id}"`);
}
function asCam(unknown: Answer): Answer {
  return { ...unknown, body: renamed(unknown.body) };
}

beforeAll(async () => {
  gateway = await SignedGateway.start();
  await gateway.addCamera('cam');
  await gateway.addCamera('other');
  await gateway.addCamera('pub', 'public');
  const created = await Promise.all([gateway.createKey('ES256'), gateway.createKey('RS256')]);
  const [esKey, rsKey] = created;
  const views = await Promise.all(
    created.map(
      async ({ id }) =>
        (await (await gateway.api('GET', `/v1/signing-keys/${id}`)).json()) as {
          publicKey: string;
          publicJwk: Record<string, unknown>;
        },
    ),
  );
  const [esView, rsView] = views;
  es = { id: esKey.id, key: createPrivateKey(esKey.privateKey), publicPem: esView?.publicKey as string };
  rs = {
    id: rsKey.id,
    key: createPrivateKey(rsKey.privateKey),
    publicPem: rsView?.publicKey as string,
    publicJwk: rsView?.publicJwk as Record<string, unknown>,
  };
  valid = (await gateway.mint('cam')).token;
  ownKid = decodeProtectedHeader(valid).kid as string;
  otherCamera = (await gateway.mint('other')).token;
  publicCamera = (await gateway.mint('pub')).token;
  // A key that signed a token that played, then was deleted.
  const doomed = await gateway.createKey('ES256');
  deletedKeyToken = jws({ alg: 'ES256', kid: doomed.id }, claims(), createPrivateKey(doomed.privateKey));
  expect((await answer(`/live/cam/t/${deletedKeyToken}/index.m3u8`)).status).toBe(200);
  expect((await gateway.api('DELETE', `/v1/signing-keys/${doomed.id}`)).status).toBe(204);
  // Another gateway, with keys of its own.
  const dir = await mkdtemp(join(tmpdir(), 'camgate-other-gateway-'));
  try {
    const keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
    otherGatewayToken = (await new PlaybackTokens(keys).mint('cam', 600)).token;
    const own = await keys.managedKey();
    // jose's keys are WebCrypto keys: Node makes KeyObjects of them.
    otherGatewayKey = KeyObject.from(own.privateKey);
    await keys.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const media = await answer(`/live/cam/t/${valid}/video.m3u8`);
  expect(media.status).toBe(200);
  part = /#EXT-X-PART:[^\n]*URI="([^"]+)"/.exec(media.body)?.[1] as string;
  expect(part).toMatch(/\.m4s$/);
}, 30_000);

afterAll(async () => {
  await gateway.close();
});

/** The forgeries: a name and the token a client sends. Built once the keys exist. */
function forgeries(): Array<[string, string]> {
  const [validHeader, validPayload, validSignature] = parts(valid);
  const forOther = parts(jws({ alg: 'ES256', kid: es.id }, claims({ sub: 'other' }), es.key));
  const otherSignature = parts(otherCamera)[2];
  const expired = jws({ alg: 'ES256', kid: es.id }, claims({ exp: nowS() - 60 }), es.key);
  const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
  return [
    ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
    ['alg none with a signature', `${b64({ alg: 'none', kid: es.id })}.${b64(claims())}.${validSignature}`],
    ['alg "None"', `${b64({ alg: 'None', kid: es.id })}.${b64(claims())}.${validSignature}`],
    ['HS256 with the ES key’s public PEM as the secret', hs256({ alg: 'HS256', kid: es.id }, claims(), es.publicPem)],
    ['HS256 with the RS key’s public PEM as the secret', hs256({ alg: 'HS256', kid: rs.id }, claims(), rs.publicPem)],
    [
      'HS256 with the RS key’s public JWK as the secret',
      hs256({ alg: 'HS256', kid: rs.id }, claims(), JSON.stringify(rs.publicJwk)),
    ],
    ['HS256 with the gateway’s own kid', hs256({ alg: 'HS256', kid: ownKid }, claims(), '')],
    ['RS256 header on the ES key (signed by the RS key)', jws({ alg: 'RS256', kid: es.id }, claims(), rs.key, 'RS256')],
    ['ES256 header on the RS key (signed by the ES key)', jws({ alg: 'ES256', kid: rs.id }, claims(), es.key)],
    ['PS256 with the RS key', jws({ alg: 'PS256', kid: rs.id }, claims(), rs.key, 'PS256')],
    ['ES384 header on the ES key', jws({ alg: 'ES384', kid: es.id }, claims(), es.key)],
    ['lowercase alg es256', jws({ alg: 'es256', kid: es.id }, claims(), es.key)],
    ['an ES256 signature DER-encoded', jws({ alg: 'ES256', kid: es.id }, claims(), es.key, 'ES256-DER')],
    ['an unknown kid', jws({ alg: 'ES256', kid: 'unknown-kid' }, claims(), es.key)],
    ['no kid', jws({ alg: 'ES256' }, claims(), es.key)],
    ['a kid that is a number', jws({ alg: 'ES256', kid: 7 }, claims(), es.key)],
    ['kid __proto__', jws({ alg: 'ES256', kid: '__proto__' }, claims(), es.key)],
    ['kid of a deleted key (its token played before)', deletedKeyToken],
    ['another camera’s token', otherCamera],
    ['a public camera’s token on a signed camera', publicCamera],
    ['no sub', jws({ alg: 'ES256', kid: es.id }, claims({ sub: undefined }), es.key)],
    ['sub in capitals', jws({ alg: 'ES256', kid: es.id }, claims({ sub: 'CAM' }), es.key)],
    ['sub a list', jws({ alg: 'ES256', kid: es.id }, claims({ sub: ['cam'] }), es.key)],
    ['no exp', jws({ alg: 'ES256', kid: es.id }, claims({ exp: undefined }), es.key)],
    ['exp a string', jws({ alg: 'ES256', kid: es.id }, claims({ exp: String(nowS() + 600) }), es.key)],
    ['expired a minute ago', expired],
    ['nbf a minute ahead', jws({ alg: 'ES256', kid: es.id }, claims({ nbf: nowS() + 60 }), es.key)],
    ['nbf a string', jws({ alg: 'ES256', kid: es.id }, claims({ nbf: String(nowS()) }), es.key)],
    ['aud of something else', jws({ alg: 'ES256', kid: es.id }, claims({ aud: 'admin' }), es.key)],
    ['aud a list without playback', jws({ alg: 'ES256', kid: es.id }, claims({ aud: ['web', 'admin'] }), es.key)],
    ['tampered payload: another camera’s token made this one’s', `${forOther[0]}.${b64(claims())}.${forOther[2]}`],
    ['tampered payload: an expired token extended', `${parts(expired)[0]}.${b64(claims())}.${parts(expired)[2]}`],
    ['tampered signature', `${validHeader}.${validPayload}.${flip(validSignature)}`],
    ['the signature of another token', `${validHeader}.${validPayload}.${otherSignature}`],
    ['truncated', valid.slice(0, -10)],
    ['truncated to two parts', `${validHeader}.${validPayload}`],
    ['an extra segment', `${valid}.${validSignature}`],
    ['an empty signature', `${validHeader}.${validPayload}.`],
    ['an empty payload', `${validHeader}..${validSignature}`],
    ['base64 instead of base64url (+ / =)', `${validHeader}.${validPayload}.${validSignature.replaceAll('-', '+')}==`],
    ['non-base64 characters', `${validHeader}.${validPayload}!.${validSignature}`],
    ['a space before it', ` ${valid}`],
    ['a header that is not JSON', `${b64('{"alg":"ES256",')}.${validPayload}.${validSignature}`],
    ['a payload that is not JSON', jws({ alg: 'ES256', kid: es.id }, 'not json', es.key)],
    ['a payload that is a JSON list', jws({ alg: 'ES256', kid: es.id }, [claims()], es.key)],
    [
      'JWE-shaped, 5 parts',
      `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: rs.id })}.${b64('k')}.${b64('iv')}.${b64('ct')}.${b64('tag')}`,
    ],
    [
      'crit with an unknown extension',
      jws({ alg: 'ES256', kid: es.id, crit: ['x-camgate'], 'x-camgate': 1 }, claims(), es.key),
    ],
    [
      'an unencoded payload (b64: false)',
      jws({ alg: 'ES256', kid: es.id, b64: false, crit: ['b64'] }, claims(), es.key),
    ],
    [
      'an embedded jwk of the attacker, this gateway’s kid',
      jws({ alg: 'ES256', kid: es.id, jwk: attackerJwk }, claims(), attacker.privateKey),
    ],
    ['an embedded jwk of the attacker, no kid', jws({ alg: 'ES256', jwk: attackerJwk }, claims(), attacker.privateKey)],
    [
      'jku to the attacker’s keys',
      jws({ alg: 'ES256', kid: 'evil', jku: 'https://evil.example/jwks.json' }, claims(), attacker.privateKey),
    ],
    [
      'jku to the attacker’s keys, this gateway’s kid',
      jws({ alg: 'ES256', kid: es.id, jku: 'https://evil.example/jwks.json' }, claims(), attacker.privateKey),
    ],
    [
      'x5u to the attacker’s certificate',
      jws(
        { alg: 'RS256', kid: rs.id, x5u: 'https://evil.example/cert.pem' },
        claims(),
        attackerRsa.privateKey,
        'RS256',
      ),
    ],
    ['a token minted by another gateway', otherGatewayToken],
    [
      'another gateway’s key with this gateway’s kid',
      jws({ alg: 'ES256', kid: ownKid, typ: 'JWT' }, claims(), otherGatewayKey),
    ],
    [
      'the attacker’s RSA key with this gateway’s RS kid',
      jws({ alg: 'RS256', kid: rs.id }, claims(), attackerRsa.privateKey, 'RS256'),
    ],
    [
      'exactly the longest token read',
      `${validHeader}.${validPayload}.${'A'.repeat(MAX_TOKEN_LENGTH - validHeader.length - validPayload.length - 2)}`,
    ],
  ];
}

/** What a player asks for: the multivariant and a media playlist, a part, and the camera's status. */
const files = () => ['index.m3u8', 'video.m3u8', part, 'status.json'];

/** `path` of camera `cam` is answered exactly as the same path of camera `nope`, which does not exist. */
async function expectUniform(camPath: string, expectedStatus = 404): Promise<void> {
  const [refused, unknown] = await Promise.all([answer(camPath), answer(camPath.replace('/live/cam/', '/live/nope/'))]);
  expect(refused, camPath).toEqual(asCam(unknown));
  expect(refused.status, camPath).toBe(expectedStatus);
  expect(refused.contentType).toMatch(/^application\/problem\+json/);
}

describe('signed playback refuses forged tokens as it refuses unknown cameras (S06, S07)', () => {
  it('the real thing plays: a minted token and a token the test crafts as a backend would, in the path and ?token=', async () => {
    const crafted = [
      valid,
      jws({ alg: 'ES256', kid: es.id }, claims(), es.key),
      jws({ alg: 'RS256', kid: rs.id, typ: 'JWT' }, claims({ aud: undefined }), rs.key, 'RS256'),
    ];
    for (const token of crafted) {
      for (const file of files()) expect((await answer(`/live/cam/t/${token}/${file}`)).status, file).toBe(200);
      const multivariant = await answer(`/live/cam/index.m3u8?token=${token}`);
      expect(multivariant.status).toBe(200);
      expect(multivariant.body).toContain(`t/${token}/video.m3u8`);
    }
  });

  it('what a token opened is private (no shared cache keeps it), cacheable no longer than the token lasts', async () => {
    for (const file of ['index.m3u8', 'video.m3u8', part]) {
      const cacheControl = (await answer(`/live/cam/t/${valid}/${file}`)).cacheControl ?? '';
      expect(cacheControl, file).toMatch(/^private(,|$)/);
      expect(cacheControl, file).not.toMatch(/public/);
      const maxAge = /max-age=(\d+)/.exec(cacheControl)?.[1];
      if (maxAge !== undefined) expect(Number(maxAge), file).toBeLessThanOrEqual(3600);
    }
  });

  it('no token at all: refused as an unknown camera, for every file', async () => {
    for (const file of files()) await expectUniform(`/live/cam/${file}`);
    await expectUniform('/live/cam/index.m3u8?token=');
    await expectUniform('/live/cam/index.m3u8?token');
  });

  it('at least 25 forgeries, each refused uniformly in the path for every file, and as ?token=', async () => {
    const list = forgeries();
    expect(list.length).toBeGreaterThanOrEqual(25);
    const seen = new Map<string, string>();
    for (const [name, token] of list) {
      expect(seen.get(token), `${name} is the same token as`).toBeUndefined();
      seen.set(token, name);
    }
    for (const [name, token] of list) {
      const segment = encodeURIComponent(token);
      for (const file of files()) await expectUniform(`/live/cam/t/${segment}/${file}`).catch(rethrowAs(name, file));
      await expectUniform(`/live/cam/index.m3u8?token=${segment}`).catch(rethrowAs(name, '?token='));
      await expectUniform(`/live/cam/standard.m3u8?token=${segment}`).catch(rethrowAs(name, '?token='));
    }
  });

  it('a token over the longest read: the router refuses the path parameter (414), whatever the camera', async () => {
    const [header, payload] = parts(valid);
    const huge = `${header}.${payload}.${'A'.repeat(MAX_TOKEN_LENGTH)}`;
    for (const file of files()) {
      const refused = await answer(`/live/cam/t/${huge}/${file}`);
      expect(refused).toEqual(asCam(await answer(`/live/nope/t/${huge}/${file}`)));
      expect(refused.status).toBe(414);
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'CAMGATE_ERR_URL_TOO_LONG' });
    }
    await expectUniform(`/live/cam/index.m3u8?token=${huge}`);
  });

  it('?token= is read on the multivariant playlists only: a media playlist, a part or a status with it is refused', async () => {
    for (const file of ['video.m3u8', part, 'status.json']) await expectUniform(`/live/cam/${file}?token=${valid}`);
    // In a token path, the path's token counts: a query one is not read.
    expect((await answer(`/live/cam/t/${valid}/index.m3u8?token=${otherCamera}`)).status).toBe(200);
    await expectUniform(`/live/cam/t/${otherCamera}/index.m3u8?token=${valid}`);
  });

  it('HEAD is refused as GET is, without a body', async () => {
    for (const file of ['index.m3u8', part]) {
      const refused = await answer(`/live/cam/t/${otherCamera}/${file}`, 'HEAD');
      expect(refused).toEqual(asCam(await answer(`/live/nope/t/${otherCamera}/${file}`, 'HEAD')));
      expect([refused.status, refused.body]).toEqual([404, '']);
    }
  });

  it(
    'fuzz: random token strings in the path are refused uniformly, never a 5xx',
    { timeout: fuzzTimeout() },
    async () => {
      const [validHeader, validPayload, validSignature] = parts(valid);
      const base64url = fc.string({
        unit: fc.constantFrom('A', 'B', 'C', 'x', 'y', 'z', '0', '1', '9', '-', '_'),
        maxLength: 40,
      });
      const token = fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.tuple(base64url, base64url, base64url).map((p) => p.join('.')),
        fc.array(base64url, { maxLength: 7 }).map((p) => p.join('.')),
        // The real token, one piece replaced.
        fc
          .tuple(fc.nat(2), base64url)
          .map(([i, piece]) =>
            [validHeader, validPayload, validSignature].map((p, j) => (i === j ? piece : p)).join('.'),
          ),
        fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
      );
      const file = fc.constantFrom('index.m3u8', 'video.m3u8', part, 'status.json');
      await fc.assert(
        fc.asyncProperty(token, file, async (forged, name) => {
          fc.pre(forged !== '' && forged !== valid);
          const url = (camera: string) => `/live/${camera}/t/${encodeURIComponent(forged)}/${name}`;
          const [refused, unknown] = await Promise.all([
            gateway.app.inject(url('cam')),
            gateway.app.inject(url('nope')),
          ]);
          expect(refused.statusCode, url('cam')).toBeLessThan(500);
          expect(refused.statusCode).toBe(unknown.statusCode);
          expect(refused.headers['cache-control']).toBe(unknown.headers['cache-control']);
          expect(refused.body).toBe(renamed(unknown.body));
        }),
        { numRuns: fuzzRuns(300) },
      );
    },
  );
});

describe('playback policy and viewers, over HTTP', () => {
  it('a change of policy takes effect at the next request, both ways', async () => {
    await gateway.addCamera('switch', 'public');
    expect((await answer('/live/switch/index.m3u8')).status).toBe(200);
    const { token } = await gateway.mint('switch');
    expect((await gateway.api('PATCH', '/v1/cameras/switch', { playback: 'signed' })).status).toBe(200);
    const refused = await answer('/live/switch/index.m3u8');
    const unknown = await answer('/live/nope/index.m3u8');
    expect(refused).toEqual({ ...unknown, body: renamed(unknown.body, 'switch') });
    expect((await answer(`/live/switch/t/${token}/index.m3u8`)).status).toBe(200);
    expect((await gateway.api('PATCH', '/v1/cameras/switch', { playback: 'public' })).status).toBe(200);
    expect((await answer('/live/switch/index.m3u8')).status).toBe(200);
    // A deleted camera's token plays nothing, as an unknown camera.
    expect((await gateway.api('DELETE', '/v1/cameras/switch')).status).toBe(204);
    const gone = await answer(`/live/switch/t/${token}/index.m3u8`);
    expect(gone.status).toBe(404);
  });

  it('viewers are counted per token: two tokens from one address are two, one token from two browsers one', async () => {
    await gateway.addCamera('count-a');
    await gateway.addCamera('count-b');
    const viewers = async (id: string) =>
      ((await (await gateway.api('GET', `/v1/cameras/${id}`)).json()) as { status: { viewers: number } }).status
        .viewers;
    const [first, second] = await Promise.all([gateway.mint('count-a'), gateway.mint('count-a')]);
    for (const { token } of [first, second] as const) {
      const response = await fetch(`${gateway.origin}/live/count-a/t/${token}/index.m3u8`, {
        headers: { 'user-agent': 'one browser' },
      });
      expect(response.status).toBe(200);
    }
    expect(await viewers('count-a')).toBe(2);
    const { token } = await gateway.mint('count-b');
    for (const agent of ['Safari', 'ffmpeg']) {
      const response = await fetch(`${gateway.origin}/live/count-b/t/${token}/index.m3u8`, {
        headers: { 'user-agent': agent },
      });
      expect(response.status).toBe(200);
    }
    // ?token= is the same viewer as the path form.
    expect((await answer(`/live/count-b/index.m3u8?token=${token}`)).status).toBe(200);
    expect(await viewers('count-b')).toBe(1);
  });
});

function rethrowAs(name: string, where: string) {
  return (err: unknown) => {
    throw new Error(`forgery "${name}" (${where}): ${(err as Error).message}`, { cause: err });
  };
}
