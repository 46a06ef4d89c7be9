import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findTool, repoRoot } from '@camgate/testkit';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import type { CostReport } from './cost/test-cost-gateway.js';

/**
 * What a camera costs the gateway, against the usual alternative: one ffmpeg process per camera
 * (`-c copy` to fMP4 HLS, no transcoding). Three processes, measured from /proc, so that nothing
 * is subtracted: the simulated cameras (cost/test-cost-camsim.ts: one mount per camera, not in
 * phase, 4 Mbit/s H.264 + AAC over RTSP/TCP), the gateway (cost/test-cost-gateway.ts: the
 * CameraManager the gateway runs, with GC, wake-up and part-publish probes), and the ffmpeg
 * processes. Each count of cameras runs ffmpeg then the gateway against the same cameras, one after
 * the other; then a large count runs the gateway alone. A macro benchmark: each case is one real-time
 * run, so tinybench's own figures are wall time; the comparison is written to stdout.
 *
 * CAMGATE_BENCH_CAMERAS (default "10,50"; empty: none), CAMGATE_BENCH_SOLO_CAMERAS (default 200, 0: none),
 * CAMGATE_BENCH_SECONDS (default 30), CAMGATE_BENCH_SETTLE_SECONDS (default 45),
 * CAMGATE_COST_SAMPLE_SECONDS (memory samples during a run, for soak runs; default none) and CAMGATE_READ_BATCH_MS (the gateway's setting) change the run.
 */
const COUNTS = (process.env['CAMGATE_BENCH_CAMERAS'] ?? '10,50')
  .split(',')
  .filter((count) => count.trim() !== '')
  .map(Number);
const SOLO = Number(process.env['CAMGATE_BENCH_SOLO_CAMERAS'] ?? 200);
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 30);
/** ffmpeg's sessions are set up and its first segments written before measuring. */
const FFMPEG_SETTLE_S = 5;
/**
 * The gateway's windows fill before measuring: 7 listed segments of 1.6 s, then those removed but
 * still available (rfc8216bis §6.2.2: their duration plus the playlist's, 12.8 s), about 25 s of
 * media, and the part arenas settle on their chunk count. Measured earlier, the growing windows' fresh
 * pages (a page fault per 4 KiB) and external memory (mark-compacts) doubled the CPU figure.
 */
const GATEWAY_SETTLE_S = Number(process.env['CAMGATE_BENCH_SETTLE_SECONDS'] ?? 45);
/** Cameras whose part publishing is timed (a held request each, as a player makes). */
const TIMED = 10;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const here = fileURLToPath(new URL('.', import.meta.url));
/** Child processes run our TypeScript as the tests do: sources, through tsx. */
const TS_NODE = ['--conditions=camgate-source', '--import', 'tsx'];

interface FfmpegCost {
  cameras: number;
  cpuPercent: number;
  rssMiB: number;
  /** Its segments and playlists in tmpfs (memory too), per camera. */
  filesMiB: number;
}

interface Run {
  ffmpeg?: FfmpegCost;
  gateway?: CostReport;
  /** Part publish delay after the camera wrote the frame that closed it, ms. */
  delays?: number[];
  camsimCpuPercent?: number;
}

const runs = new Map<number, Run>();
let camsim: ChildProcess;
let camsimUrl: string;
let work: string;

/** utime + stime of a process, in seconds, and its resident memory in MiB (Linux /proc). */
function processCost(pid: number): { cpuS: number; rssMiB: number } {
  // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS, rssMiB: rssKiB / 1024 };
}

function bytesIn(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? bytesIn(path) : statSync(path).size;
  }
  return bytes;
}

async function camsimSendTimes(): Promise<number[][]> {
  const answer = new Promise<number[][]>((resolve) =>
    camsim.once('message', (message) => resolve((message as { sendTimes: number[][] }).sendTimes)),
  );
  camsim.send('send-times');
  return answer;
}

