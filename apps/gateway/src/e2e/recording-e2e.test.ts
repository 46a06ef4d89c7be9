import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMediaPlaylist } from '@camgate/hls/testing';
import {
  buildRepo,
  hasTools,
  inspectWithMp4box,
  interopRequired,
  launchChromium,
  requireTools,
  runProcess,
  startGstRtspServer,
  type GstRtspServer,
} from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type NodeProcess } from './test-cluster-nodes.js';

/**
 * Recording as a user runs it (issue 15): the built gateway records a GStreamer camera (an
 * on-demand one, which a recording keeps pulling without viewers), is killed with SIGKILL in the
 * middle of a segment, and started again on the same directory. Everything recorded before the
 * kill plays: the VOD playlist passes the rule checker, ffmpeg decodes it over HTTP with every
 * error fatal, hls.js plays it in Chromium across the restart, and mp4box parses every file.
 */

/** Recorded segments (6 s each) before the kill; the gateway is killed 2 s into the next one. */
const SEGMENTS_BEFORE_KILL = 3;
const SEGMENTS_AFTER_RESTART = 1;

/** The part of hls.js's API the page uses. */
interface HlsPlayer {
  on(event: string, listener: (event: unknown, data: { fatal: boolean; details: string }) => void): void;
  loadSource(src: string): void;
  attachMedia(video: HTMLVideoElement): void;
}
type HlsConstructor = (new () => HlsPlayer) & { Events: { ERROR: string } };

interface CameraStatus {
  status: { state: string; recording: { state: string; segments: number; lastError: unknown } | null };
}

