import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { CLOCK_TOLERANCE_S } from '../playback/playback-tokens.js';
import { SignedGateway } from '../playback/test-signed-gateway.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { parseFlag, type EmbedConfig } from './embed-page.js';
import { escapeHtml } from './html.js';
import { buildServer } from './server.js';

const HOSTILE_NAMES = ['<img src=x onerror=alert(1)>', '</script><script>alert(1)</script>'] as const;

let dir: string;
let cameras: CameraManager;
let app: FastifyInstance;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-embed-'));
  cameras = await CameraManager.open({ store: await FileCameraStore.open(dir) });
  app = buildServer({ logger: pino({ level: 'silent' }), cameras });
});

afterEach(async () => {
  await app.close();
  await cameras.close();
  await rm(dir, { recursive: true, force: true });
});

/** Disabled cameras: the page does not care whether the camera runs, and nothing dials out. */
async function addCamera(id: string, name = 'Front door'): Promise<void> {
  await cameras.create({ id, name, url: 'rtsp://127.0.0.1:9/stream1', enabled: false });
}

/** The page's config block, parsed as the inline script parses it. */
function configOf(html: string): EmbedConfig {
  const json = /<script type="application\/json" id="config">([^<]*)<\/script>/.exec(html)?.[1];
  expect(json).toBeDefined();
  return JSON.parse(json!) as EmbedConfig;
}

/** The scripts that run (not data blocks): all are files, none inline. */
function scripts(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*type="application\/json")([^>]*)>/g)].map((m) => m[1]!);
}

