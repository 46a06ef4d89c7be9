/// <reference lib="dom" />
// The page functions below run in Chromium: they use the DOM types, which the gateway does not otherwise load.
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CamsimServer } from '@camgate/camsim';
import { HlsStream } from '@camgate/hls';
import { RtspSession } from '@camgate/rtsp';
import {
  hasTools,
  launchChromium,
  startGstRtspServer,
  type ChromiumSession,
  type GstRtspServer,
} from '@camgate/testkit';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { SessionBridge } from '../pipeline/session-bridge.js';
import { buildServer } from './server.js';

/**
 * Glass-to-glass latency of players in headless Chromium (docs/benchmarks.md "Player latency"):
 * the simulated camera (H.264 + AAC, 25 fps, an IDR every 1.6 s) over RTSP into the gateway as
 * `camgate serve` packages it (200 ms parts, 2 s segments: the defaults), served over HTTP/1.1 on
 * loopback. Each player plays for a warm-up, then SECONDS more; every 200 ms the page reads how far
 * behind the wall clock the picture on screen is: `Date.now() - hls.playingDate`, where playingDate
 * is the frame's EXT-X-PROGRAM-DATE-TIME, which the gateway stamps from the time it received the
 * frame (so the camera's own encoding delay, zero for the simulated camera, is not in it). Stalls:
 * the video's `waiting` events once it played. The `<camgate-player>` cases reach hls.js by
 * wrapping `attachMedia` of the one hls.js module the page and the player share.
 *
 * CAMGATE_BENCH_SECONDS (default 60) sets the measured time; CAMGATE_BENCH_HLS_CONFIG (JSON) adds a
 * case: plain hls.js with that configuration. CAMGATE_BENCH_CAMERA=gst plays GStreamer's RTSP server
 * instead (x264 zerolatency, 25 fps, an IDR every 2 s: the "2 s GOP camera"), a real peer.
 */
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 60);
const GST = process.env['CAMGATE_BENCH_CAMERA'] === 'gst';
/** 50 frames at 25 fps: an IDR every 2 s. */
const GST_GOP = 50;
const CAMERA = GST ? 'GStreamer x264 H.264 + AAC (IDR every 2 s)' : 'camsim H.264 + AAC (IDR every 1.6 s)';
const EXTRA_CONFIG = process.env['CAMGATE_BENCH_HLS_CONFIG'];
/** Played before measuring: the start, and hls.js's catching up to its target. */
const WARMUP_MS = 5000;
/** How often the page samples the latency. */
const SAMPLE_MS = 200;

interface Sampled {
  latencies: number[];
  hlsLatencies: number[];
  targets: number[];
  rates: number[];
  waiting: number;
  started: boolean;
  startupMs: number;
}

interface Result {
  name: string;
  sampled: Sampled;
}

/** The page: `?player=1&low-latency=false` plays `<camgate-player>`; `?config=<json>` plain hls.js. */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>latency</title></head>
<body style="margin:0">
<script type="module">
  import Hls from '/assets/web/vendor/hls.js';
  const params = new URLSearchParams(location.search);
  const sampled = (window.sampled = { latencies: [], hlsLatencies: [], targets: [], rates: [], waiting: 0, started: false, startupMs: 0 });
  const opened = performance.now();
  let hls = null;
  let video = null;
  if (params.has('player')) {
    const attach = Hls.prototype.attachMedia;
    Hls.prototype.attachMedia = function (media) {
      hls = this;
      video = media;
      media.addEventListener('playing', () => {
        if (!sampled.started) sampled.startupMs = performance.now() - opened;
        sampled.started = true;
      });
      media.addEventListener('waiting', () => { if (sampled.started) sampled.waiting++; });
      return attach.call(this, media);
    };
    await import('/assets/web/camgate-player.js');
    const player = document.createElement('camgate-player');
    player.setAttribute('src', '/live/cam/index.m3u8');
    player.setAttribute('autoplay', '');
    player.setAttribute('muted', '');
    if (params.get('low-latency') === 'false') player.setAttribute('low-latency', 'false');
    player.style.width = '640px';
    player.style.height = '360px';
    document.body.append(player);
  } else {
    video = document.createElement('video');
    video.muted = true;
    video.addEventListener('playing', () => {
      if (!sampled.started) sampled.startupMs = performance.now() - opened;
      sampled.started = true;
    });
    video.addEventListener('waiting', () => { if (sampled.started) sampled.waiting++; });
    document.body.append(video);
    hls = new Hls(JSON.parse(params.get('config')));
    hls.on(Hls.Events.MANIFEST_PARSED, () => void video.play());
    hls.loadSource('/live/cam/index.m3u8');
    hls.attachMedia(video);
  }
  setInterval(() => {
    if (!sampled.started || hls === null || hls.playingDate === null) return;
    sampled.latencies.push(Date.now() - hls.playingDate.getTime());
    if (Number.isFinite(hls.latency)) sampled.hlsLatencies.push(hls.latency * 1000);
    if (Number.isFinite(hls.targetLatency)) sampled.targets.push(hls.targetLatency * 1000);
    sampled.rates.push(video.playbackRate);
  }, ${SAMPLE_MS});