describe.skipIf(!hasTools('gst-rtsp-server', 'ffmpeg', 'chromium') && !interopRequired())(
  'recording end to end (built gateway, GStreamer camera, kill -9)',
  () => {
    let dir = '';
    let gst: GstRtspServer | undefined;
    let node: NodeProcess | undefined;
    let env: Record<string, string>;

    beforeAll(async () => {
      const build = await buildRepo();
      expect(build.stderr + build.stdout).toBe('');
      dir = await mkdtemp(join(tmpdir(), 'camgate-recording-e2e-'));
      gst = await startGstRtspServer();
      env = { CAMGATE_DATA_DIR: dir, CAMGATE_CAMERA_ALLOWLIST: '127.0.0.1/32', CAMGATE_ON_DEMAND_IDLE_MS: '1000' };
      node = await startNode('rec', env);
    }, 180_000);

    afterAll(async () => {
      await node?.kill();
      await gst?.close();
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    });

    const api = (path: string, init?: RequestInit) => fetch(`${node!.url}${path}`, init);

    async function recordedSegments(atLeast: number): Promise<void> {
      const deadline = Date.now() + 90_000;
      let last: CameraStatus | undefined;
      while (Date.now() < deadline) {
        last = (await (await api('/v1/cameras/door')).json()) as CameraStatus;
        if ((last.status.recording?.segments ?? 0) >= atLeast) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${atLeast} segments were not recorded: ${JSON.stringify(last)}\n${node!.lines.join('\n')}`);
    }

    it('records, survives kill -9, and every span before the kill plays in ffmpeg and hls.js', async (ctx) => {
      const { ffmpeg, ffprobe } = requireTools(ctx, 'gst-rtsp-server', 'ffmpeg', 'ffprobe', 'chromium');
      const added = await api('/v1/cameras', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'door',
          name: 'Door',
          url: gst!.url('h264aac'),
          onDemand: true,
          recording: { enabled: true, retention: { maxAgeHours: 24 } },
        }),
      });
      expect(added.status, await added.clone().text()).toBe(201);
      // Nobody watches: the recording alone keeps the on-demand camera pulled.
      await recordedSegments(SEGMENTS_BEFORE_KILL);
      await new Promise((r) => setTimeout(r, 2000));
      await node!.kill();

      node = await startNode('rec', env);
      await recordedSegments(SEGMENTS_AFTER_RESTART);

      const listing = (await (await api('/v1/cameras/door/recordings')).json()) as {
        spans: Array<{ start: string; end: string }>;
        links: { vod: string; clip: string };
      };
      // Before the kill, and since the restart: two spans.
      expect(listing.spans.length).toBe(2);
      const before = listing.spans[0]!;
      expect(Date.parse(before.end) - Date.parse(before.start)).toBeGreaterThanOrEqual(SEGMENTS_BEFORE_KILL * 5_500);

      const vodUrl = `${node.url}${listing.links.vod}`;
      const playlist = await (await fetch(vodUrl)).text();
      expect(checkMediaPlaylist(playlist, { lowLatency: false })).toEqual([]);
      expect(playlist).toContain('#EXT-X-DISCONTINUITY');
      expect(playlist).toContain('#EXT-X-ENDLIST');

      // ffmpeg reads the VOD over HTTP (byte ranges), decoding every frame with every error fatal.
      const decoded = await runProcess(
        ffmpeg,
        ['-v', 'error', '-xerror', '-i', vodUrl, '-map', '0', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'],
        { timeoutMs: 120_000 },
      );
      expect(decoded.stderr).toBe('');
      expect(decoded.code).toBe(0);
      const frames = decoded.stdout.split('\n').filter((l) => l.startsWith('0,')).length;
      // 25 fps for as long as the playlist lasts (its GAP segments hold no frames).
      const listed = [...playlist.matchAll(/#EXTINF:([\d.]+),\n(?:#EXT-X-BYTERANGE:[^\n]+\n)media/g)]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0);
      expect(listed).toBeGreaterThanOrEqual((SEGMENTS_BEFORE_KILL + SEGMENTS_AFTER_RESTART) * 5.5);
      expect(Math.abs(frames - listed * 25), playlist).toBeLessThanOrEqual(2);

      // Every media file parses in mp4box with its init segment: no file was broken by the kill.
      const media = [...playlist.matchAll(/^media\/(\d+)\.m4s$/gm)].map((m) => m[1]);
      const maps = [...playlist.matchAll(/^#EXT-X-MAP:URI="([^"]+)"$/gm)].map((m) => m[1]);
      expect(new Set(media).size).toBeGreaterThanOrEqual(2);
      const init = await (await fetch(new URL(maps[0]!, vodUrl))).arrayBuffer();
      for (const id of new Set(media)) {
        const file = await (await fetch(new URL(`media/${id}.m4s`, vodUrl))).arrayBuffer();
        expect(() => inspectWithMp4box(new Uint8Array(init), [new Uint8Array(file)])).not.toThrow();
      }
      // A byte range of a file is answered as one (206), and one past its end is refused (416).
      const ranged = await fetch(new URL(`media/${media[0]!}.m4s`, vodUrl), { headers: { range: 'bytes=0-7' } });
      expect([ranged.status, ranged.headers.get('content-range')?.startsWith('bytes 0-7/')]).toEqual([206, true]);
      expect(new TextDecoder().decode(new Uint8Array(await ranged.arrayBuffer()).subarray(4, 8))).toBe('moof');
      const beyond = await fetch(new URL(`media/${media[0]!}.m4s`, vodUrl), { headers: { range: 'bytes=999999999-' } });
      expect(beyond.status).toBe(416);
      expect(await readFile(join(dir, 'recordings', 'index.sqlite')).then((b) => b.length)).toBeGreaterThan(0);

      // A clip across the kill, streamed: from the keyframe at or before its start (one a second)
      // to its end, the hole of the restart held by the last frame before it (the wall clock).
      const clipStart = Date.parse(before.start) + 2500;
      const clipEnd = Date.parse(listing.spans[1]!.start) + 3000;
      const clip = await fetch(`${node.url}${listing.links.clip}?start=${clipStart}&end=${clipEnd}`);
      expect([clip.status, clip.headers.get('content-type')]).toEqual([200, 'video/mp4']);
      const clipBytes = new Uint8Array(await clip.arrayBuffer());
      expect(clipBytes.length).toBe(Number(clip.headers.get('content-length')));
      const clipPath = join(dir, 'clip.mp4');
      await writeFile(clipPath, clipBytes);
      const probed = await runProcess(
        ffprobe,
        ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', clipPath],
        {
          timeoutMs: 30_000,
        },
      );
      const expected = (clipEnd - clipStart) / 1000;
      expect(Number(probed.stdout)).toBeGreaterThanOrEqual(expected - 0.1);
      expect(Number(probed.stdout)).toBeLessThanOrEqual(expected + 1.1);
      const clipDecoded = await runProcess(
        ffmpeg,
        ['-v', 'error', '-xerror', '-i', clipPath, '-map', '0', '-fps_mode', 'passthrough', '-f', 'null', '-'],
        { timeoutMs: 60_000 },
      );
      expect([clipDecoded.code, clipDecoded.stderr]).toEqual([0, '']);

      // hls.js plays the recording in Chromium, across the discontinuity of the restart.
      const browser = await launchChromium();
      try {
        await browser.page.goto(`${node.url}/healthz`);
        const played = await browser.page.evaluate(
          async ({ src, seconds }) => {
            await new Promise<void>((resolve, reject) => {
              const script = document.createElement('script');
              script.src = '/assets/hls.min.js';
              script.onload = () => resolve();
              script.onerror = () => reject(new Error('hls.js did not load'));
              document.head.append(script);
            });
            const Hls = (window as unknown as { Hls: HlsConstructor }).Hls;
            const video = document.createElement('video');
            video.muted = true;
            document.body.append(video);
            const hls = new Hls();
            const fatal: string[] = [];
            hls.on(Hls.Events.ERROR, (_e: unknown, data: { fatal: boolean; details: string }) => {
              if (data.fatal) fatal.push(data.details);
            });
            hls.loadSource(src);
            hls.attachMedia(video);
            await video.play().catch(() => undefined);
            const started = Date.now();
            while (Date.now() - started < 60_000 && fatal.length === 0 && video.currentTime < seconds) {
              await new Promise((r) => setTimeout(r, 200));
            }
            // Then into the span after the restart.
            const spans = video.seekable;
            const end = spans.length > 0 ? spans.end(spans.length - 1) : 0;
            video.currentTime = Math.max(0, end - 3);
            const seeked = Date.now();
            while (Date.now() - seeked < 30_000 && fatal.length === 0 && video.currentTime < end - 1.5) {
              await new Promise((r) => setTimeout(r, 200));
            }
            return { fatal, first: video.currentTime, end, decoded: video.getVideoPlaybackQuality().totalVideoFrames };
          },
          { src: listing.links.vod, seconds: 4 },
        );
        expect(played.fatal).toEqual([]);
        expect(played.first).toBeGreaterThanOrEqual(played.end - 1.5);
        expect(played.decoded).toBeGreaterThan(100);
      } finally {
        await browser.close();
      }
    }, 300_000);
  },
);
