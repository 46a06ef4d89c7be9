/// <reference lib="dom" />
// The page functions below run in Chromium: they use the DOM types, which the gateway does not otherwise load.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hasTools, launchChromium, requireTools, type ChromiumSession } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedGateway } from '../playback/test-signed-gateway.js';

// <camgate-player> (apps/gateway/web/player) in headless Chromium, on a page of another origin
// with one module script from the gateway, as a third-party site would use it.

type Page = ChromiumSession['page'];
interface Detail {
  state: string;
  message: string;
}
type Player = HTMLElement & { state: string; userPaused: boolean; renew(src: string): void };
interface PlayerWindow {
  events: Detail[];
  hidden: boolean;
}

/** The exact words for an H.265 camera in a browser without an H.265 decoder (this Chromium). */
const H265_MESSAGE =
  "This browser cannot decode H.265 video. Open it in Safari, use the camera's H.264 stream, or turn on H.264 transcoding for this camera.";

let gateway: SignedGateway | undefined;
let browser: ChromiumSession | undefined;
let site: Server | undefined;
let siteOrigin = '';
/** The site's held playlist requests, each settled when its connection closes. */
const hanging: Array<Promise<string>> = [];

/** The third-party page: the script tag, an event log, and room to scroll the player away. */
function sitePage(gatewayOrigin: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>site</title>
<script type="module" src="${gatewayOrigin}/assets/web/camgate-player.js"></script>
<script>
  window.events = [];
  document.addEventListener('camgate-state', (e) => window.events.push(e.detail));
</script></head>
<body style="margin:0"><div id="slot"></div><div style="height:5000px"></div></body></html>`;
}

beforeAll(async () => {
  if (!hasTools('chromium')) return;
  gateway = await SignedGateway.start();
  await gateway.addCamera('h264', 'public');
  await gateway.addCamera('h265', 'public', '/h265-aac');
  await gateway.addCamera('vault', 'signed');
  // The first test's states start with a streaming camera: its media playlist answers once the
  // stream has parts (a held request, not a poll), so the player's first load never sees a 503.
  const ready = await fetch(`${gateway.origin}/live/h264/video.m3u8`, { signal: AbortSignal.timeout(30_000) });
  if (ready.status !== 200) throw new Error(`the h264 camera did not start: ${ready.status}`);
  const html = sitePage(gateway.origin);
  site = createServer((request, response) => {
    // A playlist that never answers (a gateway holding it): the test sees when the player lets go.
    if (request.url?.startsWith('/hang/') === true) {
      hanging.push(new Promise((resolve) => response.once('close', () => resolve(request.url ?? ''))));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => site?.listen(0, '127.0.0.1', resolve));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchChromium();
  // The page's visibility, under the test's control (headless Chromium is always "visible").
  await browser.context.addInitScript(() => {
    const scope = window as unknown as PlayerWindow;
    scope.hidden = false;
    Object.defineProperty(document, 'visibilityState', { get: () => (scope.hidden ? 'hidden' : 'visible') });
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve) ?? resolve(undefined));
  await gateway?.close();
}, 60_000);

/** Opens the site with one player of these attributes; the page's errors are collected. */
async function openPlayer(attributes: Record<string, string>): Promise<{ page: Page; errors: string[] }> {
  const page = browser!.page;
  const errors: string[] = [];
  page.removeAllListeners('pageerror');
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(siteOrigin);
  await page.evaluate((attrs) => {
    const player = document.createElement('camgate-player');
    for (const [name, value] of Object.entries(attrs)) player.setAttribute(name, value);
    player.style.width = '640px';
    player.style.height = '360px';
    document.getElementById('slot')?.append(player);
  }, attributes);
  return { page, errors };
}

async function waitForState(page: Page, state: string, timeout = 20_000): Promise<Detail> {
  await page.waitForFunction((wanted) => document.querySelector<Player>('camgate-player')?.state === wanted, state, {
    timeout,
    polling: 100,
  });
  return page.evaluate(() => {
    const events = (window as unknown as PlayerWindow).events;
    return events[events.length - 1] as Detail;
  });
}

async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((value) => {
    (window as unknown as PlayerWindow).hidden = value;
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

describe('<camgate-player> in Chromium', () => {
  it('plays a camera from another site with one script tag; stops loading off-screen and hidden, resumes live', async (ctx) => {
    requireTools(ctx, 'chromium');
    const { page, errors } = await openPlayer({
      src: `${gateway!.origin}/live/h264/index.m3u8`,
      autoplay: '',
      muted: '',
    });
    expect(await waitForState(page, 'playing', 30_000)).toEqual({ state: 'playing', message: '' });
    // The video is the element's own, in its shadow root, and it moves.
    const time = () =>
      page.evaluate(
        () => document.querySelector<Player>('camgate-player')!.shadowRoot!.querySelector('video')!.currentTime,
      );
    const first = await time();
    await page.waitForFunction(
      (t) =>
        document.querySelector<Player>('camgate-player')!.shadowRoot!.querySelector('video')!.currentTime > t + 0.5,
      first,
    );

    await page.evaluate(() => window.scrollTo(0, 3000));
    expect(await waitForState(page, 'paused')).toEqual({ state: 'paused', message: 'Paused while out of view' });
    // Stopped loading: no source on the video.
    expect(
      await page.evaluate(
        () => document.querySelector<Player>('camgate-player')!.shadowRoot!.querySelector('video')!.src,
      ),
    ).toBe('');
    await page.evaluate(() => window.scrollTo(0, 0));
    await waitForState(page, 'playing');

    await setHidden(page, true);
    await waitForState(page, 'paused');
    await setHidden(page, false);
    await waitForState(page, 'playing');

    const states = await page.evaluate(() => (window as unknown as PlayerWindow).events.map((e) => e.state));
    expect(states).toEqual([
      'connecting',
      'playing',
      'paused',
      'connecting',
      'playing',
      'paused',
      'connecting',
      'playing',
    ]);
    expect(errors).toEqual([]);
  }, 60_000);

  it("the video's own pause button stops loading, and its play button starts again live", async (ctx) => {
    requireTools(ctx, 'chromium');
    const { page, errors } = await openPlayer({
      src: `${gateway!.origin}/live/h264/index.m3u8`,
      autoplay: '',
      muted: '',
      controls: '',
    });
    await waitForState(page, 'playing', 30_000);
    expect(await page.evaluate(() => document.querySelector<Player>('camgate-player')!.userPaused)).toBe(false);
    // The native controls call the video's pause() and play(): so does the test.
    await page.evaluate(() => {
      document.querySelector<Player>('camgate-player')!.shadowRoot!.querySelector('video')!.pause();
    });
    expect(await waitForState(page, 'paused')).toEqual({ state: 'paused', message: 'Paused' });
    expect(
      await page.evaluate(() => {
        const player = document.querySelector<Player>('camgate-player')!;
        return [player.userPaused, player.shadowRoot!.querySelector('video')!.src];
      }),
    ).toEqual([true, '']);
    // Its play() waits for data that only the restart brings: not awaited.
    await page.evaluate(() => {
      void document
        .querySelector<Player>('camgate-player')!
        .shadowRoot!.querySelector('video')!
        .play()
        .catch(() => undefined);
    });
    await waitForState(page, 'playing', 30_000);
    expect(await page.evaluate(() => document.querySelector<Player>('camgate-player')!.userPaused)).toBe(false);
    const states = await page.evaluate(() => (window as unknown as PlayerWindow).events.map((e) => e.state));
    expect(states).toEqual(['connecting', 'playing', 'paused', 'connecting', 'playing']);
    expect(errors).toEqual([]);
  }, 60_000);

  it('lets go of a playlist request still unanswered when its element leaves the page', async (ctx) => {
    requireTools(ctx, 'chromium');
    hanging.length = 0;
    const { page, errors } = await openPlayer({ src: '/hang/index.m3u8', autoplay: '', muted: '' });
    await expect.poll(() => hanging.length, { timeout: 10_000 }).toBe(1);
    await page.evaluate(() => document.querySelector('camgate-player')!.remove());
    // Closed at once, not after the player's 15 s timeout: it held one of the page's 6 connections.
    await expect(hanging[0]).resolves.toBe('/hang/index.m3u8');
    expect(errors).toEqual([]);
  }, 10_000);

  it('says in words that this browser cannot decode an H.265 camera (not "offline")', async (ctx) => {
    requireTools(ctx, 'chromium');
    const { page, errors } = await openPlayer({
      src: `${gateway!.origin}/live/h265/index.m3u8`,
      autoplay: '',
      muted: '',
    });
    expect(await waitForState(page, 'undecodable', 30_000)).toEqual({ state: 'undecodable', message: H265_MESSAGE });
    const shown = await page.evaluate(
      () =>
        document.querySelector<Player>('camgate-player')!.shadowRoot!.querySelector('[role=status] .message')!
          .textContent,
    );
    expect(shown).toBe(H265_MESSAGE);
    expect(errors).toEqual([]);
  }, 60_000);

  it('an H.265 media playlist (no CODECS to read first): hls.js finds out, and it says so rather than reconnect', async (ctx) => {
    requireTools(ctx, 'chromium');
    const { page, errors } = await openPlayer({
      src: `${gateway!.origin}/live/h265/video.m3u8`,
      autoplay: '',
      muted: '',
    });
    const detail = await waitForState(page, 'undecodable', 30_000);
    expect(detail.message).toMatch(/^This browser cannot decode H\.265 video\./);
    const states = await page.evaluate(() => (window as unknown as PlayerWindow).events.map((e) => e.state));
    expect(states).not.toContain('down');
    expect(errors).toEqual([]);
  }, 60_000);

  it('renews the token in place, and after an expired token says so and plays again with a new one', async (ctx) => {
    requireTools(ctx, 'chromium');
    const live = (token: string) => `${gateway!.origin}/live/vault/t/${token}/index.m3u8`;
    // A token the gateway refuses, already past its expiry: the player says `expired`, not `down`.
    const { page, errors } = await openPlayer({
      src: live('not-a-valid-token'),
      'token-expires-at': String(Date.now() - 1000),
      autoplay: '',
      muted: '',
    });
    expect((await waitForState(page, 'expired')).message).toBe('Access to this camera has expired — reload the page');

    const first = await gateway!.mint('vault', 600);
    await page.evaluate((src) => {
      const player = document.querySelector<Player>('camgate-player')!;
      player.removeAttribute('token-expires-at');
      player.renew(src);
    }, live(first.token));
    await waitForState(page, 'playing', 30_000);

    // A second token: the next requests carry it, the video is not reloaded (no `emptied`).
    const second = await gateway!.mint('vault', 600);
    await page.evaluate((src) => {
      const video = document.querySelector<Player>('camgate-player')!.shadowRoot!.querySelector('video')!;
      video.addEventListener('emptied', () => ((window as unknown as { reloaded: boolean }).reloaded = true));
      document.querySelector<Player>('camgate-player')!.setAttribute('src', src);
    }, live(second.token));
    await page.waitForFunction(
      (token) => performance.getEntriesByType('resource').some((entry) => entry.name.includes(`/t/${token}/`)),
      second.token,
      { timeout: 10_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { reloaded?: boolean }).reloaded)).toBeUndefined();
    expect(await page.evaluate(() => document.querySelector<Player>('camgate-player')!.state)).toBe('playing');
    expect(errors).toEqual([]);
  }, 60_000);

  it('the embed page plays with it under a CSP of its own files only, the snapshot as poster', async (ctx) => {
    requireTools(ctx, 'chromium');
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) errors.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const w = window as unknown as { violations?: string[] };
        (w.violations ??= []).push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    try {
      await page.goto(`${gateway!.origin}/embed/h264`);
      await page.waitForFunction(() => document.body.dataset['state'] === 'playing', null, { timeout: 30_000 });
      expect(await page.locator('#overlay').isHidden()).toBe(true);
      const player = page.locator('#player');
      expect(await player.getAttribute('poster')).toBe('../live/h264/snapshot.jpg');
      // The player's own video (a shadow root's: Playwright's locators look into it).
      expect(await page.locator('#player video').evaluate((v: HTMLVideoElement) => [v.muted, v.controls])).toEqual([
        true,
        true,
      ]);
      // Paused by the viewer (the video's own button): the page's Play button (the player's
      // overlay is off) starts it again.
      expect(await page.locator('#play').isHidden()).toBe(true);
      await page.locator('#player video').evaluate((v: HTMLVideoElement) => v.pause());
      await page.waitForFunction(() => document.body.dataset['state'] === 'paused', null, { timeout: 10_000 });
      expect(await page.locator('#message').textContent()).toBe('Paused');
      await page.locator('#play').click();
      await page.waitForFunction(() => document.body.dataset['state'] === 'playing', null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as unknown as { violations?: string[] }).violations ?? [])).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
