/**
 * The cost benchmark's machinery, shared by `camera-cost.bench.ts` (`pnpm bench`: 10 and 50 cameras
 * against ffmpeg, then 200) and `test-cost-soak.ts` (`pnpm bench:soak`: an hour of cameras, memory sampled).
 * Three kinds of process, measured from /proc so that nothing is subtracted: the simulated cameras
 * (test-cost-camsim.ts), the gateway (test-cost-gateway.ts) and ffmpeg, one process per camera.
 *
 * Where the machine has two cores or more, the simulated cameras run on the first and the measured
 * processes (the gateway, or the ffmpeg processes) on the others: real cameras are other machines,
 * and a camera process sharing the measured one's core evicts its caches between reads, which
 * measured 28% more CPU for the gateway at 10 cameras (0.72% of a core per camera against 0.52%).
 * ffmpeg is pinned the same way. `CAMGATE_BENCH_PIN=0` runs everything unpinned.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findTool, repoRoot } from '@camgate/testkit';
import type { CostReport } from './test-cost-gateway.js';

/** Cameras whose part publishing is timed (a held request each, as a player makes). */
const TIMED_CAMERAS = 10;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const here = fileURLToPath(new URL('.', import.meta.url));
/** Child processes run our TypeScript as the tests do: sources, through tsx. */
const TS_NODE = ['--conditions=camgate-source', '--import', 'tsx'];
/** Extra Node/V8 flags for the gateway's process, to profile it (`--cpu-prof`, `--trace-deopt`, ...). */
const GATEWAY_FLAGS = (process.env['CAMGATE_COST_GATEWAY_FLAGS'] ?? '').split(' ').filter((flag) => flag !== '');

interface FfmpegCost {
  cameras: number;
  cpuPercent: number;
  rssMiB: number;
  /** Its segments and playlists in tmpfs (memory too), per camera. */
  filesMiB: number;
}

/** ffmpeg processes running beside a gateway run. */
interface FfmpegGroup {
  pids: number[];
  /** Their output folders (tmpfs). */
  dirs: string[];
  stop(): Promise<void>;
}

/** What `group` used since `before` was taken, `seconds` ago. */
function ffmpegCost(group: FfmpegGroup, before: Array<{ cpuS: number }>, seconds: number): FfmpegCost {
  const after = group.pids.map(processCost);
  const count = group.pids.length;
  const cpuS = after.reduce((sum, cost, i) => sum + cost.cpuS - (before[i]?.cpuS ?? 0), 0);
  return {
    cameras: count,
    cpuPercent: (100 * cpuS) / seconds / count,
    rssMiB: after.reduce((sum, cost) => sum + cost.rssMiB, 0) / count,
    filesMiB: group.dirs.reduce((sum, dir) => sum + bytesIn(dir), 0) / 2 ** 20 / count,
  };
}

export interface Run {
  /** ffmpeg's processes, measured beside the gateway (`beside`). */
  ffmpeg?: FfmpegCost;
  /** The gateway measured beside ffmpeg: the CPU figure compared with ffmpeg's. */
  beside?: CostReport;
  /** The gateway alone: its figures, part-publish latency included. */
  gateway?: CostReport;
  /** Part publish delay after the camera wrote the frame that closed it, ms (the gateway alone). */
  delays?: number[];
  camsimCpuPercent?: number;
}

/** Which cores the cameras and the measured processes run on (taskset lists), or none. */
interface Pinning {
  cameras: string;
  measured: string;
}

function pinning(): Pinning | undefined {
  const cores = availableParallelism();
  if (process.env['CAMGATE_BENCH_PIN'] === '0' || cores < 2) return undefined;
  if (spawnSync('taskset', ['-V']).status !== 0) return undefined;
  return { cameras: '0', measured: `1-${cores - 1}` };
}

/** Pins a process's threads (those to come inherit it from the thread that makes them). */
function pin(pid: number | undefined, cores: string | undefined): void {
  if (pid === undefined || cores === undefined) return;
  spawnSync('taskset', ['-a', '-pc', cores, String(pid)], { stdio: 'ignore' });
}

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

export interface GatewayRunOptions {
  /** Seconds for the windows to fill before measuring. */
  settleSeconds: number;
  /** Seconds measured. */
  seconds: number;
  /** Memory sampled this often during the run (soak runs); 0: not sampled. */
  sampleSeconds?: number;
}

