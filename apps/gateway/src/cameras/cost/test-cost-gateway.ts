/**
 * The gateway side of the cost benchmark, as a process of its own: `CameraManager` and the HTTP
 * server with its metrics (as `camgate serve` builds them, logging nothing), pulling
 * `CAMGATE_COST_CAMERAS` cameras from `CAMGATE_COST_CAMSIM` (`rtsp://host:port`, paths `/cam-N`),
 * with the settings `camgate serve` takes from the environment (`CAMGATE_READ_BATCH_MS`, default 100). It waits for every camera to
 * stream, lets the windows fill, then measures for `CAMGATE_COST_SECONDS`: CPU time (all threads),
 * wake-ups of the main thread (its context switches), garbage collections by kind, memory, the media
 * the windows hold, and, for the first `CAMGATE_COST_TIMED` cameras, the time each video part was
 * published (a held request for the hinted part, as an LL-HLS player makes). Says over IPC when
 * the measured window starts and ends (`{ window: 'start' | 'end' }`, for processes measured beside
 * it), then sends one {@link CostReport} and exits.
 *
 * Run with `node --conditions=camgate-source --import tsx` (see camera-cost.bench.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HlsStream } from '@camgate/hls';
import { defaultReadScheduler } from '@camgate/rtsp';
import { configFromEnv, resolveConfig } from '../../config.js';
import { buildServer } from '../../http/server.js';
import { createLogger } from '../../logger.js';
import { FileCameraStore } from '../../store/file-camera-store.js';
import { CameraManager } from '../camera-manager.js';
import { tuneV8Tiering } from '../../cli/v8-tiering.js';

export interface CostReport {
  cameras: number;
  seconds: number;
  cpuSeconds: number;
  /** Voluntary + involuntary context switches of the main thread: how often it slept and woke. */
  wakeups: number;
  /** CPU seconds of the main thread (JavaScript, I/O) and of the others (V8's GC and compiler helpers, libuv's pool). */
  threads: Record<string, { user: number; system: number }>;
  /** Minor page faults of the process: first touches of memory (fresh buffers) cost one per 4 KiB page. */
  pageFaults: number;
  gc: { major: number; minor: number; incremental: number; weak: number; totalMs: number };
  /** Before the cameras, and at the end (bytes). */
  memoryBefore: NodeJS.MemoryUsage;
  memoryAfter: NodeJS.MemoryUsage;
  /** Media bytes the cameras' windows hold at the end (listed and recently removed segments). */
  mediaHeld: number;
  /** With CAMGATE_COST_LAG=1 (it wakes the process every 2 ms): event-loop delay p99 and max, ms. */
  lag?: { p99: number; max: number };
  /** Read batching over the run: deferrals, the shared timer's runs, and sockets it resumed. */
  readBatching: { deferrals: number; wakes: number; resumes: number; drains: number };
  /** Event-loop utilization over the run (0..1): how busy the one JavaScript thread was. */
  eventLoopUtilization: number;
  /** Memory sampled every `CAMGATE_COST_SAMPLE_SECONDS` during the run (soak runs). */
  samples: Array<{
    atSeconds: number;
    rss: number;
    external: number;
    arrayBuffers: number;
    heapUsed: number;
    mediaHeld: number;
  }>;
  /** Mean bit rate of the cameras as the gateway measured it (bits/s). */
  bitrate: number;
  /** Why a timed camera's part watcher stopped early, if one did. */
  watchErrors: string[];
  /** Per timed camera: when its video parts were published (ms of the machine's monotonic clock, as the cameras' send times). */
  publishTimes: number[][];
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const cameraCount = env('CAMGATE_COST_CAMERAS', 10);
const seconds = env('CAMGATE_COST_SECONDS', 30);
const settleSeconds = env('CAMGATE_COST_SETTLE_SECONDS', 20);
const timed = Math.min(cameraCount, env('CAMGATE_COST_TIMED', 10));
/** The settings `camgate serve` would take from this environment (CAMGATE_READ_BATCH_MS, part and segment durations). */
const config = resolveConfig(configFromEnv(process.env));
// As the camgate CLI does (a node --interrupt-budget of its own measures another budget).
tuneV8Tiering();
const sampleSeconds = env('CAMGATE_COST_SAMPLE_SECONDS', 0);
const printSamples = process.env['CAMGATE_COST_PRINT_SAMPLES'] === '1';
const camsim = process.env['CAMGATE_COST_CAMSIM'] ?? 'rtsp://127.0.0.1:8554';
/** 60 s for every camera to stream: 200 sessions set up at once on a loaded 2-core machine. */
const START_TIMEOUT_MS = 60_000;
/**
 * CLOCK_MONOTONIC, which every process on the machine shares: the simulated cameras' send times are
 * on it too. (Each process's `performance.timeOrigin` is a millisecond or two off the others', which
 * put a part read within that of its frame's send behind the frame before: a false 40 ms.)
 */
