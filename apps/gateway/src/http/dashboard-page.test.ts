import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { VERSION } from '../version.js';
import { buildServer } from './server.js';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

function directives(csp: string): Map<string, string> {
  return new Map(
    csp.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values.join(' ')] as const;
    }),
  );
}

describe('dashboard page /', () => {
  let dir: string;
  let cameras: CameraManager;
  let app: ReturnType<typeof buildServer>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-dashboard-'));
    cameras = await CameraManager.open({ store: await FileCameraStore.open(dir) });
    app = buildServer({ logger: pino({ level: 'silent' }), cameras });
  });

  afterAll(async () => {
    await app.close();
    await cameras.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 200 text/html, not cached, with a viewport and the version in the header', async () => {
    const res = await app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toMatch(/^<!doctype html>/);
    expect(res.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(res.body).toContain(`<h1>camgate ${VERSION}</h1>`);
  });

  it('sends a CSP that allows only this origin, and its inline script and style by hash', async () => {
    const res = await app.inject('/');
    const csp = directives(String(res.headers['content-security-policy']));
    const script = /<script>([\s\S]*?)<\/script>/.exec(res.body)?.[1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.body)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    expect(Object.fromEntries(csp)).toEqual({
      'default-src': "'none'",
      'script-src': `'self' ${sha256(script!)}`,
      'style-src': `'self' ${sha256(style!)}`,
      'img-src': "'self' data:",
      'media-src': "'self' blob:",
      'connect-src': "'self'",
      'worker-src': "'self' blob:",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
  });

  it('is self-contained: hls.js from this gateway, no other script, no external URL', async () => {
    const { body } = await app.inject('/');
    const scriptTags = body.match(/<script[^>]*>/g);
    expect(scriptTags).toEqual([
      '<script type="application/json" id="config">',
      '<script src="assets/hls.min.js">',
      '<script>',
    ]);
    expect(body).not.toMatch(/https?:\/\//);
    expect(body).toContain('lowLatencyMode: options.lowLatency !== false');
    expect(body).toContain('IntersectionObserver');
    expect(body).toContain("canPlayType('application/vnd.apple.mpegurl')");
  });

  it('uses relative URLs only, so it works under a reverse proxy path prefix', async () => {
    const { body } = await app.inject('/');
    // No root-relative URL in markup (src, href, action) or in the script's requests.
    expect(body.match(/(?:src|href|action)="\/[^"]*"/g) ?? []).toEqual([]);
    expect(body.match(/['"]\/(?:v1|live|embed|assets|docs)\b[^'"]*['"]/g) ?? []).toEqual([]);
  });

  it('builds the DOM from data with textContent, never by parsing HTML (S11)', async () => {
    const { body } = await app.inject('/');
    expect(body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(body).toContain('.textContent = camera.name');
  });

  it('keeps the API key out of URLs, cookies and localStorage: the login input has no name, the form no action', async () => {
    const { body } = await app.inject('/');
    const login = /<form id="key-form"[^>]*>[\s\S]*?<\/form>/.exec(body)?.[0];
    expect(login).toBeDefined();
    expect(login).not.toMatch(/\saction=|\smethod=/);
    expect(/<input id="key-input"[^>]*>/.exec(login!)?.[0]).not.toMatch(/\sname=/);
    expect(body).toContain('sessionStorage.setItem(KEY_STORAGE, key)');
    expect(body).not.toMatch(/localStorage|document\.cookie/);
  });

  it('the camera form has a playback select (public or signed) sent as the API field `playback`', async () => {
    const { body } = await app.inject('/');
    const select = /<select id="f-playback" name="playback">([\s\S]*?)<\/select>/.exec(body)?.[1];
    expect(select?.match(/value="[a-z]+"/g)).toEqual(['value="public"', 'value="signed"']);
    expect(body).toContain('data-error-for="playback"');
  });

  it('tells the page whether the camera API exists', async () => {
    const config = (html: string) =>
      JSON.parse(/<script type="application\/json" id="config">([^<]*)<\/script>/.exec(html)![1]!) as {
        api: boolean;
        version: string;
      };
    expect(config((await app.inject('/')).body)).toMatchObject({ api: true, version: VERSION });
    const bare = buildServer({ logger: pino({ level: 'silent' }) });
    try {
      const res = await bare.inject('/');
      expect(res.statusCode).toBe(200);
      expect(config(res.body)).toMatchObject({ api: false });
    } finally {
      await bare.close();
    }
  });
});