/** The simulated cameras, and the runs made against them. */
export class CostDriver {
  readonly runs = new Map<number, Run>();
  readonly #camsim: ChildProcess;
  readonly #camsimUrl: string;
  readonly #work: string;
  readonly #pinning: Pinning | undefined;

  private constructor(camsim: ChildProcess, camsimUrl: string, work: string, pinning: Pinning | undefined) {
    this.#camsim = camsim;
    this.#camsimUrl = camsimUrl;
    this.#work = work;
    this.#pinning = pinning;
  }

  /** Starts `paths` simulated cameras (`/cam-0` ...) in a process of their own. */
  static async start(paths: number): Promise<CostDriver> {
    const cores = pinning();
    const camsim = fork(join(here, 'test-cost-camsim.ts'), [], {
      cwd: repoRoot,
      execArgv: TS_NODE,
      env: { ...process.env, CAMGATE_COST_PATHS: String(paths), CAMGATE_COST_TIMED_PATHS: String(TIMED_CAMERAS) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    pin(camsim.pid, cores?.cameras);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: camsim.stdout as NodeJS.ReadableStream }).once('line', resolve);
      camsim.once('exit', (code) => reject(new Error(`the simulated cameras exited (${code})`)));
    });
    const url = `rtsp://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
    // Segments written to memory where possible, so ffmpeg pays no disk either.
    const work = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'camgate-cost-'));
    return new CostDriver(camsim, url, work, cores);
  }

  /** How the processes were placed, for the report. */
  get placement(): string {
    const p = this.#pinning;
    return p === undefined
      ? 'all processes on all cores'
      : `the simulated cameras on core ${p.cameras}, the measured processes on core(s) ${p.measured}`;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#camsim.once('exit', resolve));
    this.#camsim.disconnect();
    await exited;
    await rm(this.#work, { recursive: true, force: true });
  }

  async #camsimSendTimes(): Promise<number[][]> {
    const answer = new Promise<number[][]>((resolve) =>
      this.#camsim.once('message', (message) => resolve((message as { sendTimes: number[][] }).sendTimes)),
    );
    this.#camsim.send('send-times');
    return answer;
  }

  /**
   * `count` ffmpeg processes and the gateway pulling `count` other cameras, at the same time, on the
   * same core(s), measured over the same window (the gateway says when it starts and ends). Run one
   * after the other, the two figures of a run moved apart by up to 40% between runs on this
   * machine (a shared virtual machine); side by side, what slows one slows the other.
   */
  async runSideBySide(count: number, options: GatewayRunOptions): Promise<void> {
    if (this.runs.get(count)?.beside !== undefined) return;
    const group = await this.#startFfmpeg(count, count);
    try {
      await this.runGateway(count, options, group);
    } finally {
      await group?.stop();
    }
  }

  /** `count` ffmpeg processes (`-c copy` to fMP4 HLS in tmpfs) pulling the cameras from `/cam-<first>`; undefined without ffmpeg. */
  async #startFfmpeg(count: number, first: number): Promise<FfmpegGroup | undefined> {
    const ffmpeg = findTool('ffmpeg');
    if (!ffmpeg.found) {
      process.stdout.write(`ffmpeg baseline skipped: ${ffmpeg.reason}\n`);
      return undefined;
    }
    const children: ChildProcess[] = [];
    const dirs: string[] = [];
    const stop = () =>
      Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }),
      ).then(() => undefined);
    try {
      for (let i = 0; i < count; i++) {
        const dir = join(this.#work, `ffmpeg-${count}-${i}`);
        await mkdir(dir);
        dirs.push(dir);
        // The same job as the gateway minus parts and serving: RTSP/TCP in, 2 s fMP4 segments, 7 listed,
        // old ones deleted.
        const url = `${this.#camsimUrl}/cam-${first + i}`;
        const args = ['-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url];
        args.push('-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '7');
        args.push('-hls_segment_type', 'fmp4', '-hls_flags', 'delete_segments+independent_segments');
        const child = spawn(ffmpeg.path, [...args, join(dir, 'index.m3u8')], { stdio: 'ignore' });
        pin(child.pid, this.#pinning?.measured);
        children.push(child);
      }
    } catch (err) {
      await stop();
      throw err;
    }
    return { pids: children.map((child) => child.pid as number), dirs, stop };
  }

  /**
   * The gateway pulling `count` cameras in one process (test-cost-gateway.ts); with `beside`, those
   * ffmpeg processes are measured over the gateway's window. Its part-publish latency is taken alone
   * only: 50 ffmpeg processes take most of a core, and the gateway waiting for the core behind them
   * put p99 at 38 ms in a first run.
   */
  async runGateway(count: number, options: GatewayRunOptions, beside?: FfmpegGroup): Promise<void> {
    const done = this.runs.get(count);
    if ((beside === undefined ? done?.gateway : done?.beside) !== undefined) return;
    await this.#camsimSendTimes(); // forgets earlier runs' send times
    const camsimBefore = processCost(this.#camsim.pid as number).cpuS;
    const child = fork(join(here, 'test-cost-gateway.ts'), [], {
      cwd: repoRoot,
      execArgv: [...TS_NODE, ...GATEWAY_FLAGS],
      env: {
        ...process.env,
        CAMGATE_COST_CAMERAS: String(count),
        CAMGATE_COST_SECONDS: String(options.seconds),
        CAMGATE_COST_SETTLE_SECONDS: String(options.settleSeconds),
        CAMGATE_COST_SAMPLE_SECONDS: String(options.sampleSeconds ?? 0),
        // Beside ffmpeg, the same job as its processes: packaging, no viewer (ffmpeg serves nobody).
        // Alone, 10 cameras have a player-like held request per part, which times the parts.
        CAMGATE_COST_TIMED: beside === undefined ? String(TIMED_CAMERAS) : '0',
        CAMGATE_COST_CAMSIM: this.#camsimUrl,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    pin(child.pid, this.#pinning?.measured);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let window: { before: Array<{ cpuS: number }>; startedAt: number } | undefined;
    let ffmpeg: FfmpegCost | undefined;
    const report = await new Promise<CostReport | undefined>((resolve) => {
      child.on('message', (message: CostReport | { window: 'start' | 'end' }) => {
        if (!('window' in message)) resolve(message);
        else if (beside === undefined) return;
        else if (message.window === 'start')
          window = { before: beside.pids.map(processCost), startedAt: performance.now() };
        else if (window !== undefined) {
          try {
            ffmpeg = ffmpegCost(beside, window.before, (performance.now() - window.startedAt) / 1000);
          } catch (err) {
            // An ffmpeg process that ended during the window has no /proc entry: no baseline for this run.
            process.stdout.write(`ffmpeg baseline lost: ${String(err)}\n`);
          }
        }
      });
      void exited.then(() => resolve(undefined));
    });
    const camsimAfter = processCost(this.#camsim.pid as number).cpuS;
    const code = await exited;
    if (report === undefined) throw new Error(`the gateway process exited (${code}) without a report`);
    const run = this.runs.get(count) ?? {};
    if (beside !== undefined) {
      // Only the CPU figure is taken beside ffmpeg; the next run forgets these send times.
      run.beside = report;
      if (ffmpeg !== undefined) run.ffmpeg = ffmpeg;
      this.runs.set(count, run);
      return;
    }
    run.gateway = report;
    run.delays = publishDelays(await this.#camsimSendTimes(), report.publishTimes);
    // Includes the cameras' set-up and the settle time: an upper bound of the simulated cameras' cost.
    if (count > 0)
      run.camsimCpuPercent = (100 * (camsimAfter - camsimBefore)) / (options.seconds + options.settleSeconds) / count;
    this.runs.set(count, run);
  }

  /** What the runs measured, per camera, with ratios against ffmpeg where it ran. */
  report(): string {
    const cpuOf = (report: CostReport) => (100 * report.cpuSeconds) / report.seconds / report.cameras;
    const lines = [`\nPer camera (4 Mbit/s H.264 + AAC over RTSP/TCP; ${this.placement}):`];
    const idle = this.runs.get(0)?.gateway;
    const idlePercent = idle === undefined ? undefined : (100 * idle.cpuSeconds) / idle.seconds;
    if (idle !== undefined)
      lines.push(
        `  the gateway process without cameras: ${idlePercent?.toFixed(3)}% of a core, ` +
          `${(idle.wakeups / idle.seconds).toFixed(1)} wake-ups/s, ${(idle.memoryAfter.rss / 2 ** 20).toFixed(0)} MiB resident`,
      );
    for (const [count, run] of [...this.runs].sort(([a], [b]) => a - b)) {
      const g = run.gateway;
      const f = run.ffmpeg;
      if (count === 0) continue;
      lines.push(`  ${count} cameras:`);
      const b = run.beside;
      if (f !== undefined && b !== undefined) {
        const cpu = cpuOf(b);
        lines.push(
          `    side by side over the same ${b.seconds} s: ffmpeg -c copy -f hls ${f.cpuPercent.toFixed(3)}% of a core, ` +
            `${f.rssMiB.toFixed(1)} MiB resident + ${f.filesMiB.toFixed(1)} MiB of files in tmpfs; camgate ` +
            `(no viewer, as ffmpeg) ${cpu.toFixed(3)}% of a core`,
          `    ratio: camgate uses ${(cpu / f.cpuPercent).toFixed(3)}x ffmpeg's CPU` +
            (idlePercent === undefined
              ? ''
              : ` (${((cpu - idlePercent / count) / f.cpuPercent).toFixed(3)}x over the idle process)`),
        );
      }
      if (g !== undefined) {
        const cpu = cpuOf(g);
        const rss = (g.memoryAfter.rss - g.memoryBefore.rss) / 2 ** 20 / g.cameras;
        const held = g.mediaHeld / 2 ** 20 / g.cameras;
        const external = (g.memoryAfter.external - g.memoryBefore.external) / 2 ** 20 / g.cameras;
        lines.push(
          `    camgate alone (${Math.min(TIMED_CAMERAS, count)} cameras watched): ${cpu.toFixed(3)}% of a core, ${rss.toFixed(1)} MiB resident (${external.toFixed(1)} MiB external) ` +
            `for ${held.toFixed(1)} MiB of media held (${(rss / held).toFixed(2)}x), ${(g.bitrate / 1000).toFixed(0)} kbit/s`,
          `    camgate: ${(g.wakeups / g.seconds / g.cameras).toFixed(1)} wake-ups/s per camera ` +
            `(${(g.wakeups / g.seconds).toFixed(0)}/s in all); GC in ${g.seconds} s: ${g.gc.major} mark-compact, ` +
            `${g.gc.minor} scavenge, ${g.gc.incremental} incremental, ${g.gc.totalMs.toFixed(0)} ms; ` +
            `event loop ${(100 * g.eventLoopUtilization).toFixed(1)}% busy; ` +
            `${(g.pageFaults / g.seconds / g.cameras).toFixed(0)} page faults/s per camera`,
        );
        // User time is mostly JavaScript; system time mostly the wake-ups (epoll, reads, scheduling).
        const share = (name: string) => {
          const t = g.threads[name] ?? { user: 0, system: 0 };
          const percent = (seconds: number) => ((100 * seconds) / g.seconds / g.cameras).toFixed(3);
          return `${percent(t.user)}% user + ${percent(t.system)}% system`;
        };
        lines.push(`    camgate per camera: main thread ${share('main')}, other threads ${share('helpers')}`);
        const batching = g.readBatching;
        if (batching.deferrals > 0)
          lines.push(
            `    read batching, per camera and second: ${(batching.deferrals / g.seconds / g.cameras).toFixed(1)} deferrals, ` +
              `${(batching.resumes / g.seconds / g.cameras).toFixed(1)} sockets resumed, ` +
              `${(batching.drains / g.seconds / g.cameras).toFixed(1)} read in place; the shared timer ran ` +
              `${(batching.wakes / g.seconds).toFixed(0)} times a second`,
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
          lines.push(`    memory: ${(rss / (f.rssMiB + f.filesMiB)).toFixed(2)}x ffmpeg's (resident + segment files)`);
        if (idle !== undefined && idlePercent !== undefined) {
          const extra = (100 * g.cpuSeconds) / g.seconds - idlePercent;
          // What a camera adds to a process that runs anyway (its code, heap and HTTP server).
          const resident = (g.memoryAfter.rss - idle.memoryAfter.rss) / 2 ** 20 / count;
          lines.push(
            `    per camera over the idle process: ${(extra / count).toFixed(3)}% of a core, ${resident.toFixed(1)} MiB resident (${(resident / held).toFixed(2)}x the media held)`,
          );
        }
      }
      if (run.camsimCpuPercent !== undefined)
        lines.push(`    (the simulated cameras used ${run.camsimCpuPercent.toFixed(3)}% of a core per camera)`);
    }
    return `${lines.join('\n')}\n`;
  }
}
