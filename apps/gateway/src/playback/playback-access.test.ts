import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaybackPolicy } from '../store/camera-store.js';
import { PlaybackAccess } from './playback-access.js';
import { PlaybackTokens } from './playback-tokens.js';
import { FileSigningKeyStore } from './signing-key-store.js';
import { SigningKeys } from './signing-keys.js';

let dir: string;
let keys: SigningKeys;
let tokens: PlaybackTokens;
const policies = new Map<string, PlaybackPolicy>([
  ['open', 'public'],
  ['cam', 'signed'],
  ['other', 'signed'],
]);
const access = () => new PlaybackAccess((id) => policies.get(id), tokens);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-access-'));
  keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
  tokens = new PlaybackTokens(keys);
});
afterAll(async () => {
  await keys.close();
  await rm(dir, { recursive: true, force: true });
});

describe('PlaybackAccess', () => {
  it('without a token: a public camera is watched (counted by address), a signed or unknown one is refused', () => {
    expect(access().check('open', undefined)).toEqual({ viewer: undefined, token: undefined });
    expect(access().check('cam', undefined)).toBeUndefined();
    expect(access().check('nope', undefined)).toBeUndefined();
  });

  it('with a token: only its own camera (sub), counted per token, synchronously once it is known', async () => {
    const { token } = await tokens.mint('cam', 60);
    const checked = access().check('cam', token);
    expect(checked).toBeInstanceOf(Promise);
    const grant = await checked;
    expect(grant).toEqual({ viewer: expect.stringMatching(/^token /), token, expiresAt: expect.any(Number) });
    expect(Math.abs((grant?.expiresAt ?? 0) - (Date.now() + 60_000))).toBeLessThan(2_000);
    expect(access().check('cam', token)).toEqual(grant);
    expect(access().check('other', token)).toBeUndefined();
    expect(access().check('nope', token)).toBeUndefined();
    // A token for a camera that is then deleted plays nothing.
    policies.delete('cam');
    expect(access().check('cam', token)).toBeUndefined();
    policies.set('cam', 'signed');
  });

  it('a token is checked on a public camera too: a bad one is refused rather than ignored', async () => {
    const { token } = await tokens.mint('open', 60);
    expect(await access().check('open', token)).toMatchObject({ token });
    expect(await access().check('open', `${token.slice(0, -2)}AA`)).toBeUndefined();
  });

  it('without a token checker (no signing keys), every token is refused', () => {
    const bare = new PlaybackAccess((id) => policies.get(id));
    expect(bare.check('open', 'a.b.c')).toBeUndefined();
    expect(bare.check('open', undefined)).toEqual({ viewer: undefined, token: undefined });
  });
});
