import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FrameSink, HlsTrack } from '@camgate/hls';
import { aacTestStream, videoTestStream } from '@camgate/testkit';
import { expect, it } from 'vitest';
import type { CameraRecord } from '../store/camera-store.js';
import { Recordings } from './recordings.js';
import { cameraSecond, testNal } from './test-camera-frames.js';
import { describeWithSqlite } from './test-sqlite.js';

/**
 * Recording's memory over hours (mediamtx#4674: out of memory after days of recording): six
 * hours of a camera (25 fps and AAC, frames scaled down to ~300 kbit/s so the disk writes stay
 * small) recorded as fast as the disk takes it, with retention deleting the oldest hour files.
 * The heap and buffers, sampled after a full GC every 10 minutes of media, do not grow after the
 * first half hour.
 */
const HOURS = 6;
const T0 = Date.UTC(2026, 11, 7, 0, 0, 0);
const video = videoTestStream('h264-main-bf2');
const audio = aacTestStream('aac-lc-48k-stereo');
const aac = (audio.samples[0] as { data: Uint8Array }).data;
const VIDEO: HlsTrack = { kind: 'video', config: video.config, clockRate: 90_000 };
const AUDIO: HlsTrack = { kind: 'audio', config: audio.config, clockRate: 48_000 };

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function memory(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describeWithSqlite('recording memory', () => {
  it(
    `${HOURS} hours of a camera recorded faster than real time: memory does not grow`,
    { timeout: 300_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'camgate-recorder-soak-'));
      let now = T0;
      const recordings = await Recordings.open({ dir, now: () => now, retentionIntervalMs: 3_600_000 });
      try {
        const sinks: FrameSink[] = [];
        const record: CameraRecord = {
          id: 'soak',
          name: 'soak',
          url: 'rtsp://127.0.0.1/x',
          transport: 'auto',
          onDemand: false,
          audio: 'auto',
          enabled: true,
          // An hour file is ~130 MB: keep the newest two hours.
          recording: { enabled: true, retention: { maxAgeHours: 1.5 } },
          createdAt: new Date(T0).toISOString(),
          updatedAt: new Date(T0).toISOString(),
        };
        recordings.apply(record, {
          addSink: (s) => {
            sinks.push(s);
            s.setTrack(VIDEO);
            s.setTrack(AUDIO);
          },
          removeSink: () => undefined,
        });
        const media = { keyframe: testNal(6000, 0x65), frame: testNal(1200, 0x41), aac, wallclockStart: T0 };
        const samples: number[] = [];
        for (let n = 0; n < HOURS * 3600; n++) {
          for (const frame of cameraSecond(n, media)) for (const sink of sinks) sink.push(frame);
          now = T0 + (n + 1) * 1000;
          if (n % 6 === 5) {
            // A segment was cut: it is written before the next is (the disk keeps up).
            await recordings.drained('soak');
          }
          if (n % 600 === 599) {
            await recordings.retain();
            samples.push(memory());
          }
        }
        await recordings.stop('soak');
        const status = recordings.status('soak');
        expect(status).toMatchObject({ droppedSegments: 0, lastError: null });
        expect(status.segments).toBe(HOURS * 600);
        // Retention kept up: files of the last 1.5 hours and the one being written at most.
        expect(await recordings.index.bytes('soak')).toBeLessThan((recordings.totals.bytes / HOURS) * 2.6);
        // After the first half hour (warm-up: caches, V8's code): what stays (the lowest samples) does
        // not grow from the first hour to the last, and what comes and goes (a segment in flight, the
        // staging memory) stays within 16 MB of it.
        const settled = samples.slice(3);
        const floor = (list: number[]) => Math.min(...list);
        process.stdout.write(
          `recorder soak: memory samples (MB) ${samples.map((m) => (m / 1e6).toFixed(1)).join(' ')}\n`,
        );
        expect(floor(samples.slice(-6)) - floor(samples.slice(3, 9))).toBeLessThan(2 * 1024 * 1024);
        expect(Math.max(...settled) - floor(settled)).toBeLessThan(16 * 1024 * 1024);
      } finally {
        await recordings.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
