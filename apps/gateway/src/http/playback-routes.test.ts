import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { SignedGateway } from '../playback/test-signed-gateway.js';
import { MAX_TOKEN_TTL_S, MIN_TOKEN_TTL_S } from './playback-routes.js';

let gateway: SignedGateway;

beforeAll(async () => {
  gateway = await SignedGateway.start();
  await gateway.addCamera('door');
});
afterAll(async () => {
  await gateway.close();
});

interface KeyView {
  id: string;
  name: string;
  algorithm: string;
  managed: boolean;
  createdAt: string;
  publicKey: string;
  publicJwk: Record<string, unknown>;
  privateKey?: string;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('/v1/signing-keys', () => {
  it('needs the API key', async () => {
    for (const [method, path] of [
      ['GET', '/v1/signing-keys'],
      ['POST', '/v1/signing-keys'],
      ['DELETE', '/v1/signing-keys/x'],
      ['POST', '/v1/cameras/door/playback-tokens'],
    ] as const) {
      const response = await fetch(`${gateway.origin}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(401);
    }
  });

  it('POST makes a pair: 201 with Location, no-store, the private key once; GET shows the public part only', async () => {
    const response = await gateway.api('POST', '/v1/signing-keys', { algorithm: 'RS256', name: 'backend' });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const created = await json<KeyView>(response);
    expect(response.headers.get('location')).toBe(`/v1/signing-keys/${created.id}`);
    expect(created).toMatchObject({
      name: 'backend',
      algorithm: 'RS256',
      managed: false,
      privateKey: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/),
      publicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/),
    });
    const one = await json<KeyView>(await gateway.api('GET', `/v1/signing-keys/${created.id}`));
    const { privateKey: _shownOnce, ...shown } = created;
    expect(one).toEqual(shown);
    const list = await json<{ items: KeyView[] }>(await gateway.api('GET', '/v1/signing-keys'));
    expect(list.items).toContainEqual(shown);
    for (const item of list.items) {
      expect(item).not.toHaveProperty('privateKey');
      expect(item.publicJwk).not.toHaveProperty('d');
    }
    // The default is ES256.
    const es = await json<KeyView>(await gateway.api('POST', '/v1/signing-keys', {}));
    expect([es.algorithm, es.name]).toEqual(['ES256', '']);
  });

  it('POST with a client’s own public key (PEM or JWK): 201 without a private key', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const publicKey of [
      pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      pair.publicKey.export({ format: 'jwk' }),
    ]) {
      const response = await gateway.api('POST', '/v1/signing-keys', { publicKey, name: 'mine' });
      expect(response.status).toBe(201);
      expect(await response.json()).not.toHaveProperty('privateKey');
    }
  });

  it.for([
    [
      'a private key',
      () => ({
        publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      }),
      GatewayErrorCode.INVALID_SIGNING_KEY,
    ],
    [
      'a private JWK',
      () => ({ publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) }),
      GatewayErrorCode.INVALID_SIGNING_KEY,
    ],
    ['garbage', () => ({ publicKey: 'garbage' }), GatewayErrorCode.INVALID_SIGNING_KEY],
    [
      'an RSA key of 1024 bits',
      () => ({
        algorithm: 'RS256',
        publicKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }),
      }),
      GatewayErrorCode.INVALID_SIGNING_KEY,
    ],
    ['HS256', () => ({ algorithm: 'HS256' }), GatewayErrorCode.VALIDATION],
    ['none', () => ({ algorithm: 'none' }), GatewayErrorCode.VALIDATION],
    ['an unknown field', () => ({ kid: 'mine' }), GatewayErrorCode.VALIDATION],
    ['an empty public key', () => ({ publicKey: '' }), GatewayErrorCode.VALIDATION],
    ['a public key that is a list', () => ({ publicKey: ['x', 'y'] }), GatewayErrorCode.VALIDATION],
    ['a public key that is a number', () => ({ publicKey: 7 }), GatewayErrorCode.INVALID_SIGNING_KEY],
  ] as const)('POST with %s: 400 problem naming publicKey or the field', async ([, body, code]) => {
    const response = await gateway.api('POST', '/v1/signing-keys', body());
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      code,
      errors: [expect.objectContaining({ field: expect.any(String) })],
    });
  });

  it('GET and DELETE of an unknown key: 404 problem; DELETE twice: 204 then 404', async () => {
    for (const id of ['unknown', 'a%20b', 'k'.repeat(64)]) {
      const response = await gateway.api('GET', `/v1/signing-keys/${id}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: GatewayErrorCode.SIGNING_KEY_NOT_FOUND });
      expect((await gateway.api('DELETE', `/v1/signing-keys/${id}`)).status).toBe(404);
    }
    expect((await gateway.api('GET', `/v1/signing-keys/${'k'.repeat(65)}`)).status).toBe(400);
    const { id } = await gateway.createKey();
    expect((await gateway.api('DELETE', `/v1/signing-keys/${id}`)).status).toBe(204);
    expect((await gateway.api('DELETE', `/v1/signing-keys/${id}`)).status).toBe(404);
    expect((await gateway.api('GET', `/v1/signing-keys/${id}`)).status).toBe(404);
  });
});