/** For each publish time, how long after the camera's latest video frame before it (ms). */
function publishDelays(sendTimes: number[][], publishTimes: number[][]): number[] {
  const delays: number[] = [];
  publishTimes.forEach((published, camera) => {
    const sent = sendTimes[camera] ?? [];
    let s = 0;
    for (const at of published) {
      while (s + 1 < sent.length && (sent[s + 1] as number) <= at) s++;
      const before = sent[s];
      if (before !== undefined && before <= at) delays.push(at - before);
    }
  });
  return delays.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

beforeAll(async () => {
  const paths = Math.max(...COUNTS, SOLO);
  camsim = fork(join(here, 'cost/test-cost-camsim.ts'), [], {
    cwd: repoRoot,
    execArgv: TS_NODE,
    env: { ...process.env, CAMGATE_COST_PATHS: String(paths), CAMGATE_COST_TIMED_PATHS: String(TIMED) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: camsim.stdout as NodeJS.ReadableStream }).once('line', resolve);
    camsim.once('exit', (code) => reject(new Error(`the simulated cameras exited (${code})`)));
  });
  camsimUrl = `rtsp://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  // Segments written to memory where possible, so ffmpeg pays no disk either.
  work = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'camgate-cost-'));
}, 60_000);

afterAll(async () => {
  const exited = new Promise((resolve) => camsim.once('exit', resolve));
  camsim.disconnect();
  await exited;
  await rm(work, { recursive: true, force: true });
  process.stdout.write(report());
});

function report(): string {
  const lines = [`\nPer camera, ${SECONDS} s runs (4 Mbit/s H.264 + AAC over RTSP/TCP):`];
  const idle = runs.get(0)?.gateway;
  const idlePercent = idle === undefined ? undefined : (100 * idle.cpuSeconds) / idle.seconds;
  if (idle !== undefined)
    lines.push(
      `  the gateway process without cameras: ${idlePercent?.toFixed(3)}% of a core, ` +
        `${(idle.wakeups / idle.seconds).toFixed(1)} wake-ups/s, ${(idle.memoryAfter.rss / 2 ** 20).toFixed(0)} MiB resident`,
    );
  for (const [count, run] of [...runs].sort(([a], [b]) => a - b)) {
    const g = run.gateway;
    const f = run.ffmpeg;
    if (count === 0) continue;
    lines.push(`  ${count} cameras:`);
    if (f !== undefined)
      lines.push(
        `    ffmpeg -c copy -f hls: ${f.cpuPercent.toFixed(3)}% of a core, ${f.rssMiB.toFixed(1)} MiB resident + ` +
          `${f.filesMiB.toFixed(1)} MiB of files in tmpfs`,
      );
    if (g !== undefined) {
      const cpu = (100 * g.cpuSeconds) / g.seconds / g.cameras;
      const rss = (g.memoryAfter.rss - g.memoryBefore.rss) / 2 ** 20 / g.cameras;
      const held = g.mediaHeld / 2 ** 20 / g.cameras;
      const external = (g.memoryAfter.external - g.memoryBefore.external) / 2 ** 20 / g.cameras;
      lines.push(
        `    camgate: ${cpu.toFixed(3)}% of a core, ${rss.toFixed(1)} MiB resident (${external.toFixed(1)} MiB external) ` +
          `for ${held.toFixed(1)} MiB of media held (${(rss / held).toFixed(2)}x), ${(g.bitrate / 1000).toFixed(0)} kbit/s`,
        `    camgate: ${(g.wakeups / g.seconds / g.cameras).toFixed(1)} wake-ups/s per camera ` +
          `(${(g.wakeups / g.seconds).toFixed(0)}/s in all); GC in ${g.seconds} s: ${g.gc.major} mark-compact, ` +
          `${g.gc.minor} scavenge, ${g.gc.incremental} incremental, ${g.gc.totalMs.toFixed(0)} ms; ` +
          `event loop ${(100 * g.eventLoopUtilization).toFixed(1)}% busy; ` +
          `${(g.pageFaults / g.seconds / g.cameras).toFixed(0)} page faults/s per camera`,
      );
      for (const sample of g.samples)
        lines.push(
          `    at ${sample.atSeconds.toFixed(0)} s: ${(sample.rss / 2 ** 20).toFixed(0)} MiB resident, ` +
            `${(sample.external / 2 ** 20).toFixed(0)} MiB external (${(sample.arrayBuffers / 2 ** 20).toFixed(0)} MiB ` +
            `ArrayBuffers), ${(sample.heapUsed / 2 ** 20).toFixed(0)} MiB heap, ${(sample.mediaHeld / 2 ** 20).toFixed(0)} MiB media held`,
        );
      if (g.watchErrors.length > 0) lines.push(`    part timing stopped early: ${g.watchErrors.join('; ')}`);
      const d = run.delays ?? [];
      if (d.length > 0)
        lines.push(
          `    part published after its last frame was sent: p50 ${quantile(d, 0.5)?.toFixed(2)} ms, ` +
            `p90 ${quantile(d, 0.9)?.toFixed(2)} ms, p99 ${quantile(d, 0.99)?.toFixed(2)} ms, ` +
            `max ${d.at(-1)?.toFixed(2)} ms (${d.length} parts, ${d.filter((ms) => ms > 5).length} over 5 ms)`,
        );
      if (f !== undefined)
        lines.push(
          `    ratio: camgate uses ${(cpu / f.cpuPercent).toFixed(3)}x ffmpeg's CPU and ` +
            `${(rss / (f.rssMiB + f.filesMiB)).toFixed(2)}x its memory (resident + segment files)`,
        );
      if (idlePercent !== undefined) {
        const extra = (100 * g.cpuSeconds) / g.seconds - idlePercent;
        lines.push(
          `    per camera over the idle process: ${(extra / count).toFixed(3)}% of a core` +
            (f === undefined ? '' : ` (${(extra / count / f.cpuPercent).toFixed(3)}x ffmpeg's)`),
        );
      }
    }
    if (run.camsimCpuPercent !== undefined)
      lines.push(`    (the simulated cameras used ${run.camsimCpuPercent.toFixed(3)}% of a core per camera)`);
  }
  return `${lines.join('\n')}\n`;
}

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