</script>
</body></html>`;

let camsim: CamsimServer | undefined;
let gst: GstRtspServer | undefined;
let stream: HlsStream | undefined;
let session: RtspSession | undefined;
let bridge: SessionBridge | undefined;
let app: FastifyInstance | undefined;
let browser: ChromiumSession | undefined;
let origin = '';
const results: Result[] = [];

beforeAll(async () => {
  if (!hasTools('chromium')) return;
  let url: string;
  if (GST) {
    gst = await startGstRtspServer({ fps: 25, gop: GST_GOP });
    url = gst.url('h264aac');
  } else {
    camsim = await CamsimServer.start();
    url = camsim.url('/h264-aac');
  }
  stream = new HlsStream({ partDurationMs: 200, segmentDurationMs: 2000 });
  bridge = new SessionBridge(stream);
  session = new RtspSession({ url, transport: 'tcp' });
  app = buildServer({ logger: pino({ level: 'silent' }), live: (id) => (id === 'cam' ? stream : undefined) });
  app.get('/latency', (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  bridge.attach(session);
  await session.connect();
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  bridge?.detach();
  await session?.close();
  stream?.close();
  await app?.close();
  await camsim?.close();
  await gst?.close();
  if (results.length > 0) process.stdout.write(`\n${report()}`);
});

async function measure(name: string, query: string): Promise<void> {
  if (browser === undefined) throw new Error(`Chromium is needed`);
  // vitest may call a bench more than once: one measurement per player is enough.
  if (results.some((result) => result.name === name)) return;
  const page = await browser.context.newPage();
  try {
    await page.goto(`${origin}/latency?${query}`);
    await page.waitForFunction(() => (window as unknown as { sampled: Sampled }).sampled.started, null, {
      timeout: 30_000,
    });
    await sleep(WARMUP_MS);
    await page.evaluate(() => {
      const { sampled } = window as unknown as { sampled: Sampled };
      sampled.latencies.length = 0;
      sampled.hlsLatencies.length = 0;
      sampled.targets.length = 0;
      sampled.rates.length = 0;
      sampled.waiting = 0;
    });
    // Real-time playback: the one wait here that is not for an event.
    await sleep(SECONDS * 1000);
    const sampled = await page.evaluate(() => (window as unknown as { sampled: Sampled }).sampled);
    results.push({ name, sampled });
  } finally {
    await page.close();
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function report(): string {
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`;
  let out =
    `Glass-to-glass latency (Date.now() - hls.playingDate, every ${SAMPLE_MS} ms for ${SECONDS} s after ${WARMUP_MS / 1000} s ` +
    `of warm-up), ${CAMERA}, 200 ms parts, 2 s segments, HTTP/1.1 on loopback (${machine})\n`;
  const ms = (v: number) => `${Math.round(v)} ms`;
  for (const { name, sampled } of results) {
    const l = sampled.latencies;
    out +=
      `  ${name}: p50 ${ms(quantile(l, 0.5))}, p90 ${ms(quantile(l, 0.9))}, max ${ms(Math.max(...l))} ` +
      `(${l.length} samples); hls.js latency p50 ${ms(quantile(sampled.hlsLatencies, 0.5))}, target ` +
      `${ms(quantile(sampled.targets, 0.5))}; playback rate max ${Math.max(...sampled.rates).toFixed(2)}; ` +
      `${sampled.waiting} stalls; first picture after ${ms(sampled.startupMs)}\n`;
  }
  return out;
}

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`player latency in Chromium, ${SECONDS} s per player`, () => {
  bench('<camgate-player> (low latency)', () => measure('<camgate-player>', 'player=1'), once);
  bench(
    'hls.js { lowLatencyMode: true }',
    () => measure('hls.js { lowLatencyMode: true }', `config=${encodeURIComponent('{"lowLatencyMode":true}')}`),
    once,
  );
  bench(
    '<camgate-player low-latency="false">',
    () => measure('<camgate-player low-latency="false">', 'player=1&low-latency=false'),
    once,
  );
  if (EXTRA_CONFIG !== undefined) {
    bench(
      `hls.js ${EXTRA_CONFIG}`,
      () => measure(`hls.js ${EXTRA_CONFIG}`, `config=${encodeURIComponent(EXTRA_CONFIG)}`),
      once,
    );
  }
});
