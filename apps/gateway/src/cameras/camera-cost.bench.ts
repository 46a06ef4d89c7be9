import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CamsimServer, loadClip, type Clip, type ClipFrame } from '@camgate/camsim';
import { findTool } from '@camgate/testkit';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { FileCameraStore } from '../store/file-camera-store.js';
import { CameraManager } from './camera-manager.js';

/**
 * What a camera costs the gateway, against the usual alternative: one ffmpeg process per camera
 * (`-c copy` to fMP4 HLS, no transcoding). Both pull the same cameras (the simulated camera, in
 * this process, over RTSP/TCP, its pictures grown to a 1080p camera's 4 Mbit/s) for the same real
 * time; ffmpeg's CPU time comes from /proc, the
 * gateway's is this process's CPU time minus what the simulated camera costs here while it serves
 * ffmpeg (the same sessions). A macro benchmark: each case is one run of real time, so tinybench's
 * own figures are wall time; the comparison is written to stdout.
 *
 * CAMGATE_BENCH_CAMERAS (default 10) and CAMGATE_BENCH_SECONDS (default 20) change the run.
 */
const CAMERAS = Number(process.env['CAMGATE_BENCH_CAMERAS'] ?? 10);
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 20);
/** A 1080p camera at about 4 Mbit/s with a 1.6 s GOP: 100 KB keyframes, 18 KB other pictures. */
const KEYFRAME_BYTES = 100_000;
const PICTURE_BYTES = 18_000;
/** Sessions are set up and the first segments written before measuring. */
const SETTLE_MS = 5000;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface Cost {
  /** Share of one core per camera, in percent. */
  cpuPercent: number;
  /** Resident memory per camera, MiB. */
  rssMiB: number;
}

let camsim: CamsimServer;
let work: string;
const results: { ffmpeg?: Cost; camgate?: Cost; camsimCpuS?: number; bitrate?: number } = {};

/**
 * The bundled H.264 + AAC clip with every picture's last slice grown to a camera's size. Neither
 * side decodes pictures (both copy them), so the added bytes only have to keep the NAL structure:
 * no zero bytes, hence no start code or emulation prevention inside.
 */
async function fourMegabitClip(): Promise<Clip> {
  const clip = await loadClip('h264-aac');
  // A copy: the loaded clip stays as others know it.
  return {
    ...clip,
    tracks: clip.tracks.map((track) =>
      track.kind !== 'video'
        ? track
        : { ...track, frames: track.frames.map((frame) => ({ ...frame, data: grow(frame) })) },
    ),
  };
}

/** The picture with its last NAL unit lengthened to the size of a 4 Mbit/s camera's. */
function grow(frame: ClipFrame): Uint8Array {
  const target = frame.keyframe ? KEYFRAME_BYTES : PICTURE_BYTES;
  if (frame.data.length >= target) return frame.data;
  let last = 0;
  for (let at = 0; at < frame.data.length;) {
    last = at;
    at += 4 + new DataView(frame.data.buffer, frame.data.byteOffset + at).getUint32(0);
  }
  const grown = new Uint8Array(target);
  grown.set(frame.data);
  for (let i = frame.data.length; i < target; i++) grown[i] = 1 + ((i * 151) % 255);
  new DataView(grown.buffer).setUint32(last, target - last - 4);
  return grown;
}

beforeAll(async () => {
  camsim = await CamsimServer.start({ clips: { 'h264-aac': await fourMegabitClip() } });
  // Segments written to memory where possible, so ffmpeg pays no disk either.
  work = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'camgate-cost-'));
});

