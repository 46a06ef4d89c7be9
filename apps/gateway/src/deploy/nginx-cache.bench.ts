import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { CamsimServer } from '@camgate/camsim';
import { HlsStream } from '@camgate/hls';
import { RtspSession } from '@camgate/rtsp';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { buildServer } from '../http/server.js';
import { SessionBridge } from '../pipeline/session-bridge.js';
import { findNginx, NginxCache } from './test-nginx.js';

/**
 * What a tier of nginx caches (docs/nginx/camgate-cache.conf, as operators copy it) saves the
 * gateway. One camera (the simulated camera's H.264 + AAC over RTSP, real time) is packaged by the
 * gateway as `camgate serve` builds it (buildServer). VIEWERS viewers do what hls.js does at the
 * live edge, for the video and the audio rendition each on a keep-alive connection of its own: a
 * blocking reload of the media playlist held for the next part (`_HLS_msn`/`_HLS_part`), then a
 * GET of the newest part, again and again. They run in a child process (plain JavaScript, Node's
 * http/https clients) so that their CPU time is apart from the gateway's.
 *
 * Two cases, each after a warm-up: the viewers on the gateway directly (HTTP/1.1, the baseline),
 * then through Debian's nginx with the operator's file (HTTPS, HTTP/1.1 keep-alive to nginx; the
 * test certificate). The gateway counts what reaches it (a listener on its HTTP server), nginx's CPU
 * is read from /proc for its master and workers, and the viewers time every blocking-reload answer
 * so that the delay nginx's cache lock adds (waiters poll every 500 ms) shows: for each (MSN, part)
 * asked, how long after the first viewer each other viewer got it.
 *
 * Parts last up to 1000 ms by default (shorter where a segment ends): 500 viewers then make about
 * 2,500 requests a second, which one viewers' process keeps up with on a 2-vCPU machine that also
 * runs nginx and the gateway. With the gateway's 200 ms parts they would make 10,000 a second (over
 * TLS): the viewers fall behind, their reloads no longer block, and the run measures a saturated
 * client instead (it says so). How many requests reach the gateway per part does not depend on the
 * part's length; `CAMGATE_BENCH_PART_MS=200` with fewer viewers shows it at the real length.
 *
 * CAMGATE_BENCH_VIEWERS (default 500), CAMGATE_BENCH_SECONDS (default 20), CAMGATE_BENCH_PART_MS
 * (default 1000) and CAMGATE_BENCH_NGINX_WORKERS (default `auto`, as Debian's nginx.conf) change the
 * run.
 */
const VIEWERS = Number(process.env['CAMGATE_BENCH_VIEWERS'] ?? 500);
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 20);
const PART_MS = Number(process.env['CAMGATE_BENCH_PART_MS'] ?? 1000);
const NGINX_WORKERS = process.env['CAMGATE_BENCH_NGINX_WORKERS'] ?? 'auto';
/** Once every viewer plays, they play this long before measuring: connections made, the JIT warm. */
const WARMUP_MS = 3000;
const RENDITIONS = ['video', 'audio'] as const;
/** A window whose viewers made 5% fewer requests than the pace of the parts measured a busy machine. */
const OFF_PACE = 0.05;
/** 2% of a core: less than that above the background is noise on a shared machine. */
const NOISE_CORE = 0.02;
/** Requests a second from which the gateway's CPU per request is shown. */
const PER_REQUEST_MIN_RATE = 500;
/** Linux's clock ticks per second for /proc/<pid>/stat CPU times (USER_HZ, 100 on every common build). */
const CLOCK_TICKS = 100;

/**
 * The viewers. Config on the first stdin line; prints `{"event":"started"}` once every viewer has its
 * playlists, counts from a `measure` line on, and prints `{"event":"done",...}` after `stop`.
 */
