import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { VERSION } from '../version.js';
import type { TrackStatus, TranscodeStatus } from '../../web/dashboard/api.js';
import { trackLines, transcodeText } from '../../web/dashboard/status-text.js';
import { buildServer } from './server.js';

/** The dashboard's browser code (apps/gateway/web/dashboard), file by file. */
const WEB_DASHBOARD = new URL('../../web/dashboard/', import.meta.url);
async function scripts(): Promise<Array<[string, string]>> {
  const files = (await readdir(WEB_DASHBOARD)).filter((file) => file.endsWith('.ts'));
  return Promise.all(
    files.map(async (file) => [file, await readFile(new URL(file, WEB_DASHBOARD), 'utf8')] as [string, string]),
  );
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

  it('sends a CSP that allows only this origin: no inline script or style at all', async () => {
    const res = await app.inject('/');
    const csp = directives(String(res.headers['content-security-policy']));
    expect(Object.fromEntries(csp)).toEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'media-src': "'self' blob:",
      'connect-src': "'self'",
      'worker-src': "'self' blob:",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(res.body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
  });

  it('loads its script and style from this gateway, and they are served', async () => {
    const { body } = await app.inject('/');
    expect(body.match(/<script[^>]*>/g)).toEqual([
      '<script type="module" src="assets/web/dashboard/main.js">',
      '<script type="application/json" id="config">',
    ]);
    expect(body).toContain('<link rel="stylesheet" href="assets/web/dashboard/dashboard.css">');
    expect(body).not.toMatch(/https?:\/\//);
    for (const [file, type] of [
      ['main.js', 'text/javascript; charset=utf-8'],
      ['dashboard.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await app.inject(`/assets/web/dashboard/${file}`);
      expect({ file, status: res.statusCode, type: res.headers['content-type'] }).toEqual({ file, status: 200, type });
    }
  });

  it('uses relative URLs only, so it works under a reverse proxy path prefix', async () => {
    const { body } = await app.inject('/');
    // No root-relative URL in markup (src, href, action) or in the script's requests.
    expect(body.match(/(?:src|href|action)="\/[^"]*"/g) ?? []).toEqual([]);
    for (const [file, text] of await scripts()) {
      expect({ file, urls: text.match(/['"`]\/(?:v1|live|embed|assets|docs)\b[^'"`]*['"`]/g) ?? [] }).toEqual({
        file,
        urls: [],
      });
    }
  });

  it('builds the DOM from data with textContent, never by parsing HTML (S11)', async () => {
    const all = (await scripts()).map(([, text]) => text).join('\n');
    expect(all).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(all).toContain("setText(part(node, '.name'), camera.name)");
  });

  it('keeps the API key out of URLs, cookies and localStorage: the login input has no name, the form no action', async () => {
    const { body } = await app.inject('/');
    const login = /<form id="key-form"[^>]*>[\s\S]*?<\/form>/.exec(body)?.[0];
    expect(login).toBeDefined();
    expect(login).not.toMatch(/\saction=|\smethod=/);
    expect(/<input id="key-input"[^>]*>/.exec(login!)?.[0]).not.toMatch(/\sname=/);
    const all = (await scripts()).map(([, text]) => text).join('\n');
    expect(all).toContain('sessionStorage.setItem(KEY_STORAGE, key)');
    expect(all).not.toMatch(/localStorage|document\.cookie/);
  });

  it.each([
    ['playback', ['public', 'signed']],
    ['transcode', ['off', 'h264']],
  ])('the camera form has a %s select with the API values %j, and its error slot', async (field, values) => {
    const { body } = await app.inject('/');
    const select = new RegExp(`<select id="f-${field}" name="${field}">([\\s\\S]*?)</select>`).exec(body)?.[1];
    expect(select?.match(/value="[a-z0-9]+"/g)).toEqual(values.map((value) => `value="${value}"`));
    expect(body).toContain(`data-error-for="${field}"`);
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

describe('dashboard status words (web/dashboard/status-text.ts)', () => {
  const H265_SUPPORT = 'Plays in Safari, and in Chrome and Edge where the operating system decodes H.265 in hardware.';
  it.each<[string, TrackStatus, { line: string; why: string }]>([
    [
      'H.264, every browser',
      {
        kind: 'video',
        codec: 'h264',
        width: 640,
        height: 360,
        fps: 25,
        delivered: { codec: 'h264', codecString: 'avc1.64001f' },
        browsers: 'all',
        browserSupport: 'Plays in all current browsers.',
      },
      { line: 'Video: H.264 640×360 25 fps · plays in every browser', why: '' },
    ],
    [
      'H.265, some browsers, and which',
      {
        kind: 'video',
        codec: 'h265',
        delivered: { codec: 'h265', codecString: 'hvc1.1.6.L93.B0' },
        browsers: 'some',
        browserSupport: H265_SUPPORT,
      },
      { line: 'Video: H.265 · plays in some browsers', why: H265_SUPPORT },
    ],
    [
      'G.711 delivered as FLAC',
      {
        kind: 'audio',
        codec: 'pcma',
        sampleRate: 8000,
        delivered: { codec: 'flac', codecString: 'fLaC' },
        browsers: 'all',
        browserSupport: 'Plays in all current browsers.',
      },
      { line: 'Audio: G.711 A-law → FLAC 8 kHz · plays in every browser', why: '' },
    ],
    [
      'left out, with the reason',
      {
        kind: 'audio',
        codec: 'opus',
        delivered: null,
        browsers: 'none',
        browserSupport: 'Left out of the stream.',
        reason: 'audio is off',
      },
      { line: 'Audio: Opus · not delivered', why: 'Left out of the stream. audio is off' },
    ],
  ])('%s', (_name, track, expected) => {
    expect(trackLines(track)).toEqual(expected);
  });

  it.each<[TranscodeStatus, string]>([
    [
      { codec: 'h264', codecString: 'avc1.64001f', state: 'running', cpuPercent: 34.4, viewers: 1, lastError: null },
      'H.264 transcoding: running · 34% CPU · 1 viewer',
    ],
    [
      { codec: 'h264', codecString: 'avc1.64001f', state: 'idle', cpuPercent: 0, viewers: 0, lastError: null },
      'H.264 transcoding: idle (it starts when someone watches the H.264 stream)',
    ],
    [
      {
        codec: 'h264',
        codecString: 'avc1.64001f',
        state: 'failed',
        cpuPercent: 0,
        viewers: 0,
        lastError: { code: 'X', message: 'ffmpeg exited', at: '' },
      },
      'H.264 transcoding failed: ffmpeg exited',
    ],
  ])('transcode %j', (transcode, text) => {
    expect(transcodeText(transcode)).toBe(text);
  });
});
