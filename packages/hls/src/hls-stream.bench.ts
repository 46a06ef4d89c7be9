import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { noiseBytes } from '@camgate/testkit';
import { bench, describe, type BenchOptions } from 'vitest';
import { HlsStream } from './hls-stream.js';
import { AUDIO_TRACK, VIDEO_TRACK } from './test-frames.js';
import { openSegment } from './test-support.js';
import type { HlsFrame } from './types.js';

/**
 * The packager under a 4 Mbit/s 1080p-class H.264 camera with AAC, frames arriving as the RTSP
 * client hands them over: 25 fps, a 2 s GOP (100 KB keyframes, 18 KB P-frames: 3.9 Mbit/s) and
 * AAC-LC 48 kHz stereo at 128 kbit/s (340-byte frames), interleaved in arrival order. Payloads
 * are views on one slab of noise, like the client's frames; their content costs the packager
 * nothing (it never parses slices).
 */
const FPS = 25;
const GOP = 50;
const KEYFRAME_BYTES = 100_000;
const FRAME_BYTES = 18_000;
const AUDIO_BYTES = 340;
const AAC_FRAME = 1024;

const slab = noiseBytes(KEYFRAME_BYTES + FRAME_BYTES + AUDIO_BYTES);
/** Length-prefixed NAL units: one slice filling the frame. */
function nalFrame(bytes: Uint8Array, type: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, bytes.length - 4);
  bytes[4] = type;
  return bytes;
}
const KEYFRAME = nalFrame(slab.subarray(0, KEYFRAME_BYTES), 0x65);
const P_FRAME = nalFrame(slab.subarray(KEYFRAME_BYTES, KEYFRAME_BYTES + FRAME_BYTES), 0x41);
const AAC = slab.subarray(KEYFRAME_BYTES + FRAME_BYTES);

/** An endless camera: frames in arrival order, timestamps continuing across benchmark iterations. */
class Camera {
  #frame = 0;
  #audio = 0;
  readonly #wallclock = Date.UTC(2026, 10, 23);

