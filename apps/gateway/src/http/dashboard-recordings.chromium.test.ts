import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import { launchChromium, requireTools } from '@camgate/testkit';
import pino from 'pino';
import { expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { Recordings } from '../recording/recordings.js';
import { describeWithSqlite } from '../recording/test-sqlite.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';

/**
 * The dashboard's recordings timeline in headless Chromium (issue 15): a recording camera's tile
 * shows its recorded spans of the last day; a click plays the recording from that time, "Back to
 * live" stops it, and the download link exports a clip.
 */
describeWithSqlite('dashboard recordings', () => {
  it('the timeline shows what was recorded, plays it from a click, goes back to live, downloads a clip; the form sets recording', async (ctx) => {
    requireTools(ctx, 'chromium');
    const closers: Array<() => unknown> = [];
    try {
      const dir = await mkdtemp(join(tmpdir(), 'camgate-dashboard-recordings-'));
      closers.push(() => rm(dir, { recursive: true, force: true }));
      const camsim = await CamsimServer.start();
      closers.push(() => camsim.close());
      const cameras = await CameraManager.open({ store: await FileCameraStore.open(dir) });
      closers.push(() => cameras.close());
      const recordings = await Recordings.open({ dir: join(dir, 'recordings') });
      closers.splice(closers.length - 1, 0, () => recordings.close());
      cameras.useRecordings({ recordings });
      const app = buildServer({ logger: pino({ level: 'silent' }), cameras });
      closers.push(() => app.close());
      const origin = await app.listen({ host: '127.0.0.1', port: 0 });
      const created = await app.inject({
        method: 'POST',
        url: '/v1/cameras',
        payload: { id: 'yard', name: 'Yard', url: camsim.url('/h264-aac'), recording: { enabled: true } },
      });
      expect(created.statusCode, created.body).toBe(201);
      // Two recorded segments (about 12 s of the camera in real time).
      const deadline = Date.now() + 60_000;
      while (recordings.status('yard').segments < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      expect(recordings.status('yard').segments).toBeGreaterThanOrEqual(2);

      const browser = await launchChromium();
      closers.push(() => browser.close());
      const page = browser.page;
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(origin);
      const tile = page.locator('.tile[data-id="yard"]');
      await tile.locator('details.recordings > summary').click();
      const bar = tile.locator('.timeline');
      await expect
        .poll(async () => Number(await bar.getAttribute('data-spans')), { timeout: 20_000 })
        .toBeGreaterThan(0);
      // A click in the middle of the latest span: the recording plays from there.
      await tile.locator('.timeline .span').last().click({ force: true });
      const video = tile.locator('video.recorded');
      await expect
        .poll(
          async () =>
            `${await video.isVisible()} ${await tile.locator('.recordings-message').textContent()} ${errors.join()}`,
          {
            timeout: 10_000,
          },
        )
        .toMatch(/^true Recording from /);
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames), {
          timeout: 30_000,
        })
        .toBeGreaterThan(10);
      expect(await tile.locator('.recordings-message').textContent()).toMatch(/^Recording from /);
      const clip = await tile.locator('a.clip').getAttribute('href');
      expect(clip).toMatch(/^recordings\/yard\/clip\.mp4\?start=\d+&duration=60$/);
      const exported = await page.evaluate(async (href) => {
        const res = await fetch(href);
        return {
          status: res.status,
          type: res.headers.get('content-type'),
          bytes: (await res.arrayBuffer()).byteLength,
        };
      }, clip!);
      expect(exported).toMatchObject({ status: 200, type: 'video/mp4' });
      expect(exported.bytes).toBeGreaterThan(10_000);
      await tile.locator('.back-to-live').click();
      expect(await video.isVisible()).toBe(false);
      // The edit form: keep 7 days; recording stays on.
      await tile.locator('.edit').click();
      const form = page.locator('#camera-form');
      expect(await form.locator('input[name="record"]').isChecked()).toBe(true);
      await form.locator('input[name="keepDays"]').fill('7');
      await form.locator('button[type="submit"]').click();
      await expect
        .poll(() => cameras.get('yard')?.recording, { timeout: 10_000 })
        .toEqual({ enabled: true, retention: { maxAgeHours: 168 } });
      // Recording turned off from the form: the recorder stops, the days are kept.
      await tile.locator('.edit').click();
      await form.locator('input[name="record"]').uncheck();
      await form.locator('button[type="submit"]').click();
      await expect
        .poll(() => cameras.get('yard')?.recording, { timeout: 10_000 })
        .toEqual({ enabled: false, retention: { maxAgeHours: 168 } });
      await expect.poll(() => recordings.status('yard').state, { timeout: 10_000 }).toBe('off');
      expect(errors).toEqual([]);
    } finally {
      for (const close of closers.splice(0).reverse()) await close();
    }
  }, 120_000);
});