const CLIENT = `
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { base, viewers, renditions, ca } = JSON.parse((await lines.next()).value);
const JOINING_AT_ONCE = 64;
const url = new URL(base);
const client = url.protocol === 'https:' ? https : http;
const statuses = {};
const requests = { playlist: 0, part: 0 };
/** Per reload asked while measuring: when each viewer got its answer (ms). */
const answered = new Map();
let measuring = false;
let stopping = false;
let started = 0;
let failure;
function get(agent, path, text) {
  return new Promise((resolve, reject) => {
    const request = client.get({ host: url.hostname, port: url.port, path, agent }, (response) => {
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
      let body = '';
      if (text) response.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      else response.resume();
      response.on('end', () => resolve({ status: response.statusCode, body }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
function position(playlist) {
  let msn = Number(/^#EXT-X-MEDIA-SEQUENCE:(\\d+)$/m.exec(playlist)?.[1]);
  let nextPart = 0;
  let lastPart;
  for (const line of playlist.split('\\n')) {
    if (line.startsWith('#EXTINF:')) {
      msn++;
      nextPart = 0;
    } else if (line.startsWith('#EXT-X-PART:')) {
      nextPart++;
      lastPart = /URI="([^"]+)"/.exec(line)?.[1];
    }
  }
  return { msn, nextPart, lastPart };
}
let joining = 0;
const queue = [];
async function join(task) {
  if (joining >= JOINING_AT_ONCE) await new Promise((resolve) => queue.push(resolve));
  joining++;
  try {
    return await task();
  } finally {
    joining--;
    queue.shift()?.();
  }
}
async function watch(rendition) {
  const options = { keepAlive: true, maxSockets: 1, ...(ca === undefined ? {} : { ca }) };
  const agent = new client.Agent(options);
  const playlist = url.pathname + rendition + '.m3u8';
  try {
    let { status, body } = await join(() => get(agent, playlist, true));
    if (status !== 200) throw new Error('first playlist: ' + status);
    if (++started === viewers * renditions.length) console.log(JSON.stringify({ event: 'started' }));
    while (!stopping) {
      const at = position(body);
      const query = '?_HLS_msn=' + at.msn + '&_HLS_part=' + at.nextPart;
      const reload = await get(agent, playlist + query, true);
      if (reload.status !== 200) throw new Error('blocking reload: ' + reload.status);
      if (measuring) {
        requests.playlist++;
        const key = rendition + query;
        const times = answered.get(key);
        if (times === undefined) answered.set(key, [performance.now()]);
        else times.push(performance.now());
      }
      body = reload.body;
      const part = await get(agent, url.pathname + position(body).lastPart, false);
      if (part.status !== 200) throw new Error('part: ' + part.status);
      if (measuring) requests.part++;
    }
  } catch (err) {
    if (failure === undefined) {
      failure = String(err);
      stopping = true;
      done();
    }
  } finally {
    agent.destroy();
  }
}
const watching = [];
for (let i = 0; i < viewers; i++) for (const rendition of renditions) watching.push(watch(rendition));
function percentile(sorted, p) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
function done() {
  // How long after the first viewer each other viewer got the same reload answered.
  const after = [];
  for (const times of answered.values()) {
    const first = Math.min(...times);
    for (const t of times) if (t !== first) after.push(t - first);
  }
  after.sort((a, b) => a - b);
  const spread = { p50: percentile(after, 0.5), p95: percentile(after, 0.95), p99: percentile(after, 0.99), max: after.at(-1) ?? 0 };
  console.log(JSON.stringify({ event: 'done', statuses, requests, keys: answered.size, spread, failure }));
  process.exit(0);
}
for (let line = await lines.next(); !line.done; line = await lines.next()) {
  if (line.value === 'measure') measuring = true;
  if (line.value === 'stop') break;
}
measuring = false;
stopping = true;
Promise.all(watching).then(done);
setTimeout(done, 5000).unref();
`;

interface ClientReport {
  statuses: Record<string, number>;
  requests: { playlist: number; part: number };
  keys: number;
  spread: { p50: number; p95: number; p99: number; max: number };
  failure?: string;
}

interface Case {
  name: string;
  seconds: number;
  /** Parts published per rendition in the window. */
  parts: number;
  viewers: ClientReport;
  /** What reached the gateway in the window, per rendition and kind. */
  upstream: Record<string, number>;
  gatewayCpuS: number;
  nginxCpuS?: number;
  viewersCpuS: number;
}

const results: Case[] = [];
let camsim: CamsimServer | undefined;
let session: RtspSession | undefined;
let bridge: SessionBridge | undefined;
let stream: HlsStream | undefined;
let app: FastifyInstance | undefined;
let origin: string;
let nginx: NginxCache | undefined;
let backgroundCpuPerS = 0;
const loadBefore = loadavg()[0] ?? 0;
/** Requests that reached the gateway, by rendition and kind, while counting. */
const upstream = new Map<string, number>();
let counting = false;

/** CPU seconds (user + system) of processes, from /proc. */
function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone.
    }
  }
  return ticks / CLOCK_TICKS;
}

function kindOf(url: string): string {
  const rendition = RENDITIONS.find((r) => url.includes(`/${r}`)) ?? 'other';
  if (url.includes('.m3u8?')) return `${rendition} blocking playlist`;
  if (url.includes('-part-')) return `${rendition} part`;
  return 'other';
}

