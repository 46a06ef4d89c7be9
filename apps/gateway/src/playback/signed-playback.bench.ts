import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HlsFrame, HlsStream } from '@camgate/hls';
import { videoTestStream } from '@camgate/testkit';
import type { FastifyInstance } from 'fastify';
import { importPKCS8, SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { buildServer } from '../http/server.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { PlaybackAccess } from './playback-access.js';
import { PlaybackTokens } from './playback-tokens.js';
import { FileSigningKeyStore } from './signing-key-store.js';
import { SigningKeys } from './signing-keys.js';

/**
 * What signed playback costs per request. A gateway as `camgate serve` builds it (buildServer with
 * the camera manager, signing keys and tokens) listens on loopback; two cameras, one `public` and
 * one `signed`, are fed the same frames in real time. VIEWERS LL-HLS viewers, each on its own
 * keep-alive connection, do what hls.js does at the live edge: a blocking reload of `video.m3u8`
 * held for the next part (`_HLS_msn`/`_HLS_part`), then a GET of that part, again and again. On the
 * public camera they use `/live/<id>/`; on the signed one each viewer has a token of its own (signed
 * with jose by a key created through `POST /v1/signing-keys`) in its path, `/live/<id>/t/<token>/`.
 *
 * The viewers run in a child process, so the CPU time measured here (process.cpuUsage: the gateway,
 * the frame feeder, vitest) is the server's alone, Node's HTTP parser (which reads the longer token
 * URLs) and the sockets included. app.inject would have been cheaper to write, but it counts the
 * client's side of each request in this process and skips the parser. Requests are counted by the
 * gateway (`camgate_hls_requests_total`). Each token is seen once before the cases (a first sight
 * is one signature verification, measured on its own at the end, for ES256 and RS256), so the
 * cases measure what a viewer costs while it watches.
 *
 * Parts last 1000 ms by default: 2000 viewers then make 4,000 requests a second, which the gateway
 * and the viewers' process keep up with on a 2-vCPU machine, so the reloads really block. With the
 * gateway's default 200 ms parts they would make 20,000 a second, about 2.6 cores' worth at the
 * measured 130 µs per request: the viewers fall behind, no reload blocks, and the run measures a
 * saturated machine instead. The frames are the repository's H.264 test vector (640x360, about 100
 * kbit/s) looped, so parts are small (about 12 KB): the fixed per-request costs, where signing adds,
 * weigh more than with a camera's parts, a worst case for the ratio.
 *
 * CAMGATE_BENCH_VIEWERS (default 2000), CAMGATE_BENCH_SECONDS (default 5, per measured window),
 * CAMGATE_BENCH_ROUNDS (default 2: public and signed alternate) and CAMGATE_BENCH_PART_MS (default
 * 1000) change the run.
 */
const VIEWERS = Number(process.env['CAMGATE_BENCH_VIEWERS'] ?? 2000);
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 5);
const ROUNDS = Number(process.env['CAMGATE_BENCH_ROUNDS'] ?? 2);
const PART_MS = Number(process.env['CAMGATE_BENCH_PART_MS'] ?? 1000);
/** Once every viewer plays, they play this long before measuring: every token seen, the JIT warm. */
const WARMUP_MS = 2000;
const API_KEY = 'bench-key-0123456789-abcdefghij-KLMNOPQRS';
const PUBLIC_CAMERA = 'public-cam';
const SIGNED_CAMERA = 'signed-cam';

/**
 * The viewers, in a process of their own (plain JavaScript, Node's http client). Its config is the
 * first line on stdin; it prints `{"event":"started"}` once every viewer has its first playlist, and
 * `{"event":"done",...}` with the answers' statuses after a `stop` line on stdin.
 */
