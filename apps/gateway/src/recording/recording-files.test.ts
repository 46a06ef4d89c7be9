import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WriteFailure } from '../store/durable-file.js';
import { problemOf } from './recorder.js';
import { mediaPath, RecordingFiles } from './recording-files.js';
import { FaultyDisk } from './test-faulty-disk.js';
import { describeWithSqlite } from './test-sqlite.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function store(root?: string): Promise<RecordingFiles> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'camgate-recordings-')));
  if (root === undefined) cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const index = await SqliteRecordingIndex.open(join(dir, 'index.sqlite'));
  cleanups.push(() => index.close());
  return new RecordingFiles(dir, index);
}

const T0 = Date.UTC(2026, 11, 6, 3, 0, 0);
const segment = (startMs: number, fill: number, size = 5000) => ({
  chunks: [new Uint8Array(size).fill(fill).subarray(0, 100), new Uint8Array(size - 100).fill(fill)],
  startMs,
  durationMs: 2000,
  init: 'init/x.mp4',
  epoch: 0,
});

describeWithSqlite('RecordingFiles (better-sqlite3 built at install)', () => {
  it('appends whole segments to an hour file, indexes each after it is on disk, and starts a new file each hour', async () => {
    const files = await store();
    const writer = files.writer('cam1');
    const rows = [];
    rows.push(await writer.append(segment(T0, 1)));
    rows.push(await writer.append(segment(T0 + 2000, 2)));
    rows.push(await writer.append(segment(T0 + 3_600_000, 3)));
    expect(rows.map((r) => [r.offset, r.length])).toEqual([
      [0, 5000],
      [5000, 5000],
      [0, 5000],
    ]);
    const first = await readFile(join(files.root, mediaPath('cam1', T0, 0)));
    expect(first.length).toBe(10_000);
    expect([first[0], first[4999], first[5000], first[9999]]).toEqual([1, 1, 2, 2]);
    expect(mediaPath('cam1', T0, 0)).toBe(join('cam1', '2026-12-06', '03-0.m4s'));
    // The first hour's file is sealed: retention may take it; the open one it never does.
    expect((await files.index.oldestFiles(10)).map((f) => f.path)).toEqual([mediaPath('cam1', T0, 0)]);
    await writer.close();
    expect(await files.index.oldestFiles(10)).toHaveLength(2);
    expect(await files.index.unsealedFiles()).toEqual([]);
  });

  it('recovery cuts bytes past the indexed end, removes files with nothing indexed and their empty folders', async () => {
    const files = await store();
    const writer = files.writer('cam1');
    await writer.append(segment(T0, 1));
    const path = join(files.root, mediaPath('cam1', T0, 0));
    // The process died while writing the next segment: half of it is in the file, not in the index.
    await appendFile(path, new Uint8Array(2500).fill(9));
    // And a camera whose first file was created just before: registered, empty.
    const lonely = await files.index.openFile('cam2', mediaPath('cam2', T0, 0), T0);
    await mkdir(join(files.root, 'cam2', '2026-12-06'), { recursive: true });
    await writeFile(join(files.root, lonely.path), new Uint8Array(10));

    const restarted = new RecordingFiles(files.root, files.index);
    expect(await restarted.recover()).toEqual({ truncated: 1, bytesCut: 2500, removed: 1 });
    expect((await stat(path)).size).toBe(5000);
    expect(await readdir(files.root)).not.toContain('cam2');
    expect(await files.index.unsealedFiles()).toEqual([]);
    // A restarted writer never appends to the old file: the same hour gets the next number.
    const again = await restarted.writer('cam1').append(segment(T0 + 4000, 4));
    expect((await files.index.file(again.fileId))?.path).toBe(mediaPath('cam1', T0, 1));
    expect(await restarted.recover()).toEqual({ truncated: 0, bytesCut: 0, removed: 0 });
  });

  it('a full disk (ENOSPC) mid-segment: the segment is refused, the file cut back and sealed; the next one starts a new file', async () => {
    const disk = new FaultyDisk(12_000);
    const openFile = disk.openFile;
    const base = await store();
    const files = new RecordingFiles(base.root, base.index, { openFile });
    const writer = files.writer('cam1');
    await writer.append(segment(T0, 1));
    await writer.append(segment(T0 + 2000, 2));
    await expect(writer.append(segment(T0 + 4000, 3))).rejects.toMatchObject({ code: 'ENOSPC' });
    const path = join(files.root, mediaPath('cam1', T0, 0));
    expect((await stat(path)).size).toBe(10_000);
    expect(await files.index.unsealedFiles()).toEqual([]);
    expect(await files.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
    // Still full: a new file is refused too, and leaves nothing behind.
    await expect(writer.append(segment(T0 + 6000, 4))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await files.index.unsealedFiles()).toEqual([]);
    expect(await readdir(dirname(path))).toEqual(['03-0.m4s']);
    // Space returns: recording goes on in a new file.
    disk.space = Number.POSITIVE_INFINITY;
    const resumed = await writer.append(segment(T0 + 8000, 5));
    expect([(await files.index.file(resumed.fileId))?.path, resumed.offset]).toEqual([mediaPath('cam1', T0, 1), 0]);
    expect(await new RecordingFiles(files.root, files.index).recover()).toEqual({
      truncated: 0,
      bytesCut: 0,
      removed: 0,
    });
  });

  it('stores an init segment once per content', async () => {
    const files = await store();
    const a = await files.storeInit(Uint8Array.of(1, 2, 3));
    const b = await files.storeInit(Uint8Array.of(1, 2, 3));
    const c = await files.storeInit(Uint8Array.of(4));
    expect(a).toBe(b);
    expect(a).toMatch(/^init\/[0-9a-f]{64}\.mp4$/);
    expect(c).not.toBe(a);
    expect(await readdir(join(files.root, 'init'))).toHaveLength(2);
    expect([...(await readFile(join(files.root, a)))]).toEqual([1, 2, 3]);
  });

  it('stores an init segment once when cameras of one model start together, and beside another process', async () => {
    const files = await store();
    const other = new RecordingFiles(files.root, files.index);
    const bytes = new Uint8Array(100_000).fill(7);
    const names = await Promise.all([
      ...Array.from({ length: 4 }, () => files.storeInit(bytes)),
      other.storeInit(bytes),
      other.storeInit(bytes),
    ]);
    expect(new Set(names).size).toBe(1);
    expect(await readdir(join(files.root, 'init'))).toEqual([names[0].slice('init/'.length)]);
    expect((await readFile(join(files.root, names[0]))).equals(bytes)).toBe(true);
  });

  it.each([
    ['ENOSPC', 'RECORDING_DISK_FULL'],
    ['EROFS', 'RECORDING_NOT_WRITABLE'],
    ['EIO', 'RECORDING_WRITE_FAILED'],
  ])('a durable write that failed with %s (its cause) is %s', (code, problem) => {
    const cause = Object.assign(new Error(code), { code });
    expect(problemOf(new WriteFailure(false, { cause })).code).toBe(problem);
  });

  it('retention removes a file, its rows and the folders it leaves empty', async () => {
    const files = await store();
    const writer = files.writer('cam1');
    await writer.append(segment(T0, 1));
    await writer.close();
    const [file] = await files.index.oldestFiles(1);
    await files.remove(file as NonNullable<typeof file>);
    expect(await files.index.bytes()).toBe(0);
    expect(await readdir(files.root)).not.toContain('cam1');
  });

  it('kill -9 while writing: every acknowledged segment is whole, nothing past the last one remains', async () => {
    const root = await mkdtemp(join(tmpdir(), 'camgate-recordings-crash-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const child = spawn(
      process.execPath,
      [
        '--conditions=camgate-source',
        '--import',
        'tsx',
        join(import.meta.dirname, 'test-recording-crash-child.ts'),
        root,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let acked = 0;
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}`)),
      );
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => {
        const counts = [...text.matchAll(/acked (\d+)/g)].map((m) => Number(m[1]));
        acked = Math.max(acked, ...counts);
        // Past an hour's file (100 segments): the kill lands in the second file, mid-write or not.
        if (acked >= 150 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
    });
    const files = await store(root);
    const report = await files.recover();
    expect(report.removed).toBeLessThanOrEqual(1);
    const rows = await files.index.segments('cam1', 0, Number.MAX_SAFE_INTEGER);
    // Every acknowledged segment is indexed (the one in flight may be too: committed, not yet said).
    expect(rows.length).toBeGreaterThanOrEqual(acked);
    expect(rows.length).toBeLessThanOrEqual(acked + 1);
    for (const [i, row] of rows.entries()) {
      const bytes = await readFile(join(root, row.path));
      const body = bytes.subarray(row.offset, row.offset + row.length);
      expect(body.length).toBe(64 * 1024);
      expect(body.every((b) => b === (i & 0xff))).toBe(true);
    }
    for (const file of new Set(rows.map((r) => r.fileId))) {
      const indexed = await files.index.file(file);
      expect((await stat(join(root, indexed?.path as string))).size).toBe(indexed?.bytes);
    }
  }, 60_000);
});