  /** The frames of the next `videoFrames` video frames' time, audio up to the last one's time. */
  next(videoFrames: number): HlsFrame[] {
    const frames: HlsFrame[] = [];
    for (let i = 0; i < videoFrames; i++) {
      const n = this.#frame++;
      const seconds = n / FPS;
      while ((this.#audio * AAC_FRAME) / 48_000 <= seconds) {
        const dts = this.#audio++ * AAC_FRAME;
        frames.push({
          kind: 'audio',
          dts,
          pts: dts,
          keyframe: true,
          discontinuity: false,
          wallclock: this.#wallclock + (dts / 48_000) * 1000,
          data: AAC,
        });
      }
      const dts = n * (90_000 / FPS);
      const keyframe = n % GOP === 0;
      frames.push({
        kind: 'video',
        dts,
        pts: dts,
        keyframe,
        discontinuity: false,
        wallclock: this.#wallclock + seconds * 1000,
        data: keyframe ? KEYFRAME : P_FRAME,
      });
    }
    return frames;
  }
}

/** A stream in its steady state: the playlist window full, old segments expiring. */
function runningStream(): { stream: HlsStream; camera: Camera } {
  const stream = new HlsStream({ startMsn: 1 });
  stream.setTrack(VIDEO_TRACK);
  stream.setTrack(AUDIO_TRACK);
  const camera = new Camera();
  for (const frame of camera.next(30 * FPS)) stream.push(frame);
  return { stream, camera };
}

/** The next part of the open video segment, as a blocking reload asks for it: `_HLS_msn`, `_HLS_part`. */
async function nextPart(stream: HlsStream): Promise<URLSearchParams> {
  const { msn, nextPart: part } = openSegment((await stream.handle('video.m3u8')).body as string);
  return new URLSearchParams({ _HLS_msn: String(msn), _HLS_part: String(part) });
}

/** p50, p99 and max of the spans, on stdout (the spans can be millions: no spreading into arguments). */
function report(title: string, spans: number[]): void {
  const sorted = Float64Array.from(spans).sort();
  const at = (p: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN).toFixed(3);
  process.stdout.write(`${title}: n=${sorted.length} p50=${at(0.5)} p99=${at(0.99)} max=${at(1)} ms\n`);
}

/**
 * Options for a case that measures a span inside each iteration (tinybench times whole iterations):
 * the spans of the measured run (not the warm-up) are summarized on stdout when it ends.
 */
function measured(spans: number[], title: string, done: () => void): BenchOptions {
  return {
    ...options,
    setup: () => {
      spans.length = 0;
    },
    teardown: (_task, mode) => {
      if (mode !== 'run') return;
      report(title, spans);
      done();
    },
  };
}

/** 2 s per case: frames of 18-100 KB make garbage collection the main noise; longer runs average it out. */
const options = { time: 2000 };

// ------------------------------------------------------------------ frames to fragments

{
  const { stream, camera } = runningStream();
  // The same 10 s of frames each iteration, their timestamps moved on by 10 s: the packager keeps
  // no frame object (only its fields), so the benchmark allocates nothing of its own.
  const batch = camera.next(10 * FPS);
  const bytes = batch.reduce((sum, frame) => sum + frame.data.length, 0);
  const moveOn = () => {
    for (const frame of batch) {
      const ticks = 10 * (frame.kind === 'video' ? 90_000 : 48_000);
      frame.dts += ticks;
      frame.pts += ticks;
      frame.wallclock += 10_000;
    }
  };
  const hot = new Uint8Array(bytes);
  // What a packager holding its parts must do at least: copy each part's frames into a buffer of
  // its own (200 ms of video, 200 ms of audio).
  const partsOf = (kind: 'video' | 'audio') => {
    const frames = batch.filter((frame) => frame.kind === kind).map((frame) => frame.data);
    const perPart = Math.ceil(frames.length / (10 / 0.2));
    return Array.from({ length: Math.ceil(frames.length / perPart) }, (_, i) =>
      frames.slice(i * perPart, (i + 1) * perPart),
    );
  };
  const parts = [...partsOf('video'), ...partsOf('audio')];
  const partBytes = parts.map((part) => part.reduce((sum, data) => sum + data.length, 0));

  describe(`frames to fragments: 10 s of 4 Mbit/s H.264 + AAC (${batch.length} frames, ${bytes} bytes) into a running LL-HLS stream`, () => {
    bench(
      'baseline: copy the frames into one reused buffer (memory bandwidth)',
      () => {
        let at = 0;
        for (const frame of batch) {
          hot.set(frame.data, at);
          at += frame.data.length;
        }
      },
      options,
    );
    bench(
      'baseline: copy each 200 ms part of frames into a new buffer (the least a packager does)',
      () => {
        parts.forEach((part, i) => {
          const buffer = Buffer.allocUnsafeSlow(partBytes[i] as number);
          let at = 0;
          for (const data of part) {
            buffer.set(data, at);
            at += data.length;
          }
        });
      },
      options,
    );
    bench(
      'HlsStream.push: segments, parts, fMP4 fragments, playlists',
      () => {
        for (const frame of batch) stream.push(frame);
        moveOn();
      },
      {
        ...options,
        teardown: (_task, mode) => {
          if (mode !== 'run') return;
          // The window's memory: the media it holds, and what the part chunks reserve for it.
          const { bytesHeld, bytesReserved, chunksAllocated } = stream.stats;
          const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
          process.stdout.write(
            `window: ${mb(bytesHeld)} MB of media held, ${mb(bytesReserved)} MB reserved (${(bytesReserved / bytesHeld).toFixed(3)}x), ${chunksAllocated} chunks allocated\n`,
          );
          stream.close();
        },
      },
    );
  });
}

// ------------------------------------------------------------------ latency the packager adds

{
  const { stream, camera } = runningStream();
  const latencies: number[] = [];

  describe('packager latency: last frame of a part pushed -> the part servable (a blocked request answered)', () => {
    bench(
      'one 200 ms part (5 video + ~10 AAC frames), the request held for it answered',
      async () => {
        const query = await nextPart(stream);
        const answered = stream.handle('video.m3u8', query);
        const frames = camera.next(5);
        const last = frames.length - 1;
        for (let i = 0; i < last; i++) stream.push(frames[i] as HlsFrame);
        const start = performance.now();
        stream.push(frames[last] as HlsFrame);
        const response = await answered;
        latencies.push(performance.now() - start);
        if (response.status !== 200) throw new Error(`blocked request answered ${response.status}`);
      },
      measured(latencies, 'packager latency: last frame pushed -> blocked request answered', () => stream.close()),
    );
  });
}

// ------------------------------------------------------------------ 5000 blocked requests

const WAITING = 5000;

/** Heap bytes per waiting request: 5000 blocked reloads held, measured after full collections. */
async function heapPerWaitingRequest(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const { stream } = runningStream();
  const query = await nextPart(stream);
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = Array.from({ length: WAITING }, () => stream.handle('video.m3u8', query));
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const after = process.memoryUsage().heapUsed;
  stream.close();
  await Promise.all(held);
  return (after - before) / WAITING;
}

{
  const { stream, camera } = runningStream();
  const wakeUps: number[] = [];
  const perRequest = await heapPerWaitingRequest();

  describe(`${WAITING} blocked playlist requests on one stream (${Math.round(perRequest)} heap bytes per waiting request)`, () => {
    bench(
      `publish the part ${WAITING} requests wait for; all answered`,
      async () => {
        const query = await nextPart(stream);
        const start = { at: 0 };
        const held = Array.from({ length: WAITING }, () =>
          stream.handle('video.m3u8', query).then((response) => {
            wakeUps.push(performance.now() - start.at);
            return response;
          }),
        );
        const frames = camera.next(5);
        const last = frames.length - 1;
        for (let i = 0; i < last; i++) stream.push(frames[i] as HlsFrame);
        start.at = performance.now();
        stream.push(frames[last] as HlsFrame);
        for (const response of await Promise.all(held)) {
          if (response.status !== 200) throw new Error(`blocked request answered ${response.status}`);
        }
      },
      measured(wakeUps, `wake-up of ${WAITING} blocked requests after the part is published`, () => stream.close()),
    );
  });
}