const CLIENT = `
import http from 'node:http';
import { createInterface } from 'node:readline';
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { origin, prefixes } = JSON.parse((await lines.next()).value);
const JOINING_AT_ONCE = 64;
const { hostname, port } = new URL(origin);
const statuses = {};
let stopping = false;
let started = 0;
let failure;
function get(agent, path, text) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: hostname, port, path, agent }, (response) => {
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
/** The open segment's MSN, the next part's index in it, and the newest part's URI. */
function position(playlist) {
  const lines = playlist.split('\\n');
  let msn = Number(/^#EXT-X-MEDIA-SEQUENCE:(\\d+)$/m.exec(playlist)?.[1]);
  let nextPart = 0;
  let lastPart;
  for (const line of lines) {
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
/**
 * Viewers join a few at a time: thousands of connections at once overflow the listen queue, and
 * the kernel's SYN retries (1 s, 3 s, 7 s...) would make the start take half a minute.
 */
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
async function viewer(prefix) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let { status, body } = await join(async () => {
      await get(agent, prefix + 'index.m3u8', true);
      return get(agent, prefix + 'video.m3u8', true);
    });
    if (status !== 200) throw new Error('first playlist: ' + status);
    if (++started === prefixes.length) console.log(JSON.stringify({ event: 'started' }));
    while (!stopping) {
      const at = position(body);
      const reload = await get(agent, prefix + 'video.m3u8?_HLS_msn=' + at.msn + '&_HLS_part=' + at.nextPart, true);
      if (reload.status !== 200) throw new Error('blocking reload: ' + reload.status);
      body = reload.body;
      const part = await get(agent, prefix + position(body).lastPart, false);
      if (part.status !== 200) throw new Error('part: ' + part.status);
    }
  } catch (err) {
    // The first failure ends the run at once: the benchmark refuses a run with errors.
    if (failure === undefined) {
      failure = String(err);
      stopping = true;
      done();
    }
  } finally {
    agent.destroy();
  }
}
const viewers = prefixes.map((prefix) => viewer(prefix));
function done() {
  console.log(JSON.stringify({ event: 'done', statuses, failure }));
  process.exit(0);
}
// Until \`stop\`, or until the benchmark's process is gone (stdin closed).
for (let line = await lines.next(); !line.done && line.value !== 'stop'; line = await lines.next());
stopping = true;
Promise.all(viewers).then(done);
setTimeout(done, 5000).unref();
`;

interface Window {
  cpuUs: number;
  requests: number;
  wallMs: number;
  /** Requests held by the stream, sampled through the window: most of VIEWERS when the viewers keep up. */
  heldMean: number;
}

const results = {
  backgroundUsPerS: 0,
  /** Other processes' load, which the figures depend on: the 1-minute load average at the start. */
  loadBefore: 0,
  public: [] as Window[],
  signed: [] as Window[],
};