const clock = () => Number(process.hrtime.bigint()) / 1e6;

/** Context switches of this process's main thread (Linux /proc; its thread id is the process id). */
function mainThreadSwitches(): number {
  const status = readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8');
  const count = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(status)?.[1] ?? 0);
  return count('voluntary_ctxt_switches') + count('nonvoluntary_ctxt_switches');
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime and stime of the main thread and of the other threads of this process (seconds). */
function threadTimes(): Record<string, { user: number; system: number }> {
  const times: Record<string, { user: number; system: number }> = {};
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = tid === String(process.pid) ? 'main' : 'helpers';
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const entry = (times[name] ??= { user: 0, system: 0 });
    entry.user += Number(fields[11]) / CLOCK_TICKS;
    entry.system += Number(fields[12]) / CLOCK_TICKS;
  }
  return times;
}

/** Holds a request for the hinted part, again and again, recording when each was answered. */
async function watchParts(stream: HlsStream, times: number[], stop: AbortSignal): Promise<void> {
  const playlist = await stream.handle('video.m3u8', new URLSearchParams(), stop);
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+?)(\d+)\.m4s"/.exec(String(playlist.body));
  if (hint === null) throw new Error('no preload hint in the video playlist');
  const prefix = hint[1] as string;
  for (let n = Number(hint[2]); !stop.aborted; n++) {
    const answer = await stream.handle(`${prefix}${n}.m4s`, new URLSearchParams(), stop);
    const at = clock();
    (answer as { release?: () => void }).release?.();
    // Anything else than the part: the run is over (aborted), or the stream stalled (fewer parts timed).
    if (answer.status !== 200) return;
    times.push(at);
  }
}

/** The read scheduler's counters (process-wide, since the start). */
const batchingCounts = () => {
  const { deferrals, wakes, resumes, drains } = defaultReadScheduler;
  return { deferrals, wakes, resumes, drains };
};

const gc = { major: 0, minor: 0, incremental: 0, weak: 0, totalMs: 0 };
let counting = false;
new PerformanceObserver((list) => {
  if (!counting) return;
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
    gc.totalMs += entry.duration;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
    else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) gc.incremental++;
    else gc.weak++;
  }
}).observe({ entryTypes: ['gc'] });