/** One window of VIEWERS viewers on `base`. */
async function measure(name: string, base: string, pids: () => number[]): Promise<void> {
  const camera = stream;
  if (camera === undefined) throw new Error('the camera did not start');
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ca = base.startsWith('https:') ? readFileSync(NginxCache.cert, 'utf8') : undefined;
  child.stdin.write(`${JSON.stringify({ base, viewers: VIEWERS, renditions: RENDITIONS, ca })}\n`);
  const events: Array<{ event: string; failure?: string } & Partial<ClientReport>> = [];
  let wake: (() => void) | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    events.push(JSON.parse(line) as (typeof events)[number]);
    wake?.();
  });
  const next = async (event: string) => {
    for (;;) {
      const found = events.find((e) => e.event === event);
      if (found !== undefined) return found;
      const failed = events.find((e) => e.failure !== undefined);
      if (failed !== undefined) throw new Error(`a viewer failed: ${failed.failure}`);
      const code = await Promise.race([new Promise<void>((resolve) => (wake = resolve)).then(() => undefined), exited]);
      if (code !== undefined && !events.some((e) => e.event === event))
        throw new Error(`the viewers' process exited (${code}) before "${event}"`);
    }
  };
  await next('started');
  await sleep(WARMUP_MS);
  upstream.clear();
  const partsBefore = camera.stats.parts;
  const gatewayBefore = process.cpuUsage();
  const nginxBefore = cpuSeconds(pids());
  const viewersBefore = cpuSeconds([child.pid ?? -1]);
  const start = performance.now();
  counting = true;
  child.stdin.write('measure\n');
  await sleep(SECONDS * 1000);
  child.stdin.write('stop\n');
  counting = false;
  const seconds = (performance.now() - start) / 1000;
  const gatewayUsed = process.cpuUsage(gatewayBefore);
  const nginxCpuS = cpuSeconds(pids()) - nginxBefore;
  const viewersCpuS = cpuSeconds([child.pid ?? -1]) - viewersBefore;
  const parts = camera.stats.parts - partsBefore;
  const report = (await next('done')) as ClientReport & { event: string };
  await exited;
  if (report.failure !== undefined) throw new Error(`a viewer failed: ${report.failure}`);
  const other = Object.keys(report.statuses).filter((status) => status !== '200');
  if (other.length > 0) throw new Error(`answers other than 200: ${JSON.stringify(report.statuses)}`);
  results.push({
    name,
    seconds,
    parts,
    viewers: report,
    upstream: Object.fromEntries(upstream),
    gatewayCpuS: (gatewayUsed.user + gatewayUsed.system) / 1e6 - backgroundCpuPerS * seconds,
    ...(pids().length > 0 ? { nginxCpuS } : {}),
    viewersCpuS,
  });
}

beforeAll(async () => {
  camsim = await CamsimServer.start();
  const packager = new HlsStream({ partDurationMs: PART_MS, segmentDurationMs: 2000 });
  stream = packager;
  bridge = new SessionBridge(packager);
  session = new RtspSession({ url: camsim.url('/h264-aac'), transport: 'tcp' });
  app = buildServer({ logger: pino({ level: 'silent' }), live: (id) => (id === 'cam' ? packager : undefined) });
  app.server.on('request', (request: IncomingMessage) => {
    if (!counting) return;
    const kind = kindOf(request.url ?? '');
    upstream.set(kind, (upstream.get(kind) ?? 0) + 1);
  });
  bridge.attach(session);
  await session.connect();
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  if (!(await packager.whenReady(30_000))) throw new Error('the camera did not start');
  if (findNginx().found) {
    nginx = await NginxCache.start({
      upstreams: [new URL(origin).host],
      workerProcesses: NGINX_WORKERS === 'auto' ? 'auto' : Number(NGINX_WORKERS),
    });
  }
  // What this process spends without viewers (the camera, its RTSP session, the packager, vitest).
  await sleep(2000);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await sleep(3000);
  const used = process.cpuUsage(cpu);
  backgroundCpuPerS = (used.user + used.system) / 1e6 / ((performance.now() - start) / 1000);
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  bridge?.detach();
  await session?.close();
  stream?.close();
  await app?.close();
  await camsim?.close();
  process.stdout.write(`\n${report()}`);
});