let dir: string;
let cameras: CameraManager;
let keys: SigningKeys;
let tokens: PlaybackTokens;
let app: FastifyInstance;
let origin: string;
let feeder: NodeJS.Timeout | undefined;
/** What beforeAll made, to close, in the order made. */
const cleanup: Array<() => Promise<unknown>> = [];
let viewerTokens: string[] = [];
/** For the per-token costs: an access check like the gateway's, with a cache of its own. */
let access: PlaybackAccess;
let ownTokens: PlaybackTokens;
const sample: Record<'ES256' | 'RS256', string> = { ES256: '', RS256: '' };

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function createKey(algorithm: 'ES256' | 'RS256'): Promise<{ id: string; privateKey: string }> {
  const response = await api('POST', '/v1/signing-keys', { algorithm, name: `bench ${algorithm}` });
  if (response.status !== 201) throw new Error(`creating a key: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; privateKey: string };
}

/** Tokens for SIGNED_CAMERA as a customer's backend signs them (signing-examples.ts), each different. */
async function signTokens(algorithm: 'ES256' | 'RS256', count: number): Promise<string[]> {
  const { id, privateKey } = await createKey(algorithm);
  const key = await importPKCS8(privateKey, algorithm);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      new SignJWT({ aud: 'playback' })
        .setProtectedHeader({ alg: algorithm, kid: id })
        .setSubject(SIGNED_CAMERA)
        .setExpirationTime(exp + i)
        .sign(key),
    ),
  );
}

/** The H.264 test vector looped, pushed as a camera delivers it: each frame when its time comes. */
function feed(streams: HlsStream[]): NodeJS.Timeout {
  const video = videoTestStream('h264-high-bpyramid');
  if (video.config.kind !== 'video' || video.config.codec !== 'h264') throw new Error('H.264 vector expected');
  for (const stream of streams) {
    stream.setTrack({ kind: 'video', config: video.config, clockRate: video.timescale, width: 640, height: 360 });
  }
  const last = video.samples.at(-1);
  const loop = (last?.dts ?? 0) + (last?.duration ?? 0);
  const start = performance.now();
  let next = 0;
  return setInterval(() => {
    const due = ((performance.now() - start) * video.timescale) / 1000;
    for (;;) {
      const sample = video.samples[next % video.samples.length];
      if (sample === undefined) break;
      const offset = Math.floor(next / video.samples.length) * loop;
      if (sample.dts + offset > due) break;
      const frame: HlsFrame = {
        kind: 'video',
        dts: sample.dts + offset,
        pts: sample.pts + offset,
        keyframe: sample.sync,
        discontinuity: false,
        wallclock: Date.now(),
        data: sample.data,
      };
      for (const stream of streams) stream.push(frame);
      next++;
    }
  }, 10);
}

/** HLS answers the gateway has sent for `camera`, from its own counter. */
async function served(camera: string): Promise<number> {
  const response = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${API_KEY}` } });
  const match = new RegExp(`^camgate_hls_requests_total\\{camera="${camera}"\\} (\\d+)$`, 'm').exec(response.body);
  return Number(match?.[1] ?? 0);
}

/** Starts the viewers; resolves once each has its first playlist. */
async function startViewers(prefixes: string[]): Promise<{ stop: () => Promise<Record<string, number>> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.write(`${JSON.stringify({ origin, prefixes })}\n`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const events: Array<{ event: string; statuses?: Record<string, number>; failure?: string }> = [];
  let wake: (() => void) | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    events.push(JSON.parse(line) as (typeof events)[number]);
    wake?.();
  });
  const next = async (name: string) => {
    for (;;) {
      const found = events.find((event) => event.event === name);
      if (found !== undefined) return found;
      const failed = events.find((event) => event.failure !== undefined);
      if (failed !== undefined) throw new Error(`a viewer failed: ${failed.failure}`);
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const code = await Promise.race([woken.then(() => undefined), exited]);
      if (code !== undefined && !events.some((event) => event.event === name))
        throw new Error(`the viewers' process exited (${code}) before "${name}"`);
    }
  };
  await next('started');
  return {
    stop: async () => {
      child.stdin.write('stop\n');
      const done = await next('done');
      await exited;
      if (done.failure !== undefined) throw new Error(`a viewer failed: ${done.failure}`);
      return done.statuses ?? {};
    },
  };
}

/** One measured window of VIEWERS viewers on `camera`, after the ramp and warm-up. */
async function measure(camera: string, prefixes: string[]): Promise<Window> {
  const viewers = await startViewers(prefixes);
  await sleep(WARMUP_MS);
  const stream = cameras.pipeline(camera)?.stream;
  const before = await served(camera);
  const cpu = process.cpuUsage();
  const start = performance.now();
  let held = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    held += stream?.stats.waiting ?? 0;
    samples++;
  }, 97);
  await sleep(SECONDS * 1000);
  clearInterval(sampler);
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - start;
  const after = await served(camera);
  const statuses = await viewers.stop();
  const other = Object.keys(statuses).filter((status) => status !== '200');
  if (other.length > 0) throw new Error(`answers other than 200: ${JSON.stringify(statuses)}`);
  return { cpuUs: used.user + used.system, requests: after - before, wallMs, heldMean: held / Math.max(1, samples) };
}

