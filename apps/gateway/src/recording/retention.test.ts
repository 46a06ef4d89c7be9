import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { RecordingFiles } from './recording-files.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';
import { Retention, type RetentionPolicy } from './retention.js';
import { describeWithSqlite } from './test-sqlite.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const T0 = Date.UTC(2026, 11, 6, 0, 0, 0);
const HOUR = 3_600_000;

/**
 * cam1: three hour files of two 5000-byte segments (the third still being written); cam2: two,
 * both sealed. 50000 bytes in all.
 */
async function fixture(): Promise<RecordingFiles> {
  const root = await mkdtemp(join(tmpdir(), 'camgate-retention-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const index = await SqliteRecordingIndex.open(join(root, 'index.sqlite'));
  cleanups.push(() => index.close());
  const files = new RecordingFiles(root, index);
  for (const [camera, hours] of [
    ['cam1', 3],
    ['cam2', 2],
  ] as const) {
    const writer = files.writer(camera);
    for (let hour = 0; hour < hours; hour++) {
      for (const at of [0, 2000]) {
        await writer.append({
          chunks: [new Uint8Array(5000)],
          startMs: T0 + hour * HOUR + at,
          durationMs: 2000,
          init: 'init/x.mp4',
          epoch: 0,
        });
      }
    }
    if (camera === 'cam2') await writer.close();
  }
  return files;
}

/** Every segment of the fixture, as `remaining` lists them. */
const ALL = [
  'cam1@0h',
  'cam1@0h',
  'cam1@1h',
  'cam1@1h',
  'cam1@2h',
  'cam1@2h',
  'cam2@0h',
  'cam2@0h',
  'cam2@1h',
  'cam2@1h',
];

const remaining = async (files: RecordingFiles) => {
  const left: string[] = [];
  for (const camera of await files.index.cameras()) {
    for (const s of await files.index.segments(camera, 0, Number.MAX_SAFE_INTEGER))
      left.push(`${camera}@${Math.floor((s.startMs - T0) / HOUR)}h`);
  }
  return left;
};

describeWithSqlite('Retention (a test clock: 3 h after the first recording)', () => {
  it.each<[string, Record<string, RetentionPolicy>, number | undefined, string[], string[]]>([
    ['no limits: nothing goes', {}, undefined, ALL, []],
    [
      'cam1 kept 1.5 h: its first two hours go, never the file being written',
      { cam1: { maxAgeHours: 1.5 } },
      undefined,
      ['cam1@2h', 'cam1@2h', 'cam2@0h', 'cam2@0h', 'cam2@1h', 'cam2@1h'],
      [],
    ],
    ['cam1 kept 10 h: all of it stays', { cam1: { maxAgeHours: 10 } }, undefined, ALL, []],
    [
      'cam1 at most 15000 bytes: the oldest files go until it fits',
      { cam1: { maxBytes: 15_000 } },
      undefined,
      ['cam1@2h', 'cam1@2h', 'cam2@0h', 'cam2@0h', 'cam2@1h', 'cam2@1h'],
      [],
    ],
    [
      'cam1 at most 5000 bytes: only the file being written is left, still over',
      { cam1: { maxBytes: 5000 } },
      undefined,
      ['cam1@2h', 'cam1@2h', 'cam2@0h', 'cam2@0h', 'cam2@1h', 'cam2@1h'],
      ['cam1'],
    ],
    [
      'a budget of 25000 bytes for all: the oldest of any camera first (hour 0 of both, then hour 1 of cam1)',
      {},
      25_000,
      ['cam1@2h', 'cam1@2h', 'cam2@1h', 'cam2@1h'],
      [],
    ],
    [
      'a budget of 1 byte: every sealed file goes, the one being written stays',
      { cam2: { maxAgeHours: 100 } },
      1,
      ['cam1@2h', 'cam1@2h'],
      ['*'],
    ],
  ])('%s', async (_name, policies, maxBytes, kept, overLimit) => {
    const files = await fixture();
    const before = await files.index.bytes();
    const retention = new Retention(files, {
      now: () => T0 + 3 * HOUR,
      policyOf: (camera) => policies[camera],
      ...(maxBytes === undefined ? {} : { maxBytes }),
    });
    const report = await retention.run();
    expect(await remaining(files)).toEqual(kept);
    expect(report.overLimit).toEqual(overLimit);
    expect(report.removedBytes).toBe(before - (await files.index.bytes()));
    expect(report.removedBytes).toBe(report.removedFiles * 10_000);
    // A second pass has nothing more to do.
    expect((await retention.run()).removedFiles).toBe(0);
  });

  it('removes the folders it empties, and the camera folder with its last file', async () => {
    const files = await fixture();
    await new Retention(files, { now: () => T0 + 3 * HOUR, policyOf: () => ({ maxAgeHours: 0 }) }).run();
    expect((await readdir(files.root)).sort()).toEqual([
      'cam1',
      'index.sqlite',
      'index.sqlite-shm',
      'index.sqlite-wal',
    ]);
    expect(await readdir(join(files.root, 'cam1'))).toEqual(['2026-12-06']);
    expect(await readdir(join(files.root, 'cam1', '2026-12-06'))).toEqual(['02-0.m4s']);
  });
});
