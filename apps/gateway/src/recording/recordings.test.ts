import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectWithMp4box, requireTools, runProcess } from '@camgate/testkit';
import { afterEach, expect, it } from 'vitest';
import { RecordingProblemCode } from './recorder.js';
import { Recordings } from './recordings.js';
import { FaultyDisk } from './test-faulty-disk.js';
import { clipOf, camera, frames, Source, T0, video } from './test-recording-source.js';
import { describeWithSqlite } from './test-sqlite.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(options: { dir?: string; disk?: FaultyDisk; now?: () => number } = {}): Promise<Recordings> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'camgate-recordings-')));
  if (options.dir === undefined) cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const recordings = await Recordings.open({
    dir,
    now: options.now ?? (() => T0 + 60_000),
    ...(options.disk === undefined ? {} : { openFile: options.disk.openFile }),
  });
  cleanups.push(() => recordings.close());
  return recordings;
}

describeWithSqlite('Recordings (better-sqlite3 built at install)', () => {
  it('records an enabled camera into indexed segments that mp4box reads, and seals its file when it stops', async () => {
    const recordings = await open();
    const source = new Source();
    recordings.apply(camera(undefined), source);
    expect(source.sinks).toHaveLength(0);
    recordings.apply(camera({ enabled: true }), source);
    expect(source.sinks).toHaveLength(1);
    source.push(frames(14));
    await recordings.stop('cam1');
    expect(source.sinks).toHaveLength(0);
    const segments = await recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER);
    expect(segments.map((s) => [s.startMs - T0, s.durationMs, s.epoch])).toEqual([
      [0, 6000, 0],
      [6000, 6000, 0],
      [12000, 2000, 0],
    ]);
    expect(await recordings.index.spans('cam1', 0, Number.MAX_SAFE_INTEGER)).toEqual([
      { startMs: T0, endMs: T0 + 14_000 },
    ]);
    expect(await recordings.index.unsealedFiles()).toEqual([]);
    const file = await readFile(join(recordings.files.root, segments[0]!.path));
    const init = await readFile(join(recordings.files.root, segments[0]!.init));
    const read = inspectWithMp4box(init, [file]);
    expect(read.fragments).toHaveLength(3);
    expect(read.samples.get(1)).toHaveLength(frames(14).length);
    expect(recordings.status('cam1')).toMatchObject({ state: 'off', segments: 3, droppedSegments: 0, lastError: null });
    expect(recordings.totals).toMatchObject({ segments: 3, bytes: file.length });
  });

  it('a new recorder of the camera (a restart) goes on with a new epoch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'camgate-recordings-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await open({ dir });
    const source = new Source();
    first.apply(camera({ enabled: true }), source);
    source.push(frames(7));
    source.sinks[0]!.markDiscontinuity();
    source.push(frames(7, 100));
    await first.stop('cam1');
    await first.close();
    const second = await open({ dir });
    second.apply(camera({ enabled: true }), source);
    source.push(frames(3, 200));
    await second.stop('cam1');
    expect((await second.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER)).map((s) => s.epoch)).toEqual([
      0, 0, 1, 1, 2,
    ]);
  });

  it('a full disk: recording says why, the segment is lost, and it resumes by itself when there is room', async () => {
    const disk = new FaultyDisk(Number.POSITIVE_INFINITY);
    const recordings = await open({ disk });
    const source = new Source();
    recordings.apply(camera({ enabled: true }), source);
    const all = frames(20);
    // Up to and with the keyframe at `seconds` (the frame that cuts the segment before it).
    const through = (seconds: number) => all.findIndex((f) => f.dts === seconds * video.timescale) + 1;
    source.push(all.slice(0, through(6)));
    await recordings.drained('cam1');
    expect(recordings.status('cam1').state).toBe('recording');
    disk.space = 100;
    source.push(all.slice(through(6), through(12)));
    await recordings.drained('cam1');
    expect(recordings.status('cam1')).toMatchObject({
      state: 'failing',
      droppedSegments: 1,
      lastError: { code: RecordingProblemCode.DISK_FULL, message: 'the recordings disk is full (ENOSPC)' },
    });
    disk.space = Number.POSITIVE_INFINITY;
    source.push(all.slice(through(12)));
    await recordings.stop('cam1');
    const status = recordings.status('cam1');
    expect(status).toMatchObject({
      state: 'off',
      droppedSegments: 1,
      lastError: { code: RecordingProblemCode.DISK_FULL },
    });
    // Before the loss and after it, one epoch: the hole is a gap in the timeline, not a new one.
    const segments = await recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    expect(new Set(segments.map((s) => s.epoch))).toEqual(new Set([0]));
    expect(await recordings.index.spans('cam1', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
    expect(recordings.totals.droppedSegments).toBe(1);
  });

  it('a disabled camera, or one whose recording is turned off, stops recording; its retention is kept', async () => {
    let now = T0;
    const recordings = await open({ now: () => now });
    const source = new Source();
    recordings.apply(camera({ enabled: true, retention: { maxAgeHours: 1 } }), source);
    source.push(frames(8));
    recordings.apply({ ...camera({ enabled: true, retention: { maxAgeHours: 1 } }), enabled: false }, source);
    expect(source.sinks).toHaveLength(0);
    await recordings.stop('cam1');
    expect(await recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
    now = T0 + 2 * 3_600_000;
    const report = await recordings.retain();
    expect(report.removedFiles).toBe(1);
    expect(await recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(0);
  });

  it('a clip: from the keyframe at or before start to end, moov first; ffprobe and mp4box read it, ffmpeg decodes it', async (ctx) => {
    const { ffmpeg, ffprobe } = requireTools(ctx, 'ffmpeg', 'ffprobe');
    const recordings = await open();
    const source = new Source();
    recordings.apply(camera({ enabled: true }), source);
    source.push(frames(20));
    await recordings.stop('cam1');
    // 7.5 s to 15.2 s: the keyframe at 7 s starts it (a keyframe a second).
    const plan = await clipOf(recordings, T0 + 7500, T0 + 15_200);
    expect(plan).toMatchObject({ startMs: T0 + 7000, endMs: T0 + 15_200 });
    const parts = [plan!.header];
    for (const read of plan!.reads) {
      const file = await readFile(read.path);
      parts.push(file.subarray(read.start, read.end + 1));
    }
    const bytes = Buffer.concat(parts);
    expect(bytes.length).toBe(plan!.size);
    const read = inspectWithMp4box(bytes);
    expect(read.isFragmented).toBe(false);
    const path = join(recordings.files.root, 'clip.mp4');
    await writeFile(path, bytes);
    const probed = await runProcess(
      ffprobe,
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path],
      {
        timeoutMs: 30_000,
      },
    );
    expect(Number(probed.stdout)).toBeCloseTo(8.2, 1);
    const decoded = await runProcess(
      ffmpeg,
      ['-v', 'error', '-xerror', '-i', path, '-map', '0', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'],
      { timeoutMs: 60_000 },
    );
    expect(decoded.stderr).toBe('');
    expect(decoded.stdout.split('\n').filter((l) => l.startsWith('0,'))).toHaveLength(Math.round(8.2 * 25));
    // A damaged file: a coded error, never a crash.
    const segment = (await recordings.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER))[1]!;
    const media = join(recordings.files.root, segment.path);
    const damaged = await readFile(media);
    damaged.fill(0xff, segment.offset + 8, segment.offset + 64);
    await writeFile(media, damaged);
    await expect(clipOf(recordings, T0, T0 + 20_000)).rejects.toMatchObject({
      code: 'FMP4_UNREADABLE_FRAGMENT',
    });
    // Nothing recorded then: no clip.
    expect(await clipOf(recordings, T0 - 60_000, T0 - 1000)).toBeUndefined();
  });
});
