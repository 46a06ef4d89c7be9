import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import type { Keyframe } from './keyframe-keeper.js';
import {
  ffmpegArguments,
  parseSnapshotWidth,
  runFfmpeg,
  SnapshotService,
  type DecodeFunction,
  type DecodeJob,
} from './snapshot-service.js';

let sequence = 0;
function keyframe(): Keyframe {
  // An IDR slice (type 5) behind its 4-byte length, with SPS (7) and PPS (8) as the track's.
  return {
    codec: 'h264',
    data: new Uint8Array([0, 0, 0, 2, 0x65, 0x88]),
    parameterSets: [new Uint8Array([0x67, 1]), new Uint8Array([0x68, 2])],
    sequence: ++sequence,
    wallclock: 1_700_000_000_000,
  };
}

/** A decode that finishes when the test says so, recording what it was given. */
class FakeDecoder {
  readonly jobs: Array<{ job: DecodeJob; finish: (jpeg?: Buffer) => void; fail: (err: Error) => void }> = [];
  readonly decode: DecodeFunction = (job, signal) =>
    new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      this.jobs.push({
        job,
        finish: (jpeg = Buffer.from([0xff, 0xd8, this.jobs.length])) => resolve(jpeg),
        fail: reject,
      });
    });

  /** Resolves once `count` decodes have started. */
  async started(count: number): Promise<void> {
    for (let i = 0; i < 1000 && this.jobs.length < count; i++) await new Promise((r) => setImmediate(r));
    expect(this.jobs.length).toBe(count);
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return err instanceof GatewayError ? `${err.statusCode} ${err.code}` : String(err);
  }
  return 'resolved';
}