async function runFfmpeg(count: number): Promise<void> {
  // tinybench may call a case again after its one iteration (warm-up): one run of real time is enough.
  if (runs.get(count)?.ffmpeg !== undefined) return;
  const ffmpeg = findTool('ffmpeg');
  if (!ffmpeg.found) {
    process.stdout.write(`ffmpeg baseline skipped: ${ffmpeg.reason}\n`);
    return;
  }
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const dir = join(work, `ffmpeg-${count}-${i}`);
      await mkdir(dir);
      dirs.push(dir);
      // The same job as the gateway minus parts and serving: RTSP/TCP in, 2 s fMP4 segments, 7 listed,
      // old ones deleted.
      const args = ['-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', `${camsimUrl}/cam-${i}`];
      args.push('-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '7');
      args.push('-hls_segment_type', 'fmp4', '-hls_flags', 'delete_segments+independent_segments');
      children.push(spawn(ffmpeg.path, [...args, join(dir, 'index.m3u8')], { stdio: 'ignore' }));
    }
    await sleep(FFMPEG_SETTLE_S * 1000);
    const pids = children.map((child) => child.pid as number);
    const before = pids.map(processCost);
    await sleep(SECONDS * 1000);
    const after = pids.map(processCost);
    const cpuS = after.reduce((sum, cost, i) => sum + cost.cpuS - (before[i]?.cpuS ?? 0), 0);
    const run = runs.get(count) ?? {};
    run.ffmpeg = {
      cameras: count,
      cpuPercent: (100 * cpuS) / SECONDS / count,
      rssMiB: after.reduce((sum, cost) => sum + cost.rssMiB, 0) / count,
      filesMiB: dirs.reduce((sum, dir) => sum + bytesIn(dir), 0) / 2 ** 20 / count,
    };
    runs.set(count, run);
  } finally {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }
}

async function runGateway(count: number, settleSeconds = GATEWAY_SETTLE_S, seconds = SECONDS): Promise<void> {
  if (runs.get(count)?.gateway !== undefined) return;
  await camsimSendTimes(); // forgets earlier runs' send times
  const camsimBefore = processCost(camsim.pid as number).cpuS;
  const child = fork(join(here, 'cost/test-cost-gateway.ts'), [], {
    cwd: repoRoot,
    execArgv: TS_NODE,
    env: {
      ...process.env,
      CAMGATE_COST_CAMERAS: String(count),
      CAMGATE_COST_SECONDS: String(seconds),
      CAMGATE_COST_SETTLE_SECONDS: String(settleSeconds),
      CAMGATE_COST_TIMED: String(TIMED),
      CAMGATE_COST_CAMSIM: camsimUrl,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const report = await new Promise<CostReport | undefined>((resolve) => {
    child.once('message', (message) => resolve(message as CostReport));
    void exited.then(() => resolve(undefined));
  });
  const camsimAfter = processCost(camsim.pid as number).cpuS;
  const code = await exited;
  if (report === undefined) throw new Error(`the gateway process exited (${code}) without a report`);
  const run = runs.get(count) ?? {};
  run.gateway = report;
  run.delays = publishDelays(await camsimSendTimes(), report.publishTimes);
  // Includes the cameras' set-up and the settle time: an upper bound of the simulated cameras' cost.
  if (count > 0) run.camsimCpuPercent = (100 * (camsimAfter - camsimBefore)) / (seconds + settleSeconds) / count;
  runs.set(count, run);
}

describe('cameras pulled by ffmpeg processes and by the gateway', () => {
  // The process's own cost (HTTP server, metrics, timers) without cameras: what the first camera adds to.
  bench('camgate idle: the gateway process without cameras', () => runGateway(0, 0, Math.min(SECONDS, 20)), once);
  for (const count of COUNTS) {
    bench(`baseline: ${count} ffmpeg processes (-c copy, fMP4 HLS)`, () => runFfmpeg(count), once);
    bench(`camgate: ${count} cameras in one process`, () => runGateway(count), once);
  }
  if (SOLO > 0) bench(`camgate alone: ${SOLO} cameras in one process`, () => runGateway(SOLO), once);
});