describe('embed page /embed/:id', () => {
  it('serves a frameable HTML page playing the camera with <camgate-player>, with a CSP that allows only its own files', async () => {
    await addCamera('front-door');
    const res = await app.inject('/embed/front-door');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-frame-options']).toBeUndefined();
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('frame-ancestors *');
    expect(csp).toContain("media-src 'self' blob:");
    expect(csp).toContain("worker-src 'self' blob:");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    // Relative: the page works under a reverse proxy's path prefix. No inline script or style.
    expect(scripts(res.body)).toEqual([' type="module" src="../assets/web/embed/embed.js"']);
    expect(res.body).toContain('<link rel="stylesheet" href="../assets/web/embed/embed.css">');
    expect(res.body).not.toMatch(/<style|style="/);
    expect(res.body).toContain('<camgate-player id="player" no-overlay></camgate-player>');
    expect(res.body).toContain('<meta name="viewport"');
    expect(res.body).toContain('<title>Front door — camgate</title>');
    expect(configOf(res.body)).toEqual({
      id: 'front-door',
      name: 'Front door',
      src: '../live/front-door/index.m3u8',
      status: '../live/front-door/status.json',
      poster: '../live/front-door/snapshot.jpg',
      autoplay: true,
      muted: true,
      controls: true,
    });
  });

  it.for([
    ['autoplay=0&muted=0&controls=0', { autoplay: false, muted: false, controls: false }],
    ['autoplay=false&muted=false&controls=false', { autoplay: false, muted: false, controls: false }],
    ['autoplay=1&muted=true&controls=1', { autoplay: true, muted: true, controls: true }],
    ['muted=0', { autoplay: true, muted: false, controls: true }],
    ['autoplay=yes&muted=2&controls=', { autoplay: true, muted: true, controls: true }],
    ['autoplay=TRUE&muted=False&controls=01', { autoplay: true, muted: true, controls: true }],
    ['autoplay=0&autoplay=0', { autoplay: true, muted: true, controls: true }],
    ['controls=0&unknown=1', { autoplay: true, muted: true, controls: false }],
  ] as const)('query %s -> %o in the config', async ([query, expected]) => {
    await addCamera('cam');
    const res = await app.inject(`/embed/cam?${query}`);
    expect(res.statusCode).toBe(200);
    expect(configOf(res.body)).toMatchObject(expected);
  });

  it.for(HOSTILE_NAMES)('never puts the camera name %s into the HTML unescaped (S11)', async (name) => {
    await addCamera('hostile', name);
    const res = await app.inject('/embed/hostile');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(name);
    expect(res.body).not.toContain('<img');
    expect(res.body).not.toContain('<script>alert');
    // One <script> for the page's module and the config block: no more.
    expect(res.body.match(/<script/g)).toHaveLength(2);
    expect(res.body).toContain(`<title>${escapeHtml(name)} — camgate</title>`);
    expect(configOf(res.body).name).toBe(name);
  });

  it('404 HTML page, the id escaped, for an unknown camera', async () => {
    const res = await app.inject('/embed/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.body).not.toContain('<img');
    expect(res.body).not.toContain('<script');
  });

  it('404 for every id when the gateway has no camera registry', async () => {
    const bare = buildServer({ logger: pino({ level: 'silent' }) });
    try {
      const res = await bare.inject('/embed/front-door');
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    } finally {
      await bare.close();
    }
  });
});

describe('embed page of signed cameras', () => {
  let gateway: SignedGateway;
  /** The gateway's clock for tokens: moved forward to expire them. */
  let clock = Date.now();

  beforeAll(async () => {
    gateway = await SignedGateway.start({ now: () => clock });
    // Disabled: the page does not care whether the camera runs, and nothing dials out.
    for (const [id, playback] of [
      ['vault', 'signed'],
      ['other', 'signed'],
      ['lobby', 'public'],
    ] as const) {
      const res = await gateway.api('POST', '/v1/cameras', {
        id,
        name: id,
        url: 'rtsp://127.0.0.1:9/x',
        allowDuplicateSource: true,
        enabled: false,
        playback,
      });
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    await gateway.close();
  });

  /** What a refusal shows: status, the headers a page sends, and the body's bytes. */
  async function answer(
    path: string,
  ): Promise<{ status: number; headers: Record<string, string | null>; body: string }> {
    const res = await fetch(`${gateway.origin}${path}`);
    const headers: Record<string, string | null> = {};
    for (const name of [
      'content-type',
      'cache-control',
      'content-security-policy',
      'referrer-policy',
      'x-content-type-options',
    ])
      headers[name] = res.headers.get(name);
    return { status: res.status, headers, body: await res.text() };
  }

  it("a signed camera: every refusal is the unknown camera's 404, byte for byte (no, bad, tampered, other camera's, expired token)", async () => {
    const other = (await gateway.mint('other')).token;
    const valid = (await gateway.mint('vault', 10)).token;
    const tampered = `${valid.slice(0, -2)}${valid.endsWith('AA') ? 'BB' : 'AA'}`;
    const refusals: Record<string, string> = {
      'no token': '/embed/vault',
      'empty token': '/embed/vault?token=',
      'a repeated token': `/embed/vault?token=${valid}&token=${valid}`,
      'not a JWT': '/embed/vault?token=not-a-token',
      'the {token} template': '/embed/vault?token={token}',
      'a tampered signature': `/embed/vault?token=${tampered}`,
      "another camera's token": `/embed/vault?token=${other}`,
      "another camera's token, path form": `/embed/vault/t/${other}`,
      'not a JWT, path form': '/embed/vault/t/abc.def.ghi',
    };
    const answers = new Map<string, Awaited<ReturnType<typeof answer>>>();
    for (const [name, path] of Object.entries(refusals)) answers.set(name, await answer(path));
    // Valid now; refused once expired (past the clock tolerance), query and path form alike.
    expect((await answer(`/embed/vault?token=${valid}`)).status).toBe(200);
    clock += (10 + CLOCK_TOLERANCE_S + 1) * 1000;
    answers.set('an expired token', await answer(`/embed/vault?token=${valid}`));
    answers.set('an expired token, path form', await answer(`/embed/vault/t/${valid}`));
    expect((await gateway.api('DELETE', '/v1/cameras/vault')).status).toBe(204);
    const unknown = await answer('/embed/vault');
    expect(unknown.status).toBe(404);
    expect(unknown.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'referrer-policy': 'no-referrer',
    });
    expect(unknown.body).toContain('There is no camera “vault” here, or this link is not valid (it may have expired).');
    for (const [name, refusal] of answers) expect({ name, ...refusal }).toEqual({ name, ...unknown });
    // A public camera with a token that is not valid: refused the same way as its streams would be.
    const lobby = await answer(`/embed/lobby?token=${other}`);
    expect(lobby).toEqual({ ...unknown, body: unknown.body.replaceAll('vault', 'lobby') });
  });

  it('a valid token: the page plays through the token path, says when the token expires, and sends no Referer', async () => {
    const minted = await gateway.mint('other', 600);
    const res = await fetch(`${gateway.origin}/embed/other?token=${minted.token}&controls=0`);
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    const config = configOf(html);
    const exp = (JSON.parse(Buffer.from(minted.token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    expect(config).toEqual({
      id: 'other',
      name: 'other',
      src: `../live/other/t/${minted.token}/index.m3u8`,
      status: `../live/other/t/${minted.token}/status.json`,
      poster: `../live/other/t/${minted.token}/snapshot.jpg`,
      autoplay: true,
      muted: true,
      controls: false,
      token: minted.token,
      expiresAt: exp * 1000,
      now: expect.any(Number) as number,
    });
    expect(scripts(html)).toEqual([' type="module" src="../assets/web/embed/embed.js"']);
    // The embed URL the API returns is this page.
    expect(minted.embed).toBe(`${gateway.origin}/embed/other?token=${minted.token}`);
  });

  it('the path form /embed/<id>/t/<token>: the same page, its relative URLs one level deeper, and they lead to the stream', async () => {
    const { token } = await gateway.mint('other', 600);
    const page = `${gateway.origin}/embed/other/t/${token}`;
    const res = await fetch(`${page}?muted=0`);
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    const config = configOf(html);
    expect(config).toMatchObject({ src: `../../../live/other/t/${token}/index.m3u8`, muted: false, token });
    expect(new URL(config.src, page).pathname).toBe(`/live/other/t/${token}/index.m3u8`);
    // Resolved against the page, the status and the player script answer (the camera is disabled).
    const status = await fetch(new URL(config.status, page));
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ state: 'disabled' });
    const script = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
    expect(script).toBe('../../../assets/web/embed/embed.js');
    expect((await fetch(new URL(script!, page))).status).toBe(200);
    const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
    expect((await fetch(new URL(stylesheet!, page))).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('a public camera: plays without a token as before, and through the token path with a valid one', async () => {
    const plain = await fetch(`${gateway.origin}/embed/lobby`);
    expect(plain.status).toBe(200);
    const config = configOf(await plain.text());
    expect(config).toMatchObject({ src: '../live/lobby/index.m3u8', status: '../live/lobby/status.json' });
    expect(config.token).toBeUndefined();
    expect(config.expiresAt).toBeUndefined();
    const { token } = await gateway.mint('lobby', 600);
    const tokened = await fetch(`${gateway.origin}/embed/lobby?token=${token}`);
    expect(tokened.status).toBe(200);
    expect(configOf(await tokened.text())).toMatchObject({ src: `../live/lobby/t/${token}/index.m3u8`, token });
  });
});

describe('parseFlag', () => {
  it.for([
    ['1', false, true],
    ['true', false, true],
    ['0', true, false],
    ['false', true, false],
    ['yes', false, false],
    ['', true, true],
    [undefined, true, true],
    [['0', '0'], true, true],
  ] as const)('parseFlag(%o, default %o) is %o', ([value, fallback, expected]) => {
    expect(parseFlag(value, fallback)).toBe(expected);
  });
});