describe('SnapshotService', () => {
  it('shares one decode among concurrent requests for the same camera, width and keyframe', async () => {
    const fake = new FakeDecoder();
    const service = new SnapshotService({ decode: fake.decode });
    const frame = keyframe();
    const requests = [1, 2, 3, 4, 5].map(() => service.snapshot('cam', frame, 320));
    await fake.started(1);
    fake.jobs[0]?.finish();
    const pictures = await Promise.all(requests);
    expect(new Set(pictures.map((p) => p.jpeg)).size).toBe(1);
    expect(service.stats).toMatchObject({ decodes: 1, shared: 4, failures: 0 });
    expect(pictures[0]?.takenAt).toBe(frame.wallclock);
  });

  it.each([
    { what: 'another width', other: (k: Keyframe) => ['cam', k, 640] as const },
    { what: 'as it is', other: (k: Keyframe) => ['cam', k, undefined] as const },
    { what: 'another camera', other: (k: Keyframe) => ['cam2', k, 320] as const },
    { what: 'a newer keyframe', other: () => ['cam', keyframe(), 320] as const },
  ])('decodes again for $what', async ({ other }) => {
    const fake = new FakeDecoder();
    const service = new SnapshotService({ decode: fake.decode });
    const frame = keyframe();
    const first = service.snapshot('cam', frame, 320);
    await fake.started(1);
    fake.jobs[0]?.finish();
    await first;
    const [camera, k, width] = other(frame);
    const second = service.snapshot(camera, k, width);
    await fake.started(2);
    fake.jobs[1]?.finish();
    await second;
    expect(service.stats.decodes).toBe(2);
  });

  it('keeps a picture for the cache time, then decodes again', async () => {
    let now = 0;
    const fake = new FakeDecoder();
    const service = new SnapshotService({ decode: fake.decode, cacheMs: 3000, now: () => now });
    const frame = keyframe();
    const first = service.snapshot('cam', frame);
    await fake.started(1);
    fake.jobs[0]?.finish();
    const picture = await first;
    now = 2999;
    expect(await service.snapshot('cam', frame)).toBe(picture);
    now = 3000;
    const again = service.snapshot('cam', frame);
    await fake.started(2);
    fake.jobs[1]?.finish();
    expect(await again).not.toBe(picture);
    expect(service.stats).toMatchObject({ decodes: 2, shared: 1 });
  });

  it('runs at most maxConcurrent decodes, queues maxQueued, and refuses more with 503 and Retry-After', async () => {
    const fake = new FakeDecoder();
    const service = new SnapshotService({ decode: fake.decode, maxConcurrent: 2, maxQueued: 3 });
    const requests = [1, 2, 3, 4, 5].map(() => service.snapshot('cam', keyframe()));
    await fake.started(2);
    expect({ running: service.running, queued: service.queued }).toEqual({ running: 2, queued: 3 });
    let refused: unknown;
    try {
      await service.snapshot('cam', keyframe());
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe(GatewayErrorCode.SNAPSHOT_UNAVAILABLE);
    expect((refused as GatewayError).statusCode).toBe(503);
    expect((refused as GatewayError).retryAfterS).toBe(1);
    // Each finished decode lets one queued in, never more than two at once.
    for (let done = 0; done < 5; done++) {
      expect(service.running).toBeLessThanOrEqual(2);
      fake.jobs[done]?.finish();
      await requests[done];
      await fake.started(Math.min(5, done + 3));
    }
    await Promise.all(requests);
    expect(service.stats).toMatchObject({ decodes: 5, refused: 1 });
  });

  it('answers a failed decode as 503 SNAPSHOT_UNAVAILABLE with the reason, never a 500, and does not cache it', async () => {
    const fake = new FakeDecoder();
    const service = new SnapshotService({ decode: fake.decode });
    const frame = keyframe();
    const first = service.snapshot('cam', frame);
    await fake.started(1);
    fake.jobs[0]?.fail(new Error('invalid data'));
    let failure: unknown;
    try {
      await first;
    } catch (err) {
      failure = err;
    }
    expect((failure as GatewayError).code).toBe(GatewayErrorCode.SNAPSHOT_UNAVAILABLE);
    expect((failure as GatewayError).message).toContain('invalid data');
    const second = service.snapshot('cam', frame);
    await fake.started(2);
    fake.jobs[1]?.finish();
    await second;
    expect(service.stats).toMatchObject({ decodes: 2, failures: 1 });
  });

  it('times a decode out (its signal aborts) as 503', async () => {
    const fake = new FakeDecoder();
    const service = new SnapshotService({ decode: fake.decode, timeoutMs: 20 });
    const result = await codeOf(service.snapshot('cam', keyframe()));
    expect(result).toBe('503 CAMGATE_ERR_SNAPSHOT_UNAVAILABLE');
    expect(service.running).toBe(0);
  });

  it('close() aborts running decodes and refuses queued and later ones', async () => {
    const fake = new FakeDecoder();
    const service = new SnapshotService({ decode: fake.decode, maxConcurrent: 1 });
    const running = codeOf(service.snapshot('cam', keyframe()));
    const queued = codeOf(service.snapshot('cam', keyframe()));
    await fake.started(1);
    service.close();
    expect(await running).toBe('503 CAMGATE_ERR_SNAPSHOT_UNAVAILABLE');
    expect(await queued).toBe('503 CAMGATE_ERR_SNAPSHOT_UNAVAILABLE');
    expect(await codeOf(service.snapshot('cam', keyframe()))).toBe('503 CAMGATE_ERR_SNAPSHOT_UNAVAILABLE');
  });

  it('is a 501 FFMPEG_NOT_FOUND naming the fix when ffmpeg cannot be run', async () => {
    const service = new SnapshotService({ ffmpeg: new FfmpegBinary('/nonexistent/ffmpeg') });
    let failure: unknown;
    try {
      await service.snapshot('cam', keyframe());
    } catch (err) {
      failure = err;
    }
    expect((failure as GatewayError).statusCode).toBe(501);
    expect((failure as GatewayError).code).toBe(GatewayErrorCode.FFMPEG_NOT_FOUND);
    expect((failure as GatewayError).message).toContain('CAMGATE_FFMPEG');
    expect(service.stats.decodes).toBe(0);
  });
});

describe('parseSnapshotWidth', () => {
  it.each([
    { query: undefined, width: undefined },
    { query: null, width: undefined },
    { query: '320', width: 320 },
    { query: '16', width: 16 },
    { query: '3840', width: 3840 },
    { query: '321', width: 320 },
    { query: '17', width: 16 },
    { query: '0640', width: 640 },
  ])('?width=$query is $width', ({ query, width }) => {
    expect(parseSnapshotWidth(query)).toBe(width);
  });

  it.each(['', '15', '0', '3841', '99999', '-320', '320.5', '1e3', 'abc', ' 320', '0x140', '123456'])(
    '?width=%j is 400 VALIDATION on query.width',
    (query) => {
      let failure: unknown;
      try {
        parseSnapshotWidth(query);
      } catch (err) {
        failure = err;
      }
      expect((failure as GatewayError).statusCode).toBe(400);
      expect((failure as GatewayError).code).toBe(GatewayErrorCode.VALIDATION);
      expect((failure as GatewayError).fields[0]?.field).toBe('query.width');
    },
  );
});

describe('ffmpegArguments', () => {
  it.each([
    { codec: 'h264' as const, width: undefined, format: 'h264', scale: undefined },
    { codec: 'h265' as const, width: 320, format: 'hevc', scale: "scale=w='min(320,iw)':h=-2" },
  ])('$codec at width $width', ({ codec, width, format, scale }) => {
    const args = ffmpegArguments({ codec, width });
    expect(args[args.indexOf('-f') + 1]).toBe(format);
    expect(args[args.indexOf('-frames:v') + 1]).toBe('1');
    expect(args.includes('-vf') ? args[args.indexOf('-vf') + 1] : undefined).toBe(scale);
    expect(args.slice(-3)).toEqual(['-f', 'image2pipe', 'pipe:1']);
  });
});

describe('runFfmpeg', () => {
  let dir: string;
  /** A stand-in for ffmpeg: a shell script that replaces itself with `command` (so a kill reaches it). */
  const fakeFfmpeg = async (name: string, command: string) => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nexec ${command}\n`);
    await chmod(path, 0o755);
    return path;
  };
  const job: DecodeJob = { codec: 'h264', annexB: new Uint8Array([0, 0, 0, 1, 0x65, 0x88]), width: undefined };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-fake-ffmpeg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('kills a decoder that does not finish when its signal aborts (the timeout): 503', async () => {
    const path = await fakeFfmpeg('hang', 'sleep 30');
    const started = performance.now();
    expect(await codeOf(runFfmpeg(path, job, AbortSignal.timeout(100), 1024))).toBe(
      '503 CAMGATE_ERR_SNAPSHOT_UNAVAILABLE',
    );
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('kills a decoder that writes more than the output bound: 503 naming the bound', async () => {
    const path = await fakeFfmpeg('flood', 'cat /dev/zero');
    let failure: unknown;
    try {
      await runFfmpeg(path, job, new AbortController().signal, 64 * 1024);
    } catch (err) {
      failure = err;
    }
    expect((failure as GatewayError).code).toBe(GatewayErrorCode.SNAPSHOT_UNAVAILABLE);
    expect((failure as GatewayError).message).toContain(`larger than ${64 * 1024} bytes`);
  });

  it('output that is no JPEG is no picture: 503', async () => {
    const path = await fakeFfmpeg('text', 'echo hello');
    expect(await codeOf(runFfmpeg(path, job, new AbortController().signal, 1024))).toBe(
      '503 CAMGATE_ERR_SNAPSHOT_UNAVAILABLE',
    );
  });

  it('real ffmpeg refusing a keyframe that is not one: 503 with ffmpeg’s reason', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    let failure: unknown;
    try {
      await runFfmpeg(ffmpeg, job, AbortSignal.timeout(10_000), 1024 * 1024);
    } catch (err) {
      failure = err;
    }
    expect((failure as GatewayError).code).toBe(GatewayErrorCode.SNAPSHOT_UNAVAILABLE);
    expect((failure as GatewayError).statusCode).toBe(503);
    expect((failure as GatewayError).message).toMatch(/^no snapshot: ffmpeg could not decode the keyframe/);
  });
});
