/// <reference lib="dom" />
// The page functions below run in Chromium: they use the DOM types, which the gateway does not otherwise load.
import { hasTools, launchChromium, requireTools, type ChromiumSession } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_S } from './playback-tokens.js';
import { SignedGateway } from './test-signed-gateway.js';

type Page = ChromiumSession['page'];

/** 30 s of playback through the token path, as the issue asks; the other parts run meanwhile. */
const PLAY_SECONDS = 30;
/** The shortest token the API mints: it is refused CLOCK_TOLERANCE_S after it expires. */
const SHORT_TTL_S = 10;
const EXPIRED_TEXT = 'Access to this camera has expired — reload the page';

let gateway: SignedGateway | undefined;
let browser: ChromiumSession | undefined;

beforeAll(async () => {
  if (!hasTools('chromium')) return;
  gateway = await SignedGateway.start();
  await gateway.addCamera('vault', 'signed');
  // Only its tokens are needed: disabled, it pulls nothing.
  const other = await gateway.api('POST', '/v1/cameras', {
    id: 'other',
    name: 'Other',
    url: 'rtsp://127.0.0.1:9/x',
    enabled: false,
    playback: 'signed',
  });
  expect(other.status).toBe(201);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
}, 30_000);

interface Traffic {
  /** Every /live/ request's URL. */
  requests: string[];
  /** Every /live/ answer: its URL and status. */
  responses: Array<{ url: string; status: number; at: number }>;
}

/** A new tab recording its /live/ traffic and script errors. */
async function openTab(): Promise<{ page: Page; traffic: Traffic; errors: string[] }> {
  const page = await browser!.context.newPage();
  const traffic: Traffic = { requests: [], responses: [] };
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => {
    if (request.url().includes('/live/')) traffic.requests.push(request.url());
  });
  page.on('response', (response) => {
    if (response.url().includes('/live/'))
      traffic.responses.push({ url: response.url(), status: response.status(), at: Date.now() });
  });
  return { page, traffic, errors };
}

/** The video's position and decoded frames, once it plays. */
async function playing(page: Page): Promise<{ time: number; frames: number }> {
  await page.waitForFunction(
    () => {
      const video = document.querySelector('camgate-player')?.shadowRoot?.querySelector('video') ?? null;
      return video !== null && !video.paused && video.readyState >= 3 && video.currentTime > 0;
    },
    null,
    { timeout: 30_000, polling: 100 },
  );
  return position(page);
}

async function position(page: Page): Promise<{ time: number; frames: number }> {
  return page.evaluate(() => {
    const video = document.querySelector('camgate-player')!.shadowRoot!.querySelector('video') as HTMLVideoElement & {
      webkitDecodedFrameCount: number;
    };
    return { time: video.currentTime, frames: video.webkitDecodedFrameCount };
  });
}

/** The page's states (body[data-state]) from now on, kept in the page. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const states: string[] = [];
    (window as unknown as { states: string[] }).states = states;
    new MutationObserver(() => states.push(document.body.getAttribute('data-state') ?? '')).observe(document.body, {
      attributes: true,
      attributeFilter: ['data-state'],
    });
  });
}

/** Posts a token to the page as its embedding page would (the page is not framed: it is its own parent). */
async function renew(page: Page, token: string): Promise<void> {
  await page.evaluate((next) => window.postMessage({ type: 'camgate:token', token: next }, '*'), token);
}

/** When the gateway starts refusing a token: `exp` plus the clock tolerance, in ms. */
function refusedFrom(token: string): number {
  const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
  return (exp + CLOCK_TOLERANCE_S) * 1000;
}

describe('signed playback in headless Chromium (hls.js)', () => {
  it(`plays a signed camera for ${PLAY_SECONDS} s through the token path; a renewed token plays on past the first one's expiry; an expired one says so; expired and other cameras' tokens get no media`, async (ctx) => {
    requireTools(ctx, 'chromium');
    const gw = gateway!;
    const [main, short, lapsing, otherCamera] = await Promise.all([
      gw.mint('vault', 600),
      gw.mint('vault', SHORT_TTL_S),
      gw.mint('vault', SHORT_TTL_S),
      gw.mint('other', 600),
    ]);
    const tabs = await Promise.all([openTab(), openTab(), openTab(), openTab()]);
    const [watchTab, renewTab, lapseTab, refuseTab] = tabs;
    try {
      // The whole 30 s on one tab, the other parts on theirs meanwhile, waiting for each other's events.
      const watched = watch(watchTab, main.token);
      const lapsed = lapses(lapseTab, lapsing.token, watched);
      const [played] = await Promise.all([
        watched,
        renewed(renewTab, short.token),
        lapsed.then(({ renewal }) => renewal),
        refused(refuseTab, otherCamera.token, lapsing.token, lapsed),
      ]);
      await ctx.annotate(
        `played ${played.seconds.toFixed(1)} s in ${PLAY_SECONDS} s, ${played.frames} frames decoded, ` +
          `${watchTab.traffic.requests.length} requests through the token path`,
      );
      for (const tab of tabs) expect(tab.errors).toEqual([]);
    } finally {
      await Promise.all(tabs.map((tab) => tab.page.close()));
    }
  }, 120_000);
});