afterAll(async () => {
  await camsim.close();
  await rm(work, { recursive: true, force: true });
  const { ffmpeg, camgate } = results;
  const line = (name: string, cost: Cost | undefined) =>
    cost === undefined
      ? `${name}: not measured\n`
      : `${name}: ${cost.cpuPercent.toFixed(2)}% of a core and ${cost.rssMiB.toFixed(1)} MiB resident per camera\n`;
  process.stdout.write(
    `\nPer camera, ${CAMERAS} cameras of ${((results.bitrate ?? 0) / 1000).toFixed(0)} kbit/s for ${SECONDS} s:\n` +
      line('  ffmpeg -c copy -f hls (one process per camera)', ffmpeg) +
      line('  camgate (RTSP session + LL-HLS stream in one process)', camgate) +
      (ffmpeg !== undefined && camgate !== undefined
        ? `  ratio: ffmpeg uses ${(ffmpeg.cpuPercent / camgate.cpuPercent).toFixed(1)}x the CPU and ` +
          `${(ffmpeg.rssMiB / camgate.rssMiB).toFixed(1)}x the memory\n`
        : '') +
      (results.camsimCpuS === undefined
        ? "  (the simulated camera's own CPU time was not measured: without ffmpeg, nothing was subtracted)\n"
        : `  (the simulated camera itself used ${results.camsimCpuS.toFixed(2)} s of CPU serving ffmpeg, subtracted)\n`),
  );
});

/** utime + stime of a process, in seconds, and its resident memory in MiB (Linux /proc). */
function processCost(pid: number): { cpuS: number; rssMiB: number } {
  // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS, rssMiB: rssKiB / 1024 };
}

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`${CAMERAS} cameras pulled for ${SECONDS} s`, () => {
  bench(
    'baseline: one ffmpeg process per camera (-c copy, fMP4 HLS)',
    async () => {
      const ffmpeg = findTool('ffmpeg');
      if (!ffmpeg.found) {
        process.stdout.write(`ffmpeg baseline skipped: ${ffmpeg.reason}\n`);
        return;
      }
      const children: ChildProcess[] = [];
      try {
        for (let i = 0; i < CAMERAS; i++) {
          const dir = join(work, `ffmpeg-${i}`);
          await mkdir(dir);
          // The same job as the gateway minus parts and serving: RTSP/TCP in, 2 s fMP4 segments,
          // 7 listed, old ones deleted.
          const args = ['-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', camsim.url('/h264-aac')];
          args.push('-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '7');
          args.push('-hls_segment_type', 'fmp4', '-hls_flags', 'delete_segments+independent_segments');
          children.push(spawn(ffmpeg.path, [...args, join(dir, 'index.m3u8')], { stdio: 'ignore' }));
        }
        await sleep(SETTLE_MS);
        const pids = children.map((child) => child.pid as number);
        const before = pids.map(processCost);
        const own = process.cpuUsage();
        await sleep(SECONDS * 1000);
        results.camsimCpuS = cpuSeconds(process.cpuUsage(own));
        const after = pids.map(processCost);
        const cpuS = after.reduce((sum, cost, i) => sum + cost.cpuS - (before[i]?.cpuS ?? 0), 0);
        results.ffmpeg = {
          cpuPercent: (100 * cpuS) / SECONDS / CAMERAS,
          rssMiB: after.reduce((sum, cost) => sum + cost.rssMiB, 0) / CAMERAS,
        };
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
    },
    once,
  );

  bench(
    'camgate: one RTSP session and LL-HLS stream per camera, in this process',
    async () => {
      const dir = join(work, 'camgate');
      await mkdir(dir);
      const rssBefore = process.memoryUsage().rss;
      const cameras = await CameraManager.open({ store: await FileCameraStore.open(dir) });
      try {
        for (let i = 0; i < CAMERAS; i++) {
          await cameras.create({ id: `cam-${i}`, name: `Camera ${i}`, url: camsim.url('/h264-aac'), transport: 'tcp' });
        }
        await sleep(SETTLE_MS);
        const streaming = cameras.list().filter((camera) => camera.status.state === 'streaming').length;
        if (streaming !== CAMERAS) throw new Error(`${streaming} of ${CAMERAS} cameras streaming`);
        const own = process.cpuUsage();
        await sleep(SECONDS * 1000);
        const cpuS = cpuSeconds(process.cpuUsage(own)) - (results.camsimCpuS ?? 0);
        const views = cameras.list();
        results.bitrate = views.reduce((sum, camera) => sum + camera.status.bitrate, 0) / views.length;
        results.camgate = {
          cpuPercent: (100 * cpuS) / SECONDS / CAMERAS,
          rssMiB: (process.memoryUsage().rss - rssBefore) / 2 ** 20 / CAMERAS,
        };
      } finally {
        await cameras.close();
      }
    },
    once,
  );
});