beforeAll(async () => {
  results.loadBefore = loadavg()[0] ?? 0;
  dir = await mkdtemp(join(tmpdir(), 'camgate-signed-bench-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cameras = await CameraManager.open({
    store: await FileCameraStore.open(dir),
    pipeline: () => ({
      hls: { partDurationMs: PART_MS, segmentDurationMs: 2000 },
      // No camera: the frames are pushed into the stream below. One refused attempt, no retry
      // within the run (a new session would mark a discontinuity).
      session: {
        beforeConnect: () => {
          throw new Error('frames are pushed by the benchmark');
        },
      },
      backoff: { initialMs: 3_600_000, maxMs: 3_600_000 },
    }),
    defaultPlayback: 'signed',
  });
  cleanup.push(() => cameras.close());
  keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
  cleanup.push(() => keys.close());
  tokens = new PlaybackTokens(keys);
  app = buildServer({ logger: pino({ level: 'silent' }), cameras, apiKey: API_KEY, playback: { keys, tokens } });
  cleanup.push(() => app.close());
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const [id, playback] of [
    [PUBLIC_CAMERA, 'public'],
    [SIGNED_CAMERA, 'signed'],
  ] as const) {
    const response = await api('POST', '/v1/cameras', { id, name: id, url: `rtsp://192.0.2.10/${id}`, playback });
    if (response.status !== 201) throw new Error(`adding ${id}: ${response.status} ${await response.text()}`);
  }
  const streams = [PUBLIC_CAMERA, SIGNED_CAMERA].map((id) => cameras.pipeline(id)?.stream);
  if (streams.some((stream) => stream === undefined)) throw new Error('a camera has no stream');
  feeder = feed(streams as HlsStream[]);
  viewerTokens = await signTokens('ES256', VIEWERS);
  // Seen once before any case (the viewers' first requests would do it): every case measures hits.
  for (const token of viewerTokens) if ((await tokens.verify(token)) === undefined) throw new Error('token refused');
  sample.ES256 = (await signTokens('ES256', 1))[0] as string;
  sample.RS256 = (await signTokens('RS256', 1))[0] as string;
  ownTokens = new PlaybackTokens(keys);
  access = new PlaybackAccess((id) => cameras.playbackPolicy(id), ownTokens);
  for (const token of Object.values(sample)) {
    if ((await access.check(SIGNED_CAMERA, token)) === undefined) throw new Error('a sample token was refused');
  }
  // What runs without viewers (the feeder, timers, vitest), per second.
  await sleep(3000);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await sleep(2000);
  const used = process.cpuUsage(cpu);
  results.backgroundUsPerS = (used.user + used.system) / ((performance.now() - start) / 1000);
});

afterAll(async () => {
  clearInterval(feeder);
  // The last made first closed.
  for (const close of cleanup.reverse()) await close();
  process.stdout.write(`\n${viewersReport()}`);
});

