/// <reference lib="dom" />
// The page functions below run in Chromium: they use the DOM types, which the gateway does not otherwise load.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import { getFreePort, hasTools, launchChromium, requireTools, type ChromiumSession } from '@camgate/testkit';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { SignedGateway, TEST_API_KEY } from '../playback/test-signed-gateway.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';
import { loadTlsFiles } from './tls.js';

type Page = ChromiumSession['page'];

/** The test-only certificate for localhost and 127.0.0.1 (testdata/tls/README.md). */
const TEST_CERT = new URL('../../testdata/tls/localhost.crt', import.meta.url).pathname;
const TEST_KEY = new URL('../../testdata/tls/localhost.key', import.meta.url).pathname;

/** A name that runs script if any page puts it into HTML unescaped (S11). */
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

let camsim: CamsimServer | undefined;
let dir: string | undefined;
let cameras: CameraManager | undefined;
let app: FastifyInstance | undefined;
let browser: ChromiumSession | undefined;
let origin = '';

beforeAll(async () => {
  if (!hasTools('chromium')) return;
  camsim = await CamsimServer.start();
  dir = await mkdtemp(join(tmpdir(), 'camgate-dashboard-'));
  cameras = await CameraManager.open({
    store: await FileCameraStore.open(dir),
    pipeline: () => ({ backoff: { initialMs: 200, maxMs: 1000 } }),
  });
  app = buildServer({ logger: pino({ level: 'silent' }), cameras });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium({ ignoreHTTPSErrors: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await cameras?.close();
  await camsim?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

interface Watch {
  pageErrors: string[];
  dialogs: string[];
  cspViolations: string[];
}

/** A fresh tab that records script errors, dialogs (confirms accepted) and CSP violations. */
async function openTab(): Promise<{ page: Page; watch: Watch }> {
  const page = await browser!.context.newPage();
  const watch: Watch = { pageErrors: [], dialogs: [], cspViolations: [] };
  page.on('pageerror', (error) => watch.pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void (dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss());
  });
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) watch.cspViolations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const w = window as unknown as { cspViolations?: string[] };
      (w.cspViolations ??= []).push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { page, watch };
}

async function cspViolationsIn(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
}

/** Adds a camera through the API; these tests pull the one simulated camera many times on purpose. */
async function addCamera(body: Record<string, unknown>): Promise<string> {
  const payload = { allowDuplicateSource: true, ...body };
  const res = await app!.inject({ method: 'POST', url: '/v1/cameras', payload });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

async function removeCamera(id: string): Promise<void> {
  if (cameras?.get(id) !== undefined) await cameras.delete(id);
}

/** `count` cameras pulling the simulated camera, ids `<prefix>-0` to `<prefix>-<count - 1>`. */
async function addWall(prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const camera = { id: `${prefix}-${i}`, name: `${prefix} ${i}`, url: camsim!.url('/h264-aac'), transport: 'tcp' };
    ids.push(await addCamera(camera));
  }
  return ids;
}

/** The URLs of the page's requests under /live/, from now on. */
function liveRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/live/')) urls.push(request.url());
  });
  return urls;
}

/** Resolves once the video plays and its currentTime has advanced `seconds` from where it started. */
async function waitForPlayback(page: Page, selector: string, seconds: number): Promise<void> {
  // In the page: the video `sel` names, or the one in the shadow root of the <camgate-player> it names.
  const playing = (sel: string) => {
    const node = document.querySelector(sel);
    const video = node instanceof HTMLVideoElement ? node : (node?.shadowRoot?.querySelector('video') ?? null);
    return video !== null && !video.paused && video.readyState >= 3 ? video.currentTime : false;
  };
  const options = { timeout: 60_000, polling: 250 };
  const started = Number(await (await page.waitForFunction(playing, selector, options)).jsonValue());
  await page.waitForFunction(
    ([sel, from, s]) => {
      const node = document.querySelector(sel);
      const video = node instanceof HTMLVideoElement ? node : (node?.shadowRoot?.querySelector('video') ?? null);
      return (video?.currentTime ?? 0) > from + s;
    },
    [selector, started, seconds] as const,
    options,
  );
}