/** The embed page with `?token=`: 30 s of playback, every /live/ request through the token path. */
async function watch(tab: Awaited<ReturnType<typeof openTab>>, token: string) {
  const { page, traffic } = tab;
  await page.goto(`${gateway!.origin}/embed/vault?token=${token}`);
  const start = await playing(page);
  // Real-time playback: the one wait of this file that is not for an event.
  await page.waitForTimeout(PLAY_SECONDS * 1000);
  const end = await position(page);
  expect(end.time - start.time).toBeGreaterThanOrEqual(PLAY_SECONDS - 5);
  expect(end.frames - start.frames).toBeGreaterThan((PLAY_SECONDS - 5) * 20);
  expect(await page.getAttribute('body', 'data-state')).toBe('playing');
  const prefix = `${gateway!.origin}/live/vault/t/${token}/`;
  expect(traffic.requests.length).toBeGreaterThan(PLAY_SECONDS);
  expect(traffic.requests.filter((url) => !url.startsWith(prefix))).toEqual([]);
  // None refused (a refusal is a 404: the unknown camera's answer).
  expect(traffic.responses.filter((response) => response.status === 404)).toEqual([]);
  return { seconds: end.time - start.time, frames: end.frames - start.frames };
}

/**
 * The path form with a 10 s token, renewed by a message once it plays: it plays on past the first
 * token's refusal, every request since then with the new token, none refused, never down.
 */
async function renewed(tab: Awaited<ReturnType<typeof openTab>>, token: string) {
  const { page, traffic } = tab;
  await page.goto(`${gateway!.origin}/embed/vault/t/${token}`);
  await playing(page);
  await recordStates(page);
  const next = (await gateway!.mint('vault', 600)).token;
  await renew(page, next);
  const refusedAt = refusedFrom(token);
  // An answer to a request with the new token, after the first one is refused.
  await page.waitForResponse((response) => response.url().includes(`/t/${next}/`) && Date.now() > refusedAt + 1000, {
    timeout: 40_000,
  });
  const { time } = await position(page);
  await page.waitForFunction(
    (from) => document.querySelector('camgate-player')!.shadowRoot!.querySelector('video')!.currentTime > from + 1,
    time,
    {
      timeout: 10_000,
    },
  );
  expect(await page.evaluate(() => (window as unknown as { states: string[] }).states)).toEqual([]);
  // None refused (a refusal is a 404: the unknown camera's answer).
  expect(traffic.responses.filter((response) => response.status === 404)).toEqual([]);
  const late = traffic.responses.filter((response) => response.at > refusedAt);
  expect(late.length).toBeGreaterThan(0);
  expect(late.filter((response) => !response.url.includes(`/live/vault/t/${next}/`))).toEqual([]);
}

/**
 * A 10 s token and no renewal: once refused, the page says access expired (not "offline") and asks
 * for nothing more while the 30 s playback goes on; a token sent then starts it again. Resolves
 * once expired, with the renewal's promise.
 */
async function lapses(
  tab: Awaited<ReturnType<typeof openTab>>,
  token: string,
  watched: Promise<unknown>,
): Promise<{ renewal: Promise<void> }> {
  const { page, traffic } = tab;
  await page.goto(`${gateway!.origin}/embed/vault?token=${token}`);
  await playing(page);
  await recordStates(page);
  await page.waitForFunction(() => document.body.getAttribute('data-state') === 'expired', null, {
    timeout: 40_000,
    polling: 250,
  });
  expect(await page.textContent('#message')).toBe(EXPIRED_TEXT);
  expect(await page.isVisible('#overlay')).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { states: string[] }).states)).not.toContain('down');
  expect(traffic.responses.some((response) => response.status === 404)).toBe(true);
  return { renewal: renewAfter(tab, watched) };
}

async function renewAfter(tab: Awaited<ReturnType<typeof openTab>>, watched: Promise<unknown>): Promise<void> {
  const { page, traffic } = tab;
  const asked = traffic.requests.length;
  const quietFrom = Date.now();
  // While the 30 s playback goes on, this page asks for nothing.
  await watched.catch(() => undefined);
  expect(Date.now() - quietFrom).toBeGreaterThan(3000);
  expect(traffic.requests.length).toBe(asked);

  const next = (await gateway!.mint('vault', 600)).token;
  await renew(page, next);
  const { time } = await position(page);
  await page.waitForFunction(
    (from) =>
      document.body.getAttribute('data-state') === 'playing' &&
      document.querySelector('camgate-player')!.shadowRoot!.querySelector('video')!.currentTime > from + 1,
    time,
    { timeout: 30_000 },
  );
  expect(traffic.requests.slice(asked).filter((url) => !url.includes(`/live/vault/t/${next}/`))).toEqual([]);
}

/**
 * Another camera's token, then (once refused) an expired one: the uniform not-found page, and no
 * request for media at all.
 */
async function refused(
  tab: Awaited<ReturnType<typeof openTab>>,
  otherToken: string,
  expiring: string,
  lapsed: Promise<unknown>,
) {
  const { page, traffic } = tab;
  const notFound = 'There is no camera “vault” here, or this link is not valid (it may have expired).';
  const other = await page.goto(`${gateway!.origin}/embed/vault?token=${otherToken}`);
  expect(other?.status()).toBe(404);
  expect(await page.textContent('.missing')).toBe(notFound);
  // The same page with the path form (what a site would build from another camera's link).
  const otherPath = await page.goto(`${gateway!.origin}/embed/vault/t/${otherToken}`);
  expect(otherPath?.status()).toBe(404);
  // Expired: once the gateway refuses it to the page that played with it.
  await lapsed;
  const expired = await page.goto(`${gateway!.origin}/embed/vault?token=${expiring}`);
  expect(expired?.status()).toBe(404);
  expect(await page.textContent('.missing')).toBe(notFound);
  expect(await page.locator('video').count()).toBe(0);
  expect(traffic.requests).toEqual([]);
  // The player's URLs with it, asked directly: refused too.
  const media = await page.evaluate(
    (token) => fetch(`../live/vault/t/${token}/index.m3u8`).then((response) => response.status),
    expiring,
  );
  expect(media).toBe(404);
}