const dir = await mkdtemp(join(tmpdir(), 'camgate-cost-'));
const memoryBefore = process.memoryUsage();
const cameras = await CameraManager.open({
  store: await FileCameraStore.open(dir),
  // As `camgate serve` builds them (serve-command.ts), minus the logger and the address policy.
  pipeline: () => ({
    hls: { partDurationMs: config.partDurationMs, segmentDurationMs: config.segmentDurationMs },
    session: { readBatchMs: config.readBatchMs },
  }),
});
const app = buildServer({ logger: createLogger('silent', undefined, { env: {} }), cameras });
await app.ready();
try {
  for (let i = 0; i < cameraCount; i++) {
    await cameras.create({ id: `cam-${i}`, name: `Camera ${i}`, url: `${camsim}/cam-${i}`, transport: 'tcp' });
  }
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    const streaming = cameras.list().filter((camera) => camera.status.state === 'streaming').length;
    if (streaming === cameraCount) break;
    if (performance.now() > deadline) throw new Error(`${streaming} of ${cameraCount} cameras streaming`);
    await sleep(200);
  }
  // The windows fill (7 listed segments and those removed but still available) before measuring.
  await sleep(settleSeconds * 1000);

  const stop = new AbortController();
  const publishTimes: number[][] = [];
  const watchers: Array<Promise<void>> = [];
  const watchErrors: string[] = [];
  for (let i = 0; i < timed; i++) {
    const stream = cameras.pipeline(`cam-${i}`)?.stream;
    if (stream === undefined) throw new Error(`cam-${i} has no stream`);
    const times: number[] = [];
    publishTimes.push(times);
    // A watcher that fails (its stream replaced by a reconnect, say) stops timing that camera; the
    // run goes on and says so, instead of an unhandled rejection ending the process unreported.
    watchers.push(watchParts(stream, times, stop.signal).catch((err: unknown) => void watchErrors.push(String(err))));
  }
  const mediaHeld = () => {
    let bytes = 0;
    for (let i = 0; i < cameraCount; i++) bytes += cameras.pipeline(`cam-${i}`)?.stream?.stats.bytesHeld ?? 0;
    return bytes;
  };
  const samples: CostReport['samples'] = [];
  const lag = process.env['CAMGATE_COST_LAG'] === '1' ? monitorEventLoopDelay({ resolution: 2 }) : undefined;
  lag?.enable();
  counting = true;
  const switches = mainThreadSwitches();
  const faults = process.resourceUsage().minorPageFault;
  const threadsBefore = threadTimes();
  const batching = batchingCounts();
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  // The driver measures processes beside this one (ffmpeg) over the same window.
  process.send?.({ window: 'start' });
  const sampler =
    sampleSeconds > 0
      ? setInterval(() => {
          const memory = process.memoryUsage();
          const sample = {
            atSeconds: (performance.now() - started) / 1000,
            rss: memory.rss,
            external: memory.external,
            arrayBuffers: memory.arrayBuffers,
            heapUsed: memory.heapUsed,
            mediaHeld: mediaHeld(),
          };
          samples.push(sample);
          // Soak runs print each sample as it is taken: a run cut short still says what it saw.
          if (printSamples) process.stdout.write(`sample ${JSON.stringify(sample)}\n`);
        }, sampleSeconds * 1000)
      : undefined;
  await sleep(seconds * 1000);
  process.send?.({ window: 'end' });
  clearInterval(sampler);
  const used = process.cpuUsage(cpu);
  const batchingAfter = batchingCounts();
  const eventLoopUtilization = performance.eventLoopUtilization(elu).utilization;
  const wakeups = mainThreadSwitches() - switches;
  const pageFaults = process.resourceUsage().minorPageFault - faults;
  const threads = threadTimes();
  for (const [name, time] of Object.entries(threads)) {
    time.user -= threadsBefore[name]?.user ?? 0;
    time.system -= threadsBefore[name]?.system ?? 0;
  }
  counting = false;
  stop.abort();
  await Promise.allSettled(watchers);

  const views = cameras.list();
  const report: CostReport = {
    cameras: cameraCount,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    wakeups,
    pageFaults,
    threads,
    gc,
    memoryBefore,
    memoryAfter: process.memoryUsage(),
    mediaHeld: mediaHeld(),
    eventLoopUtilization,
    readBatching: {
      deferrals: batchingAfter.deferrals - batching.deferrals,
      wakes: batchingAfter.wakes - batching.wakes,
      resumes: batchingAfter.resumes - batching.resumes,
      drains: batchingAfter.drains - batching.drains,
    },
    ...(lag === undefined ? {} : { lag: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 } }),
    samples,
    bitrate: views.reduce((sum, camera) => sum + camera.status.bitrate, 0) / Math.max(1, views.length),
    publishTimes,
    watchErrors,
  };
  // An hour's report is megabytes of IPC: disconnecting before it is flushed lost it (the first
  // hour-long soak ended "without a report").
  await new Promise<void>((resolve, reject) => {
    if (process.send === undefined) resolve();
    else process.send(report, undefined, {}, (err) => (err === null ? resolve() : reject(err)));
  });
} finally {
  await app.close();
  await cameras.close();
  await rm(dir, { recursive: true, force: true });
}
if (process.connected) process.disconnect();
