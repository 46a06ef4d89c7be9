/// <reference lib="dom" />
// The page functions below run in Chromium: they use the DOM types, which the gateway does not otherwise load.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, get } from 'node:https';
import { hasTools, launchChromium, requireTools, type ChromiumSession } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedGateway } from '../playback/test-signed-gateway.js';
import { findNginx, NginxCache, requireNginx } from './test-nginx.js';

/** Short: the other tests cover the cache's behaviour; this one shows a real player keeps playing through it. */
const PLAY_SECONDS = 12;
/**
 * Other viewers of the same camera meanwhile, doing what hls.js does at the live edge: the player's
 * requests then often find an entry being filled by someone else's, and wait on nginx's lock.
 */
const CROWD = 20;

let gateway: SignedGateway | undefined;
let nginx: NginxCache | undefined;
let browser: ChromiumSession | undefined;
/** Every /live/ request that reached the gateway. */
const upstream: string[] = [];

beforeAll(async () => {
  if (!hasTools('chromium') || !findNginx().found) return;
  gateway = await SignedGateway.start();
  gateway.app.server.on('request', (request: IncomingMessage) => {
    if (request.url?.startsWith('/live/') === true) upstream.push(request.url);
  });
  await gateway.addCamera('lobby', 'public');
  nginx = await NginxCache.start({ upstreams: [new URL(gateway.origin).host] });
  // The test certificate is for 127.0.0.1 but no browser trusts it.
  browser = await launchChromium({ ignoreHTTPSErrors: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await gateway?.close();
}, 30_000);

describe('hls.js through nginx (the operator configuration)', () => {
  it(`the embed page plays a camera for ${PLAY_SECONDS} s over HTTP/2 through the cache`, async (ctx) => {
    requireTools(ctx, 'chromium');
    requireNginx(ctx);
    const page = browser!.page;
    const responses: Array<{ url: string; status: number; cache: string | undefined }> = [];
    page.on('response', (response) => {
      if (response.url().includes('/live/'))
        responses.push({ url: response.url(), status: response.status(), cache: response.headers()['x-cache-status'] });
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const crowd = startCrowd(`${nginx!.origin}/live/lobby/`);
    await page.goto(`${nginx!.origin}/embed/lobby`);
    // Stalls: the video waiting for data once it played.
    await page.evaluate(() => {
      const page = window as unknown as { waiting: number };
      page.waiting = 0;
      document
        .querySelector('camgate-player')!
        .shadowRoot!.querySelector('video')!
        .addEventListener('waiting', () => page.waiting++);
    });
    await page.waitForFunction(
      () => {
        const video = document.querySelector('camgate-player')?.shadowRoot?.querySelector('video') ?? null;
        return video !== null && !video.paused && video.readyState >= 3 && video.currentTime > 0;
      },
      null,
      { timeout: 30_000, polling: 100 },
    );
    const position = () =>
      page.evaluate(() => {
        const video = document.querySelector('camgate-player')!.shadowRoot!.querySelector('video') as HTMLVideoElement;
        return { time: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames };
      });
    const start = await position();
    // Real-time playback: the one wait here that is not for an event.
    await page.waitForTimeout(PLAY_SECONDS * 1000);
    const end = await position();
    const crowdRequests = await crowd.stop();
    const waiting = await page.evaluate(() => (window as unknown as { waiting: number }).waiting);
    const protocols = await page.evaluate(() =>
      [
        ...new Set(
          performance
            .getEntriesByType('resource')
            .filter((entry) => entry.name.includes('/live/'))
            .map((entry) => (entry as PerformanceResourceTiming).nextHopProtocol)
            // A request hls.js aborted (a blocking reload it no longer needs) has no protocol.
            .filter((protocol) => protocol !== ''),
        ),
      ].sort(),
    );

    expect(errors).toEqual([]);
    expect(end.time - start.time).toBeGreaterThanOrEqual(PLAY_SECONDS - 3);
    expect(end.frames - start.frames).toBeGreaterThan((PLAY_SECONDS - 3) * 20);
    expect(await page.getAttribute('body', 'data-state')).toBe('playing');
    expect(protocols).toEqual(['h2']);
    expect(responses.filter((response) => response.status !== 200)).toEqual([]);
    // Playlists and media went through the cache (MISS: the one viewer asked first).
    const cached = responses.filter((response) => response.cache !== undefined);
    expect(cached.length).toBeGreaterThan(PLAY_SECONDS * 5);
    const summary =
      `played ${(end.time - start.time).toFixed(1)} s, ${end.frames - start.frames} frames, ${waiting} waiting ` +
      `events; the player made ${responses.length} /live/ requests through nginx ` +
      `(${cached.filter((r) => r.cache === 'HIT').length} hits), ${CROWD} other viewers ${crowdRequests}; ` +
      `${upstream.length} requests reached the gateway`;
    await ctx.annotate(summary);
    process.stdout.write(`hls.js through nginx: ${summary}\n`);
  }, 90_000);
});

/** CROWD viewers looping over blocking reloads and parts of both renditions until stopped. */
function startCrowd(base: string): { stop: () => Promise<number> } {
  const ca = readFileSync(NginxCache.cert);
  let stopping = false;
  let requests = 0;
  const fetchText = (agent: Agent, url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(url, { agent }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      }).on('error', reject);
    });
  /** The open segment's MSN, the next part's index in it, and the newest part's URI. */
  const position = (playlist: string) => {
    let msn = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(playlist)?.[1]);
    let next = 0;
    let last = '';
    for (const line of playlist.split('\n')) {
      if (line.startsWith('#EXTINF:')) [msn, next] = [msn + 1, 0];
      else if (line.startsWith('#EXT-X-PART:')) [next, last] = [next + 1, /URI="([^"]+)"/.exec(line)?.[1] ?? ''];
    }
    return { msn, next, last };
  };
  const viewer = async (rendition: string) => {
    const agent = new Agent({ ca, keepAlive: true, maxSockets: 1 });
    try {
      let { body } = await fetchText(agent, `${base}${rendition}.m3u8`);
      while (!stopping) {
        const { msn, next } = position(body);
        const reload = await fetchText(agent, `${base}${rendition}.m3u8?_HLS_msn=${msn}&_HLS_part=${next}`);
        if (reload.status !== 200) throw new Error(`a crowd viewer's reload: ${reload.status}`);
        body = reload.body;
        const part = await fetchText(agent, `${base}${position(body).last}`);
        if (part.status !== 200) throw new Error(`a crowd viewer's part: ${part.status}`);
        requests += 2;
      }
    } finally {
      agent.destroy();
    }
  };
  const running = Array.from({ length: CROWD }, (_, i) => viewer(i % 2 === 0 ? 'video' : 'audio'));
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(running);
      return requests;
    },
  };
}
