import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CamsimServer } from '@camgate/camsim';
import { findTool } from '@camgate/testkit';
import { afterAll, bench, describe } from 'vitest';
import { CameraPipeline } from '../cameras/camera-pipeline.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { CPU_SAMPLE_MS } from './transcoder-process.js';

/**
 * What `transcode: "h264"` costs per camera: the ffmpeg process that turns the simulated camera's
 * H.265 (640x360, 25 fps, 1.6 s GOP) into H.264 with libx264 (veryfast, zerolatency) while someone
 * watches, its CPU time read from /proc over the run. A macro benchmark: tinybench's figure is
 * the run's wall time; the cost is written to stdout. The gateway's own share (splitting and
 * packaging the H.264 frames) is in the camera's cost, which does not decode anything.
 *
 * CAMGATE_BENCH_SECONDS (default 20) changes the run; CAMGATE_TRANSCODE_ENCODER picks the encoder.
 */
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 20);
/** ffmpeg starts with a keyframe and has its first segment before measuring. */
const SETTLE_MS = 5000;
const CLOCK_TICKS = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function rssMiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const lines: string[] = [];

describe(`one transcoded camera for ${SECONDS} s`, () => {
  bench(
    'ffmpeg H.265 -> H.264 (640x360, 25 fps)',
    async () => {
      const ffmpeg = findTool('ffmpeg');
      if (!ffmpeg.found) {
        lines.push(`skipped: ${ffmpeg.reason}`);
        return;
      }
      const camera = await CamsimServer.start();
      const encoder = (process.env['CAMGATE_TRANSCODE_ENCODER'] ?? 'libx264') as 'libx264';
      const pipeline = new CameraPipeline(
        'bench',
        {
          url: camera.url('/h265-aac'),
          transport: 'tcp',
          onDemand: false,
          audio: 'auto',
          enabled: true,
          transcode: 'h264',
        },
        { transcode: { ffmpeg: new FfmpegBinary(ffmpeg.path), encoder } },
      );
      try {
        const stream = pipeline.touch('bench');
        if (stream === undefined) throw new Error('no stream');
        // A viewer of the H.264 variant starts the transcoder; its playlist answers once it has parts.
        const first = await stream.handle('h264/video.m3u8');
        if (first.status !== 200) throw new Error(`h264/video.m3u8: ${first.status}`);
        await sleep(SETTLE_MS);
        const pid = pipeline.transcoder?.pid;
        if (pid === undefined) throw new Error('no transcoder');
        const before = cpuSeconds(pid);
        // The baseline, measured over the same seconds: this Node process, which runs the simulated
        // camera and the gateway's whole path for it (RTSP, depacketizing, both video renditions and
        // the audio packaged), everything camgate costs for the camera without a decoder.
        const ownBefore = process.cpuUsage();
        const framesBefore = pipeline.status().transcode?.framesOut ?? 0;
        // Requests keep the variant watched (the idle stop would end it after a minute).
        for (let s = 0; s < SECONDS; s += CPU_SAMPLE_MS / 1000) {
          await sleep(CPU_SAMPLE_MS);
          await stream.handle('h264/video.m3u8');
        }
        const cpu = ((cpuSeconds(pid) - before) / SECONDS) * 100;
        const own = process.cpuUsage(ownBefore);
        const ownCpu = ((own.user + own.system) / 1e6 / SECONDS) * 100;
        const status = pipeline.status().transcode;
        const fps = ((status?.framesOut ?? 0) - framesBefore) / SECONDS;
        lines.push(
          `${encoder}: ${cpu.toFixed(1)}% of one core, ${rssMiB(pid).toFixed(0)} MiB resident, ` +
            `${fps.toFixed(1)} frames/s out, ${status?.framesDropped ?? 0} dropped; baseline (camsim + the gateway's ` +
            `own work for the camera, same seconds): ${ownCpu.toFixed(1)}% of one core, ratio ${(cpu / ownCpu).toFixed(1)}x`,
        );
      } finally {
        await pipeline.close();
        await camera.close();
      }
    },
    once,
  );
});

afterAll(() => {
  process.stdout.write(`\nH.264 transcoding cost per camera (${SECONDS} s):\n  ${lines.join('\n  ')}\n`);
});
