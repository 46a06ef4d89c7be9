import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';
import { recordingIndexContract } from './test-recording-index-contract.js';
import { describeWithSqlite } from './test-sqlite.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function directory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'camgate-recording-index-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describeWithSqlite('SqliteRecordingIndex (better-sqlite3 built at install)', () => {
  recordingIndexContract('the recordings index contract', {
    async index() {
      const opened = await SqliteRecordingIndex.open(':memory:');
      cleanups.push(() => opened.close());
      return opened;
    },
  });

  it('creates its schema, keeps its rows when reopened, and refuses an index of a newer camgate', async () => {
    const path = join(await directory(), 'index.sqlite');
    const first = await SqliteRecordingIndex.open(path);
    const file = await first.openFile('cam1', 'cam1/a.m4s', 0);
    await first.addSegment({
      camera: 'cam1',
      fileId: file.id,
      offset: 0,
      length: 10,
      startMs: 0,
      durationMs: 2000,
      init: 'init/a.mp4',
      epoch: 0,
    });
    await first.close();
    const again = await SqliteRecordingIndex.open(path);
    expect(await again.segments('cam1', 0, 10_000)).toHaveLength(1);
    await again.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await expect(SqliteRecordingIndex.open(path)).rejects.toMatchObject({
      code: GatewayErrorCode.RECORDING_UNAVAILABLE,
      message: expect.stringMatching(/newer camgate \(schema 99/),
    });
  });

  it('a directory it cannot create a database in: RECORDING_UNAVAILABLE', async () => {
    await expect(SqliteRecordingIndex.open(join(await directory(), 'no/such/dir/index.sqlite'))).rejects.toMatchObject({
      code: GatewayErrorCode.RECORDING_UNAVAILABLE,
    });
  });
});