describe('POST /v1/cameras/:id/playback-tokens', () => {
  it("mints a token of the gateway's own key, with the camera's links carrying it", async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await gateway.api('POST', '/v1/cameras/door/playback-tokens', { ttlSeconds: 120 });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const minted = await json<Record<string, string>>(response);
    const { token } = minted as { token: string };
    expect(minted).toEqual({
      token: expect.any(String),
      expiresAt: expect.any(String),
      cameraId: 'door',
      playlist: `${gateway.origin}/live/door/t/${token}/index.m3u8`,
      standardPlaylist: `${gateway.origin}/live/door/t/${token}/standard.m3u8`,
      embed: `${gateway.origin}/embed/door?token=${token}`,
      snippet: expect.stringContaining(`/embed/door?token=${token}&amp;autoplay=1`),
    });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: 'door', aud: 'playback' });
    expect(claims.exp).toBeGreaterThanOrEqual(before + 120);
    expect(claims.exp).toBeLessThanOrEqual(before + 121);
    expect(new Date(minted['expiresAt'] as string).getTime()).toBe((claims.exp as number) * 1000);
    const kid = decodeProtectedHeader(token).kid;
    const keys = await json<{ items: KeyView[] }>(await gateway.api('GET', '/v1/signing-keys'));
    expect(keys.items.filter((key) => key.managed).map((key) => key.id)).toEqual([kid]);
    expect((await fetch(minted['playlist'] as string)).status).toBe(200);
  });

  it('an hour when not asked; with no body or a null one too', async () => {
    for (const body of [undefined, null, {}]) {
      const now = Math.floor(Date.now() / 1000);
      const response = await gateway.api('POST', '/v1/cameras/door/playback-tokens', body);
      expect(response.status).toBe(201);
      const { token } = await json<{ token: string }>(response);
      expect((decodeJwt(token).exp as number) - now).toBeGreaterThanOrEqual(3599);
    }
  });

  it.for([MIN_TOKEN_TTL_S - 1, MAX_TOKEN_TTL_S + 1, 1.5, 'an hour', -1, null])(
    'ttlSeconds %s: 400',
    async (ttlSeconds) => {
      const response = await gateway.api('POST', '/v1/cameras/door/playback-tokens', { ttlSeconds });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        code: GatewayErrorCode.VALIDATION,
        errors: [expect.objectContaining({ field: 'ttlSeconds' })],
      });
    },
  );

  it('an unknown camera: 404 problem', async () => {
    const response = await gateway.api('POST', '/v1/cameras/nope/playback-tokens', {});
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: GatewayErrorCode.CAMERA_NOT_FOUND });
  });

  it("deleting the gateway's own key revokes what it minted; the next token is of a new key", async () => {
    const first = await gateway.mint('door');
    expect((await fetch(first.playlist)).status).toBe(200);
    const kid = decodeProtectedHeader(first.token).kid as string;
    expect((await gateway.api('DELETE', `/v1/signing-keys/${kid}`)).status).toBe(204);
    expect((await fetch(first.playlist)).status).toBe(404);
    const next = await gateway.mint('door');
    expect(decodeProtectedHeader(next.token).kid).not.toBe(kid);
    expect((await fetch(next.playlist)).status).toBe(200);
  });

  it('the routes are in the OpenAPI description', async () => {
    const spec = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await gateway.api('GET', '/openapi.json'),
    );
    expect(Object.keys(spec.paths['/v1/signing-keys'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(spec.paths['/v1/signing-keys/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(spec.paths['/v1/cameras/{id}/playback-tokens'] ?? {})).toEqual(['post']);
  });
});