/** Mean and variance of the luma of the video's current frame, drawn into a canvas. */
async function frameStats(page: Page, selector: string): Promise<{ mean: number; variance: number }> {
  return page.evaluate((sel) => {
    const node = document.querySelector(sel);
    const video = node instanceof HTMLVideoElement ? node : (node?.shadowRoot?.querySelector('video') ?? null);
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 90;
    const context = canvas.getContext('2d');
    if (video === null || context === null) return { mean: 0, variance: 0 };
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < data.length; i += 4) {
      const luma = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      sum += luma;
      squares += luma * luma;
    }
    const n = data.length / 4;
    const mean = sum / n;
    return { mean, variance: squares / n - mean * mean };
  }, selector);
}

describe('dashboard and embed page in headless Chromium', () => {
  it('the dashboard plays the camera live, shows its hostile name as text, under its CSP', async (ctx) => {
    requireTools(ctx, 'chromium');
    const id = await addCamera({ name: HOSTILE_NAME, url: camsim!.url('/h264-aac'), transport: 'tcp' });
    const { page, watch } = await openTab();
    const tile = `.tile[data-id="${id}"]`;
    try {
      await page.goto(`${origin}/`);
      await waitForPlayback(page, `${tile} camgate-player`, 2);

      expect(await page.locator(`${tile} .name`).textContent()).toBe(HOSTILE_NAME);
      expect(await page.locator('img').count()).toBe(0);
      await page.waitForFunction((sel) => document.querySelector(`${sel} .badge`)?.textContent === 'streaming', tile, {
        timeout: 15_000,
      });
      expect(await page.locator(`${tile} .badge`).getAttribute('data-state')).toBe('streaming');
      expect(await page.locator(`${tile} .screen > .overlay`).isHidden()).toBe(true);
      // Absolute (the gateway's address as the page reached it): it is pasted on other sites.
      expect(await page.locator(`${tile} .snippet`).inputValue()).toMatch(
        new RegExp(`^<iframe src="${origin}/embed/${id}\\?autoplay=1&amp;muted=1"`),
      );

      const png = await page.locator(`${tile} camgate-player`).screenshot();
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      const frame = await frameStats(page, `${tile} camgate-player`);
      expect(frame.variance).toBeGreaterThan(100);

      expect(watch.pageErrors).toEqual([]);
      expect(watch.dialogs).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
      await ctx.annotate(
        `frame luma mean ${frame.mean.toFixed(1)}, variance ${frame.variance.toFixed(0)}; screenshot ${png.length} bytes`,
      );
    } finally {
      await page.close();
      await removeCamera(id);
    }
  }, 120_000);

  it('the add form shows the API field errors by the fields; edit sends only what changed; delete confirms', async (ctx) => {
    requireTools(ctx, 'chromium');
    const { page, watch } = await openTab();
    const patches: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PATCH') patches.push(request.postData() ?? '');
    });
    try {
      await page.goto(`${origin}/`);
      await page.click('#add-button');
      await page.fill('#f-name', 'Porch');
      await page.fill('#f-url', 'http://example.com/stream');
      await page.click('#camera-form button[type="submit"]');
      const urlError = page.locator('[data-error-for="url"]');
      await urlError.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await urlError.textContent()).not.toBe('');
      expect(await page.locator('#f-url').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('[data-error-for="name"]').isHidden()).toBe(true);

      // A password the page only ever sees as ***; the camera stays disabled (nothing to dial).
      await page.fill('#f-url', 'rtsp://admin:s3cret@127.0.0.1:9/stream1');
      await page.uncheck('#camera-form input[name="enabled"]');
      await page.click('#camera-form button[type="submit"]');
      await page.locator('#camera-dialog').waitFor({ state: 'hidden', timeout: 10_000 });
      const tile = page.locator('.tile[data-id="porch"]');
      await tile.waitFor({ timeout: 10_000 });
      await page.waitForFunction(
        () => document.querySelector('.tile[data-id="porch"] .badge')?.textContent === 'disabled',
        null,
        { timeout: 10_000 },
      );
      expect(cameras!.get('porch')).toMatchObject({ name: 'Porch', enabled: false });

      await tile.locator('.edit').click();
      // The credentials have their own fields; the password is never shown, not even as ***.
      expect(await page.inputValue('#f-url')).toBe('rtsp://127.0.0.1:9/stream1');
      expect(await page.inputValue('#f-username')).toBe('admin');
      expect(await page.inputValue('#f-password')).toBe('');
      await page.fill('#f-name', 'Back porch');
      await page.click('#camera-form button[type="submit"]');
      await page.waitForFunction(
        () => document.querySelector('.tile[data-id="porch"] .name')?.textContent === 'Back porch',
        null,
        { timeout: 10_000 },
      );
      expect(patches.map((body) => JSON.parse(body) as unknown)).toEqual([{ name: 'Back porch' }]);
      expect(cameras!.get('porch')?.name).toBe('Back porch');

      await tile.locator('.delete').click();
      await tile.waitFor({ state: 'detached', timeout: 10_000 });
      expect(cameras!.get('porch')).toBeUndefined();
      expect(watch.dialogs).toEqual([expect.stringMatching(/^confirm: Delete the camera “Back porch”/)]);
      expect(watch.pageErrors).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      await removeCamera('porch');
    }
  }, 90_000);

  it('a keyed gateway: a login screen first; the key kept in sessionStorage only; a signed camera plays with minted tokens through /t/', async (ctx) => {
    requireTools(ctx, 'chromium');
    const gateway = await SignedGateway.start();
    const { page, watch } = await openTab();
    const urls: string[] = [];
    const tokenRequests: string[] = [];
    page.on('request', (request) => {
      urls.push(request.url());
      if (request.url().endsWith('/playback-tokens')) tokenRequests.push(request.postData() ?? '');
    });
    const tile = '.tile[data-id="vault"]';
    try {
      await gateway.addCamera('vault', 'signed');
      await page.goto(`${gateway.origin}/`);
      // The login screen, and nothing of the cameras: no API request is made without a key.
      await page.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator('main').isHidden()).toBe(true);
      expect(await page.locator('#add-button').isHidden()).toBe(true);
      expect(urls.filter((url) => url.includes('/v1/'))).toEqual([]);

      await page.fill('#key-input', 'wrong-key');
      await page.click('#key-form button[type="submit"]');
      await page.waitForFunction(() => document.getElementById('key-error')?.textContent.includes('refused'), null, {
        timeout: 10_000,
      });
      expect(await page.locator('#login').isVisible()).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('camgate.apiKey'))).toBeNull();

      await page.fill('#key-input', TEST_API_KEY);
      await page.click('#key-form button[type="submit"]');
      await waitForPlayback(page, `${tile} camgate-player`, 2);
      expect(await page.locator('#login').isHidden()).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('camgate.apiKey'))).toBe(TEST_API_KEY);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(await page.context().cookies()).toEqual([]);
      expect(urls.filter((url) => url.includes(TEST_API_KEY))).toEqual([]);

      // The tile plays with a token the page minted: every stream request carries it in the path.
      expect(tokenRequests.map((body) => JSON.parse(body) as unknown)).toEqual([{ ttlSeconds: 600 }]);
      const live = urls.filter((url) => url.includes('/live/'));
      expect(live.length).toBeGreaterThan(0);
      expect(live.filter((url) => !/\/live\/vault\/t\/[\w-]+\.[\w-]+\.[\w-]+\/[^/]+$/.test(url))).toEqual([]);

      // The embed snippet is a template, with how a site's backend mints tokens.
      await page.locator(`${tile} details.embed summary`).click();
      expect(await page.locator(`${tile} .snippet`).inputValue()).toContain(
        `<iframe src="${gateway.origin}/embed/vault?token={token}&amp;autoplay=1&amp;muted=1"`,
      );
      expect(await page.locator(`${tile} .signing-text`).textContent()).toMatch(/backend mints a playback token/);
      expect(await page.locator(`${tile} .signing-node`).textContent()).toContain(
        "import { importPKCS8, SignJWT } from 'jose'",
      );
      expect(await page.locator(`${tile} .signing-python`).isVisible()).toBe(true);
      // A new camera is signed by default on a keyed gateway.
      await page.click('#add-button');
      expect(await page.inputValue('#f-playback')).toBe('signed');
      await page.click('#cancel');

      // "Open player" opens the embed page with a token of its own, minted on the click.
      const [popup] = await Promise.all([page.context().waitForEvent('page'), page.click(`${tile} .open`)]);
      try {
        await popup.waitForURL(/\/embed\/vault\/t\/[\w-]+\.[\w-]+\.[\w-]+$/, { timeout: 10_000 });
        await waitForPlayback(popup, '#player', 1);
        // Opened with noopener: the player's window got no copy of the dashboard's sessionStorage (the key).
        expect(await popup.evaluate(() => [sessionStorage.length, window.opener === null])).toEqual([0, true]);
        expect(tokenRequests.map((body) => JSON.parse(body) as unknown)).toEqual([
          { ttlSeconds: 600 },
          { ttlSeconds: 3600 },
        ]);
      } finally {
        await popup.close();
      }

      // A reload keeps the session; signing out forgets the key.
      await page.reload();
      await page.locator(tile).waitFor({ timeout: 10_000 });
      expect(await page.locator('#login').isHidden()).toBe(true);
      await page.click('#sign-out');
      await page.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator(tile).count()).toBe(0);
      expect(await page.evaluate(() => sessionStorage.getItem('camgate.apiKey'))).toBeNull();
      expect(watch.pageErrors).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      // Chromium keeps sockets it opened ahead (preconnects) without sending a request on them;
      // Fastify's close() waits for those, so they are cut here (the browser stays open).
      const closed = gateway.close();
      gateway.app.server.closeAllConnections();
      await closed;
    }
  }, 60_000);

  it('the embed page plays, says the camera is disabled while it is, and recovers by itself', async (ctx) => {
    requireTools(ctx, 'chromium');
    const id = await addCamera({ name: HOSTILE_NAME, url: camsim!.url('/h264-aac'), transport: 'tcp' });
    const { page, watch } = await openTab();
    try {
      await page.goto(`${origin}/embed/${id}`);
      await waitForPlayback(page, '#player', 2);
      expect(await page.title()).toBe(`${HOSTILE_NAME} — camgate`);
      expect(await page.locator('#overlay').isHidden()).toBe(true);
      expect(await page.locator('#player video').evaluate((v: HTMLVideoElement) => [v.muted, v.controls])).toEqual([
        true,
        true,
      ]);

      await cameras!.update(id, { enabled: false });
      await page.waitForFunction(
        () => {
          const overlay = document.getElementById('overlay');
          return overlay !== null && !overlay.hidden && overlay.textContent.includes('This camera is disabled');
        },
        null,
        { timeout: 60_000, polling: 250 },
      );

      await cameras!.update(id, { enabled: true });
      await page.waitForFunction(() => document.getElementById('overlay')?.hidden === true, null, {
        timeout: 60_000,
        polling: 250,
      });
      await waitForPlayback(page, '#player', 2);

      expect(watch.pageErrors).toEqual([]);
      expect(watch.dialogs).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      await removeCamera(id);
    }
  }, 180_000);

  it('a camera that cannot be reached: retrying with the reason on the dashboard, the offline overlay when embedded', async (ctx) => {
    requireTools(ctx, 'chromium');
    const deadPort = await getFreePort();
    const id = await addCamera({ id: 'unreachable', name: 'Unreachable', url: `rtsp://127.0.0.1:${deadPort}/x` });
    const { page, watch } = await openTab();
    const tile = '.tile[data-id="unreachable"]';
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction(
        (sel) => {
          const state = document.querySelector(`${sel} .badge`)?.getAttribute('data-state');
          return (
            (state === 'retrying' || state === 'failed') && document.querySelector(`${sel} .error`)?.textContent !== ''
          );
        },
        tile,
        { timeout: 30_000 },
      );
      expect(await page.locator(`${tile} .overlay-text`).textContent()).toBe('Camera offline — reconnecting…');
      expect(await page.locator(`${tile} .error`).isVisible()).toBe(true);

      await page.goto(`${origin}/embed/${id}`);
      await page.waitForFunction(() => document.getElementById('overlay')?.hidden === false, null, { timeout: 5_000 });
      await page.waitForFunction(
        () => document.getElementById('message')?.textContent === 'Camera offline — reconnecting…',
        null,
        { timeout: 30_000, polling: 250 },
      );
      expect(watch.pageErrors).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      await removeCamera(id);
    }
  }, 90_000);
  it('a camera that failed (wrong password): its reason instead of "offline", no player, no viewer; it plays once fixed', async (ctx) => {
    requireTools(ctx, 'chromium');
    const locked = await CamsimServer.start({ auth: { username: 'admin', password: 'right-pw' } });
    const id = await addCamera({
      id: 'locked',
      name: 'Locked',
      url: locked.url('/h264-aac', { username: 'admin', password: 'wrong-pw' }),
      transport: 'tcp',
    });
    const { page, watch } = await openTab();
    const requests = liveRequests(page);
    const REASON = 'Camera unavailable — wrong user name or password';
    try {
      await expect.poll(() => cameras!.get(id)?.status.state, { timeout: 30_000 }).toBe('failed');
      await page.goto(`${origin}/`);
      const tile = '.tile[data-id="locked"]';
      await page.waitForFunction(
        ([sel, text]) => document.querySelector(`${sel} .overlay-text`)?.textContent === text,
        [tile, REASON] as const,
        { timeout: 15_000 },
      );
      expect(await page.locator(`${tile} .badge`).getAttribute('data-state')).toBe('failed');
      // Another poll of the API, and still no request for the camera's stream: no viewer of it.
      await page.waitForResponse((response) => response.url().includes('/v1/cameras?'), { timeout: 10_000 });
      expect(requests.filter((url) => url.includes('/live/locked/'))).toEqual([]);
      expect(cameras!.get(id)?.status.viewers).toBe(0);

      // Embedded: the same words; the page asks for the state (held), never for the playlist.
      await page.goto(`${origin}/embed/${id}`);
      await page.waitForFunction((text) => document.getElementById('message')?.textContent === text, REASON, {
        timeout: 15_000,
      });
      // (Its poster, the camera's snapshot, is no stream: 503 while the camera has no picture.)
      expect(
        requests.filter((url) => url.includes('/live/locked/') && !/\/(status\.json|snapshot\.jpg)/.test(url)),
      ).toEqual([]);
      expect(cameras!.get(id)?.status.viewers).toBe(0);

      // Fixed: the held state request answers at once, and the page plays.
      await cameras!.update(id, { password: 'right-pw' });
      await waitForPlayback(page, '#player', 2);
      expect(await page.locator('#overlay').isHidden()).toBe(true);
      expect(watch.pageErrors).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      await removeCamera(id);
      await locked.close();
    }
  }, 120_000);

  it('the add form tests the connection before saving; a second pull of a stream needs a tick; an edit keeps the password', async (ctx) => {
    requireTools(ctx, 'chromium');
    const locked = await CamsimServer.start({ auth: { username: 'admin', password: 'right-pw' } });
    const url = locked.url('/h264-aac');
    const { page, watch } = await openTab();
    const bodies: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PATCH' || request.method() === 'POST') bodies.push(request.postData() ?? '');
    });
    const result = page.locator('#probe-result');
    try {
      await page.goto(`${origin}/`);
      await page.click('#add-button');
      await page.fill('#f-name', 'Gate');
      await page.fill('#f-url', url);
      await page.fill('#f-username', 'admin');
      await page.fill('#f-password', 'wrong-pw');
      await page.click('#probe');
      await page.waitForFunction(
        () => document.getElementById('probe-result')?.getAttribute('data-ok') === 'false',
        null,
        { timeout: 20_000 },
      );
      expect(await result.textContent()).toBe('✗ wrong user name or password [RTSP_AUTH_FAILED]');
      await page.fill('#f-password', 'right-pw');
      await page.click('#probe');
      await page.waitForFunction(
        () => document.getElementById('probe-result')?.getAttribute('data-ok') === 'true',
        null,
        { timeout: 20_000 },
      );
      expect(await result.textContent()).toMatch(/^✓ Connected over TCP: H264 640×360.*; AAC 48 kHz$/);
      // Tested, not saved.
      expect(cameras!.get('gate')).toBeUndefined();

      await page.click('#camera-form button[type="submit"]');
      await page.locator('#camera-dialog').waitFor({ state: 'hidden', timeout: 10_000 });
      await expect.poll(() => cameras!.get('gate')?.status.state, { timeout: 20_000 }).toBe('streaming');

      // The same stream again: refused with the reason, then allowed by the tick.
      await page.click('#add-button');
      await page.fill('#f-name', 'Gate again');
      await page.fill('#f-url', url);
      await page.click('#camera-form button[type="submit"]');
      await page.locator('#duplicate-row').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator('#form-error').textContent()).toMatch(/camera "gate" pulls this stream already/);
      await page.check('#camera-form input[name="allowDuplicateSource"]');
      await page.click('#camera-form button[type="submit"]');
      await page.locator('#camera-dialog').waitFor({ state: 'hidden', timeout: 10_000 });
      expect(cameras!.get('gate-again')).toBeDefined();

      // Edit the path only: the stored password goes on working.
      await page.locator('.tile[data-id="gate"] .edit').click();
      expect(await page.inputValue('#f-url')).toBe(url);
      await page.fill('#f-url', locked.url('/h265-aac'));
      bodies.length = 0;
      await page.click('#camera-form button[type="submit"]');
      await page.locator('#camera-dialog').waitFor({ state: 'hidden', timeout: 10_000 });
      expect(bodies.map((body) => JSON.parse(body) as unknown)).toEqual([{ url: locked.url('/h265-aac') }]);
      await expect.poll(() => cameras!.get('gate')?.status.tracks[0]?.codec, { timeout: 20_000 }).toBe('h265');
      expect(cameras!.get('gate')).toMatchObject({ hasPassword: true, status: { state: 'streaming' } });
      expect(watch.pageErrors).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      await removeCamera('gate');
      await removeCamera('gate-again');
      await locked.close();
    }
  }, 120_000);

  it('per-track status in words: H.265 plays in some browsers, this one cannot decode it and says so; H.264 transcoding from the form plays it', async (ctx) => {
    requireTools(ctx, 'chromium', 'ffmpeg');
    const id = await addCamera({ id: 'hevc', name: 'HEVC', url: camsim!.url('/h265-aac'), transport: 'tcp' });
    const { page, watch } = await openTab();
    const patches: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PATCH') patches.push(request.postData() ?? '');
    });
    const tile = '.tile[data-id="hevc"]';
    const lines = () =>
      page.evaluate(
        (sel) =>
          Array.from(document.querySelectorAll(`${sel} .tracks li`)).map((li) => [
            li.firstChild?.textContent ?? '',
            li.querySelector('.why')?.textContent ?? '',
          ]),
        tile,
      );
    try {
      await page.goto(`${origin}/`);
      await expect.poll(lines, { timeout: 30_000 }).toHaveLength(2);
      const [video, audio] = await lines();
      expect(video?.[0]).toMatch(/^Video: H\.265 640×360 (\d+ fps )?· plays in some browsers$/);
      expect(video?.[1]).toMatch(/^Plays in Safari, and in Chrome and Edge where .* Turn on transcode: "h264"/);
      expect(audio).toEqual(['Audio: AAC 48 kHz · plays in every browser', '']);
      // Headless Chromium on Linux has no H.265 decoder: the player's words, not "offline".
      await page.waitForFunction(
        (sel) =>
          (document.querySelector(`${sel} .overlay-text`)?.textContent ?? '').startsWith(
            'This browser cannot decode H.265 video.',
          ),
        tile,
        { timeout: 20_000 },
      );

      await page.click(`${tile} .edit`);
      await page.selectOption('#f-transcode', 'h264');
      await page.click('#camera-form button[type="submit"]');
      await page.locator('#camera-dialog').waitFor({ state: 'hidden', timeout: 10_000 });
      expect(patches.map((body) => JSON.parse(body) as unknown)).toEqual([{ transcode: 'h264' }]);
      // The player starts again and picks the H.264 variant; the tile shows the transcoder's state.
      await waitForPlayback(page, `${tile} camgate-player`, 1);
      await page.waitForFunction(
        (sel) =>
          /^H\.264 transcoding: running · \d+% CPU · [1-9]\d* viewers?$/.test(
            document.querySelector(`${sel} .tracks li.transcode`)?.textContent ?? '',
          ),
        tile,
        { timeout: 20_000 },
      );
      expect(watch.pageErrors).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      await removeCamera(id);
    }
  }, 120_000);

  it('H.264 transcoding on a gateway without ffmpeg: the form shows the 501 FFMPEG_NOT_FOUND message by the field', async (ctx) => {
    requireTools(ctx, 'chromium');
    const noFfmpegDir = await mkdtemp(join(tmpdir(), 'camgate-dashboard-noffmpeg-'));
    const registry = await CameraManager.open({
      store: await FileCameraStore.open(noFfmpegDir),
      ffmpeg: new FfmpegBinary(join(noFfmpegDir, 'no-ffmpeg-here')),
    });
    const gateway = buildServer({ logger: pino({ level: 'silent' }), cameras: registry });
    const { page, watch } = await openTab();
    try {
      await registry.create({ id: 'plain', name: 'Plain', url: 'rtsp://127.0.0.1:9/x', enabled: false });
      await page.goto(`${await gateway.listen({ host: '127.0.0.1', port: 0 })}/`);
      await page.click('.tile[data-id="plain"] .edit');
      await page.selectOption('#f-transcode', 'h264');
      await page.click('#camera-form button[type="submit"]');
      const slot = page.locator('[data-error-for="transcode"]');
      await slot.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await slot.textContent()).toMatch(/needs ffmpeg, which the gateway cannot run .*CAMGATE_FFMPEG/);
      expect(await page.locator('#camera-dialog').isVisible()).toBe(true);
      expect(registry.get('plain')?.transcode ?? 'off').toBe('off');
      expect(watch.pageErrors).toEqual([]);
    } finally {
      await page.close();
      await gateway.close();
      await registry.close();
      await rm(noFfmpegDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('works under a reverse proxy path prefix: every request stays under it, and the camera plays', async (ctx) => {
    requireTools(ctx, 'chromium');
    const id = await addCamera({ id: 'prefixed', name: 'Prefixed', url: camsim!.url('/h264-aac'), transport: 'tcp' });
    // A proxy that serves the gateway under /cams/ only, as nginx's `location /cams/` would.
    const upstream = new URL(origin);
    const proxy = createServer((req, res) => {
      const path = req.url ?? '';
      if (!path.startsWith('/cams/')) {
        res.writeHead(404).end();
        return;
      }
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: path.slice('/cams'.length),
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.destroy());
      res.on('close', () => forwarded.destroy());
      req.pipe(forwarded);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const { page, watch } = await openTab();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    try {
      await page.goto(`${proxied}/cams/`);
      await waitForPlayback(page, '.tile[data-id="prefixed"] camgate-player', 1);
      const open = await page.locator('.tile[data-id="prefixed"] .open').getAttribute('href');
      await page.goto(new URL(open ?? '', page.url()).href);
      await waitForPlayback(page, '#player', 1);
      expect(urls.filter((url) => !url.startsWith(`${proxied}/cams/`) && !url.startsWith('blob:'))).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
    } finally {
      await page.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await removeCamera(id);
    }
  }, 120_000);

  it('finds cameras: a count per state, a state pressed shows only its cameras, the filter matches names and ids', async (ctx) => {
    requireTools(ctx, 'chromium');
    const deadPort = await getFreePort();
    const ids = [
      await addCamera({ id: 'lobby', name: 'Lobby entrance', url: camsim!.url('/h264-aac'), transport: 'tcp' }),
      await addCamera({ id: 'garage', name: 'Garage', url: camsim!.url('/h264-aac'), transport: 'tcp' }),
      await addCamera({ id: 'roof', name: 'Roof', url: `rtsp://127.0.0.1:${deadPort}/x` }),
    ];
    const { page, watch } = await openTab();
    try {
      await page.goto(`${origin}/`);
      const visible = () =>
        page.evaluate(() =>
          Array.from(document.querySelectorAll<HTMLElement>('#grid .tile'))
            .filter((t) => !t.hidden)
            .map((t) => t.dataset['id']),
        );
      const retrying = page.locator('#states button[data-state="retrying"]');
      await retrying.waitFor({ timeout: 30_000 });
      await page.locator('#states button[data-state="streaming"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('#states button[data-state=""]').textContent()).toBe('3 cameras');
      expect(await retrying.textContent()).toBe('1 retrying');

      await retrying.click();
      expect(await retrying.getAttribute('aria-pressed')).toBe('true');
      expect(await visible()).toEqual(['roof']);
      // The pressed button keeps the keyboard focus across polls, even when the counts change.
      await page.waitForResponse((response) => response.url().includes('/v1/cameras?'), { timeout: 10_000 });
      ids.push(await addCamera({ id: 'yard', name: 'Yard', url: camsim!.url('/h264-aac'), transport: 'tcp' }));
      await page.locator('#states button[data-state=""]', { hasText: '4 cameras' }).waitFor({ timeout: 10_000 });
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-state'))).toBe('retrying');
      expect(await visible()).toEqual(['roof']);
      // Updated in place, the buttons stay one per state, in the dashboard's order.
      const states = await page
        .locator('#states button')
        .evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-state')));
      expect(states).toEqual([
        '',
        ...['streaming', 'connecting', 'retrying', 'failed', 'disabled', 'idle'].filter((state) =>
          states.includes(state),
        ),
      ]);
      await retrying.click();
      expect((await visible()).sort()).toEqual(['garage', 'lobby', 'roof', 'yard']);

      await page.fill('#filter', 'ENTRANCE');
      expect(await visible()).toEqual(['lobby']);
      await page.fill('#filter', 'gar');
      expect(await visible()).toEqual(['garage']);
      await page.fill('#filter', 'nothing like it');
      expect(await visible()).toEqual([]);
      expect(await page.locator('#no-match').isVisible()).toBe(true);
      expect(watch.pageErrors).toEqual([]);
    } finally {
      await page.close();
      for (const id of ids) await removeCamera(id);
    }
  }, 90_000);

  it('a wall of 6 cameras over HTTP/1.1: the first tiles play within the connection budget, the others show refreshing stills, click to play', async (ctx) => {
    requireTools(ctx, 'chromium', 'ffmpeg');
    const ids = await addWall('wall', 6);
    const { page, watch } = await openTab();
    try {
      await page.setViewportSize({ width: 1440, height: 1800 });
      await page.goto(`${origin}/`);
      const tile = (id: string) => `.tile[data-id="${id}"]`;
      const playing = () =>
        page.evaluate(() =>
          Array.from(document.querySelectorAll('.tile camgate-player')).map((p) =>
            p.closest('.tile')?.getAttribute('data-id'),
          ),
        );
      // A still: a JPEG the page fetched with the gateway's snapshot, shown.
      const still = (id: string) =>
        page.evaluate((sel) => {
          const img = document.querySelector<HTMLImageElement>(`${sel} img.still`);
          return img?.complete === true && img.naturalWidth > 0 && img.src.startsWith('data:image/jpeg') ? img.src : '';
        }, tile(id));

      // Cameras with audio hold 2 of the 5 connections the budget leaves (video and audio playlists):
      // the first 2 tiles play, the 4 others are stills.
      await Promise.all(ids.slice(0, 2).map((id) => waitForPlayback(page, `${tile(id)} camgate-player`, 1)));
      await expect.poll(() => Promise.all(ids.slice(2).map(still)), { timeout: 30_000 }).not.toContain('');
      expect(await playing()).toEqual(ids.slice(0, 2));
      // The playing tiles got the snapshot as their poster.
      await expect
        .poll(() => page.locator(`${tile(ids[0]!)} camgate-player`).getAttribute('poster'), { timeout: 10_000 })
        .toMatch(/^data:image\/jpeg;base64,/);
      expect(await page.locator(`${tile(ids[5]!)} .overlay-text`).textContent()).toBe('Click to play');

      // Stills refresh while shown.
      const first = await still(ids[5]!);
      await expect.poll(() => still(ids[5]!), { timeout: 20_000 }).not.toBe(first);

      // A click on a still plays it; the budget stays: the last tile that played unasked is a still now.
      await page.click(`${tile(ids[5]!)} .screen`);
      await waitForPlayback(page, `${tile(ids[5]!)} camgate-player`, 1);
      expect(await playing()).toEqual([ids[0], ids[5]]);
      expect(await page.locator(`${tile(ids[1]!)} img.still`).count()).toBe(1);
      expect(watch.pageErrors).toEqual([]);
      expect([...watch.cspViolations, ...(await cspViolationsIn(page))]).toEqual([]);
    } finally {
      await page.close();
      for (const id of ids) await removeCamera(id);
    }
  }, 120_000);

  it('over HTTPS (HTTP/2), a wall of 12 cameras plays LL-HLS in every tile, all on one connection', async (ctx) => {
    requireTools(ctx, 'chromium');
    const tls = loadTlsFiles(TEST_CERT, TEST_KEY);
    const secure = buildServer({ logger: pino({ level: 'silent' }), cameras: cameras!, tls });
    const secureOrigin = (await secure.listen({ host: '127.0.0.1', port: 0 })).replace('http:', 'https:');
    let connections = 0;
    secure.server.on('secureConnection', () => connections++);
    const ids = await addWall('h2', 12);
    const { page, watch } = await openTab();
    try {
      const hlsRequests = liveRequests(page);
      await page.setViewportSize({ width: 1440, height: 1800 });
      await page.goto(`${secureOrigin}/`);
      expect(
        await page.evaluate(
          () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
        ),
      ).toBe('h2');
      await Promise.all(ids.map((id) => waitForPlayback(page, `[data-id="${id}"] camgate-player`, 2)));
      // LL-HLS: blocking reloads and parts, no standard playlists.
      expect(hlsRequests.some((url) => url.includes('/video.m3u8?_HLS_msn='))).toBe(true);
      expect(hlsRequests.some((url) => url.includes('-part-'))).toBe(true);
      expect(hlsRequests.filter((url) => url.includes('standard'))).toEqual([]);
      expect(connections).toBe(1);
      expect(watch.pageErrors).toEqual([]);
    } finally {
      await page.close();
      for (const id of ids) await removeCamera(id);
      await secure.close();
    }
  }, 120_000);
});