/** The viewers' windows: CPU per request over all windows of a case, the background subtracted. */
function viewersReport(): string {
  if (results.public.length === 0 || results.signed.length === 0) return 'Signed playback with viewers: not measured\n';
  const net = (w: Window) => (w.cpuUs - (results.backgroundUsPerS * w.wallMs) / 1000) / w.requests;
  const total = (windows: Window[]) => {
    const sum = (f: (w: Window) => number) => windows.reduce((n, w) => n + f(w), 0);
    const wallS = sum((w) => w.wallMs) / 1000;
    const requests = sum((w) => w.requests);
    return {
      perSecond: requests / wallS,
      grossUs: sum((w) => w.cpuUs) / requests,
      netUs: (sum((w) => w.cpuUs) - results.backgroundUsPerS * wallS) / requests,
      core: sum((w) => w.cpuUs) / 1e6 / wallS,
      held: sum((w) => w.heldMean) / windows.length,
      each: windows.map((w) => net(w).toFixed(1)).join(', '),
    };
  };
  const pub = total(results.public);
  const signed = total(results.signed);
  // A window whose viewers fell behind (or caught up after the feeder was late) measured a busy
  // machine, not the same work as the others.
  const ideal = (2 * VIEWERS * 1000) / PART_MS;
  const offPace = [...results.public, ...results.signed].filter(
    (w) => Math.abs(w.requests / (ideal * (w.wallMs / 1000)) - 1) > 0.05,
  );
  const line = (name: string, t: typeof pub) =>
    `  ${name}: ${t.netUs.toFixed(1)} µs of CPU per request (${t.grossUs.toFixed(1)} µs before subtracting the ` +
    `background; windows: ${t.each}), ${Math.round(t.perSecond)} requests/s, ${(100 * t.core).toFixed(0)}% of a core, ` +
    `${Math.round(t.held)} requests held on average\n`;
  return (
    `Signed playback, ${VIEWERS} viewers doing blocking reloads and part requests over HTTP (${PART_MS} ms parts: ` +
    `${Math.round(ideal)} requests/s when every viewer keeps up), ${ROUNDS} x ${SECONDS} s per case:\n` +
    line('public camera (/live/<id>/...)', pub) +
    line('signed camera (/live/<id>/t/<token>/..., a token per viewer)', signed) +
    `  ratio signed / public: ${(signed.netUs / pub.netUs).toFixed(3)}x per request ` +
    `(${(signed.grossUs / pub.grossUs).toFixed(3)}x before subtracting the background; goal: under 1.10x)\n` +
    `  background without viewers (frame feeder, timers, vitest): ${(results.backgroundUsPerS / 1000).toFixed(1)} ms of CPU per s\n` +
    `  load average (1 min) at the start and the end: ${results.loadBefore.toFixed(2)}, ${loadavg()[0]?.toFixed(2)}\n` +
    (offPace.length === 0
      ? ''
      : `  WARNING: in ${offPace.length} of ${ROUNDS * 2} windows the viewers did not keep the pace (${Math.round(ideal)} ` +
        'requests/s, within 5%): the machine was busy, and these figures do not compare\n')
  );
}

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`${VIEWERS} LL-HLS viewers, ${PART_MS} ms parts, ${SECONDS} s per window`, () => {
  for (let round = 1; round <= ROUNDS; round++) {
    bench(
      `baseline: public camera, no token (round ${round})`,
      async () => {
        const prefixes = Array.from({ length: VIEWERS }, () => `/live/${PUBLIC_CAMERA}/`);
        results.public.push(await measure(PUBLIC_CAMERA, prefixes));
      },
      once,
    );
    bench(
      `signed camera, a token per viewer in the path (round ${round})`,
      async () => {
        const prefixes = viewerTokens.map((token) => `/live/${SIGNED_CAMERA}/t/${token}/`);
        results.signed.push(await measure(SIGNED_CAMERA, prefixes));
      },
      once,
    );
  }
});

describe('one token', () => {
  const granted = (grant: ReturnType<PlaybackAccess['check']>) => {
    if (grant === undefined || grant instanceof Promise) throw new Error('not granted at once');
  };
  bench('baseline: a public camera without a token (PlaybackAccess.check)', () => {
    granted(access.check(PUBLIC_CAMERA, undefined));
  });
  bench('cached hit: a token seen before (PlaybackAccess.check)', () => {
    granted(access.check(SIGNED_CAMERA, sample.ES256));
  });
  bench('first sight, ES256: one signature verification (PlaybackTokens.verify)', async () => {
    ownTokens.clear();
    await ownTokens.verify(sample.ES256);
  });
  bench('first sight, RS256 (2048-bit): one signature verification (PlaybackTokens.verify)', async () => {
    ownTokens.clear();
    await ownTokens.verify(sample.RS256);
  });
});
