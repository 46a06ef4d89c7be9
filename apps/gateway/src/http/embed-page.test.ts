import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
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

/** The inline scripts (no src, not data blocks). */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

describe('embed page /embed/:id', () => {
  it('serves a frameable HTML page playing the camera, with a CSP that allows its own inline script', async () => {
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
    const scripts = inlineScripts(res.body);
    expect(scripts).toHaveLength(1);
    expect(csp).toContain(`script-src 'self' ${sha256(scripts[0]!)}`);
    expect(csp).not.toContain('unsafe-inline');
    // Relative: the page works under a reverse proxy's path prefix.
    expect(res.body).toContain('<script src="../assets/hls.min.js"></script>');
    expect(res.body).toContain('<meta name="viewport"');
    expect(res.body).toContain('<title>Front door — camgate</title>');
    expect(res.body).toContain('Camera offline \\u2014 reconnecting');
    expect(configOf(res.body)).toEqual({
      id: 'front-door',
      name: 'Front door',
      src: '../live/front-door/index.m3u8',
      status: '../live/front-door/status.json',
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
    // One <script> for hls.js, the config block and the player: no more.
    expect(res.body.match(/<script/g)).toHaveLength(3);
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