function report(): string {
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${
    findNginx().found ? `nginx ${(findNginx() as { version: string }).version}` : 'no nginx'
  }`;
  let out =
    `nginx cache in front of the gateway: ${VIEWERS} viewers of one camera (H.264 + AAC, ${PART_MS} ms parts), ` +
    `each doing blocking reloads and part requests for video and audio, ${SECONDS} s per case (${machine}; ` +
    `load average at the start ${loadBefore.toFixed(2)}, at the end ${loadavg()[0]?.toFixed(2)})\n`;
  for (const c of results) {
    const asked = c.viewers.requests.playlist + c.viewers.requests.part;
    const viewerRate = asked / c.seconds;
    const total = Object.values(c.upstream).reduce((n, v) => n + v, 0);
    // Every viewer asks for each part's playlist and the part, in each rendition.
    const ideal = (VIEWERS * RENDITIONS.length * 2 * c.parts) / c.seconds;
    const perRequest = (cpuS: number, requests: number) => `${((cpuS * 1e6) / requests).toFixed(0)} µs per request`;
    const gatewayGross = c.gatewayCpuS + backgroundCpuPerS * c.seconds;
    out +=
      `  ${c.name}:\n` +
      `    viewers: ${Math.round(viewerRate)} requests/s (${Math.round((100 * viewerRate) / ideal)}% of the ` +
      `${Math.round(ideal)} of viewers that keep up), ${c.parts} parts per rendition in ${c.seconds.toFixed(1)} s\n` +
      `    reached the gateway: ${Math.round(total / c.seconds)} requests/s; per part and rendition: ` +
      RENDITIONS.map((r) => {
        const playlist = (c.upstream[`${r} blocking playlist`] ?? 0) / c.parts;
        const part = (c.upstream[`${r} part`] ?? 0) / c.parts;
        return `${r} ${(playlist + part).toFixed(2)} (${playlist.toFixed(2)} playlist + ${part.toFixed(2)} part)`;
      }).join(', ') +
      `, where the viewers asked ${(asked / c.parts / RENDITIONS.length).toFixed(0)}; ` +
      `ratio ${(total / asked).toFixed(4)}\n` +
      `    CPU, % of a core: gateway ` +
      // Within the noise of what it spends anyway (other processes move that by a few %).
      (c.gatewayCpuS / c.seconds < NOISE_CORE
        ? `about 0 (${((100 * gatewayGross) / c.seconds).toFixed(1)} in all, `
        : `${((100 * c.gatewayCpuS) / c.seconds).toFixed(1)} (` +
          // Per request only where requests, not the background's noise, make most of it.
          (total / c.seconds >= PER_REQUEST_MIN_RATE ? `${perRequest(c.gatewayCpuS, total)}; ` : '') +
          `${((100 * gatewayGross) / c.seconds).toFixed(1)} in all, `) +
      `${(100 * backgroundCpuPerS).toFixed(1)} without viewers)` +
      (c.nginxCpuS === undefined
        ? ''
        : `, nginx ${((100 * c.nginxCpuS) / c.seconds).toFixed(1)} (${perRequest(c.nginxCpuS, asked)})`) +
      `, viewers' process ${((100 * c.viewersCpuS) / c.seconds).toFixed(1)}\n` +
      `    a blocking reload's answer after the first viewer's: p50 ${c.viewers.spread.p50.toFixed(0)} ms, ` +
      `p95 ${c.viewers.spread.p95.toFixed(0)} ms, p99 ${c.viewers.spread.p99.toFixed(0)} ms, max ${c.viewers.spread.max.toFixed(0)} ms ` +
      `(${c.viewers.keys} reloads asked)\n` +
      (viewerRate / ideal < 1 - OFF_PACE
        ? `    WARNING: the viewers fell behind the parts (${Math.round(ideal)} requests/s, within ` +
          `${100 * OFF_PACE}%): the machine was busy, their reloads did not all block, and these figures do not compare\n`
        : '');
  }
  return out;
}

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`${VIEWERS} LL-HLS viewers of one camera, ${PART_MS} ms parts, ${SECONDS} s per case`, () => {
  bench(
    'baseline: the viewers on the gateway directly (HTTP/1.1)',
    async () => {
      await measure('baseline: directly on the gateway (HTTP/1.1)', `${origin}/live/cam/`, () => []);
    },
    once,
  );
  bench(
    'through nginx with docs/nginx/camgate-cache.conf (HTTPS)',
    async () => {
      if (nginx === undefined) throw new Error(`nginx is needed: ${(findNginx() as { reason: string }).reason}`);
      await measure('through nginx (HTTPS, HTTP/1.1 to nginx)', `${nginx.origin}/live/cam/`, () => nginx!.processIds());
    },
    once,
  );
});
