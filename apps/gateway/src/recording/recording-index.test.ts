import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { describeWithSqlite } from './test-sqlite.js';
import { RecordingIndex, type RecordedSegment } from './recording-index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function index(path = ':memory:'): Promise<RecordingIndex> {
  const opened = await RecordingIndex.open(path);
  cleanups.push(() => opened.close());
  return opened;
}

async function directory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'camgate-recording-index-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Appends segments of `durationMs` to a new file of `camera`, one after another from `startMs`. */
function record(
  idx: RecordingIndex,
  camera: string,
  startMs: number,
  segments: Array<{ durationMs: number; gapBeforeMs?: number; epoch?: number }>,
): RecordedSegment[] {
  const file = idx.openFile(camera, `${camera}/${startMs}.m4s`, startMs);
  let at = startMs;
  let offset = 0;
  return segments.map(({ durationMs, gapBeforeMs = 0, epoch = 0 }) => {
    at += gapBeforeMs;
    const row = { camera, fileId: file.id, offset, length: 1000, startMs: at, durationMs, init: 'init/a.mp4', epoch };
    idx.addSegment(row);
    offset += 1000;
    at += durationMs;
    return row;
  });
}

describeWithSqlite('RecordingIndex (better-sqlite3 built at install)', () => {
  it('creates its schema, keeps its rows when reopened, and refuses an index of a newer camgate', async () => {
    const path = join(await directory(), 'index.sqlite');
    const first = await RecordingIndex.open(path);
    record(first, 'cam1', 0, [{ durationMs: 2000 }]);
    first.close();
    const again = await index(path);
    expect(again.segments('cam1', 0, 10_000)).toHaveLength(1);
    again.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await expect(RecordingIndex.open(path)).rejects.toMatchObject({
      code: GatewayErrorCode.RECORDING_UNAVAILABLE,
      message: expect.stringMatching(/newer camgate \(schema 99/),
    });
  });

  it('a directory it cannot create a database in: RECORDING_UNAVAILABLE', async () => {
    await expect(RecordingIndex.open(join(await directory(), 'no/such/dir/index.sqlite'))).rejects.toMatchObject({
      code: GatewayErrorCode.RECORDING_UNAVAILABLE,
    });
  });

  it.each([
    ['before the indexed end (overwriting a segment)', { offset: 0 }],
    ['past the indexed end (a hole)', { offset: 1500 }],
    ['of another camera', { camera: 'cam2' }],
  ])('refuses a segment that does not follow its file: %s', async (_name, change) => {
    const idx = await index();
    const [row] = record(idx, 'cam1', 0, [{ durationMs: 2000 }]);
    const next = { ...(row as RecordedSegment), offset: 1000, startMs: 2000, ...change };
    expect(() => idx.addSegment(next)).toThrow(expect.objectContaining({ code: GatewayErrorCode.RECORDING_INDEX }));
    expect(idx.segments('cam1', 0, 10_000)).toHaveLength(1);
    expect(idx.file(row?.fileId as number)?.bytes).toBe(1000);
  });

  it('refuses a segment for a sealed file', async () => {
    const idx = await index();
    const [row] = record(idx, 'cam1', 0, [{ durationMs: 2000 }]);
    idx.sealFile(row?.fileId as number);
    expect(() => idx.addSegment({ ...(row as RecordedSegment), offset: 1000 })).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.RECORDING_INDEX }),
    );
  });

  it.each([
    ['one run', [{ durationMs: 2000 }, { durationMs: 2000 }, { durationMs: 1960 }], [[0, 5960]]],
    ['jitter within the tolerance', [{ durationMs: 2000 }, { durationMs: 2000, gapBeforeMs: 400 }], [[0, 4400]]],
    [
      'a gap beyond it',
      [{ durationMs: 2000 }, { durationMs: 2000, gapBeforeMs: 30_000 }],
      [
        [0, 2000],
        [32_000, 34_000],
      ],
    ],
    [
      'a new epoch (reconnect) without a gap',
      [{ durationMs: 2000 }, { durationMs: 2000, epoch: 1 }],
      [
        [0, 2000],
        [2000, 4000],
      ],
    ],
  ])('spans: %s', async (_name, segments, spans) => {
    const idx = await index();
    record(idx, 'cam1', 0, segments);
    record(idx, 'cam2', 0, [{ durationMs: 60_000 }]);
    expect(idx.spans('cam1', 0, 100_000).map((s) => [s.startMs, s.endMs])).toEqual(spans);
  });

  it('deleting a file cuts its time out of the spans: the ends, or the middle of one', async () => {
    const idx = await index();
    const files = [0, 4000, 8000].map((start) =>
      record(idx, 'cam1', start, [{ durationMs: 2000 }, { durationMs: 2000 }]),
    );
    const spans = () => idx.spans('cam1', 0, 100_000).map((s) => [s.startMs, s.endMs]);
    expect(spans()).toEqual([[0, 12_000]]);
    idx.deleteFile(files[1]?.[0]?.fileId as number);
    expect(spans()).toEqual([
      [0, 4000],
      [8000, 12_000],
    ]);
    idx.deleteFile(files[0]?.[0]?.fileId as number);
    expect(spans()).toEqual([[8000, 12_000]]);
    idx.deleteFile(files[2]?.[0]?.fileId as number);
    expect(spans()).toEqual([]);
  });

  it.each([0, -1, 60_001])('refuses a segment of %s ms', async (durationMs) => {
    const idx = await index();
    const file = idx.openFile('cam1', 'cam1/a.m4s', 0);
    const segment = {
      camera: 'cam1',
      fileId: file.id,
      offset: 0,
      length: 1,
      startMs: 0,
      durationMs,
      init: 'i',
      epoch: 0,
    };
    expect(() => idx.addSegment(segment)).toThrow(expect.objectContaining({ code: GatewayErrorCode.RECORDING_INDEX }));
  });

  it('lists the segments that overlap a time range, with their files', async () => {
    const idx = await index();
    record(idx, 'cam1', 1_000_000, [{ durationMs: 2000 }, { durationMs: 2000 }, { durationMs: 2000 }]);
    const found = idx.segments('cam1', 1_002_500, 1_004_000);
    expect(found.map((s) => [s.startMs, s.offset, s.path])).toEqual([[1_002_000, 1000, 'cam1/1000000.m4s']]);
    expect(idx.segments('cam1', 1_006_000, 1_010_000)).toEqual([]);
    expect(idx.segments('cam2', 0, 2_000_000)).toEqual([]);
  });

  it('retention: sealed files oldest first, sizes, and a deleted file takes its segments along', async () => {
    const idx = await index();
    const late = record(idx, 'cam1', 5000, [{ durationMs: 2000 }, { durationMs: 2000 }]);
    const early = record(idx, 'cam1', 1000, [{ durationMs: 2000 }]);
    const other = record(idx, 'cam2', 0, [{ durationMs: 2000 }]);
    expect(idx.oldestFiles(10)).toEqual([]); // nothing sealed: a file being written is never deleted
    for (const rows of [late, early, other]) idx.sealFile(rows[0]?.fileId as number);
    expect(idx.oldestFiles(10).map((f) => f.path)).toEqual(['cam2/0.m4s', 'cam1/1000.m4s', 'cam1/5000.m4s']);
    expect(idx.oldestFiles(1, 'cam1').map((f) => f.path)).toEqual(['cam1/1000.m4s']);
    expect([idx.bytes(), idx.bytes('cam1'), idx.bytes('nobody')]).toEqual([4000, 3000, 0]);
    idx.deleteFile(early[0]?.fileId as number);
    expect(idx.segments('cam1', 0, 100_000).map((s) => s.startMs)).toEqual([5000, 7000]);
    expect(idx.bytes('cam1')).toBe(2000);
  });
});
