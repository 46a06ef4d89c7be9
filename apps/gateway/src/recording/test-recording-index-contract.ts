import { describe, expect, it, type TestContext } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import type { RecordedSegment, RecordingFile, RecordingIndex } from './recording-index.js';

/**
 * The {@link RecordingIndex} contract as tests, registered once per engine (SQLite on one node,
 * PostgreSQL in a cluster), so both keep the same promises with the same error codes. What only
 * one has (SQLite's file and schema versions, PostgreSQL's fencing and nodes) is tested beside it.
 */

export interface RecordingIndexContractOptions {
  /**
   * A fresh, empty index for one test, whose node may record cameras `cam1` and `cam2` (in a
   * cluster: holds their leases, with epoch `leaseEpoch`). `ctx` lets an engine that needs a
   * real peer skip (or fail, under CAMGATE_REQUIRE_INTEROP=1) when it is missing.
   */
  index(ctx: TestContext): Promise<RecordingIndex>;
  /** The lease epoch segments carry (undefined on a single node). */
  leaseEpoch?: number;
}

/** Registers the contract's tests in a `describe` named `name`. */
export function recordingIndexContract(name: string, options: RecordingIndexContractOptions): void {
  const index = (ctx: TestContext) => options.index(ctx);

  /** Appends segments of `durationMs` to a new file of `camera`, one after another from `startMs`. */
  async function record(
    idx: RecordingIndex,
    camera: string,
    startMs: number,
    segments: Array<{ durationMs: number; gapBeforeMs?: number; epoch?: number }>,
  ): Promise<RecordedSegment[]> {
    const file = await idx.openFile(camera, `${camera}/${startMs}.m4s`, startMs);
    let at = startMs;
    let offset = 0;
    const rows: RecordedSegment[] = [];
    for (const { durationMs, gapBeforeMs = 0, epoch = 0 } of segments) {
      at += gapBeforeMs;
      const row: RecordedSegment = {
        camera,
        fileId: file.id,
        offset,
        length: 1000,
        startMs: at,
        durationMs,
        init: 'init/a.mp4',
        epoch,
        ...(options.leaseEpoch === undefined ? {} : { leaseEpoch: options.leaseEpoch }),
      };
      await idx.addSegment(row);
      rows.push(row);
      offset += 1000;
      at += durationMs;
    }
    return rows;
  }

  const refused = (code: string): unknown => expect.objectContaining({ code }) as unknown;

  describe(name, () => {
    it.for([
      ['before the indexed end (overwriting a segment)', { offset: 0 }],
      ['past the indexed end (a hole)', { offset: 1500 }],
      ['of another camera', { camera: 'cam2' }],
    ] as const)('refuses a segment that does not follow its file: %s', async ([, change], ctx) => {
      const idx = await index(ctx);
      const [row] = await record(idx, 'cam1', 0, [{ durationMs: 2000 }]);
      const next = { ...(row as RecordedSegment), offset: 1000, startMs: 2000, ...change };
      await expect(idx.addSegment(next)).rejects.toEqual(refused(GatewayErrorCode.RECORDING_INDEX));
      expect(await idx.segments('cam1', 0, 10_000)).toHaveLength(1);
      expect((await idx.file(row?.fileId as number))?.bytes).toBe(1000);
    });

    it('refuses a segment for a sealed file', async (ctx) => {
      const idx = await index(ctx);
      const [row] = await record(idx, 'cam1', 0, [{ durationMs: 2000 }]);
      await idx.sealFile(row?.fileId as number);
      await expect(idx.addSegment({ ...(row as RecordedSegment), offset: 1000 })).rejects.toEqual(
        refused(GatewayErrorCode.RECORDING_INDEX),
      );
      expect(await idx.file(row?.fileId as number)).toMatchObject({ sealed: true, bytes: 1000, node: idx.node });
    });

    it.for([
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
    ] as Array<[string, Array<{ durationMs: number; gapBeforeMs?: number; epoch?: number }>, number[][]]>)(
      'spans: %s',
      async ([, segments, spans], ctx) => {
        const idx = await index(ctx);
        await record(idx, 'cam1', 0, segments);
        await record(idx, 'cam2', 0, [{ durationMs: 60_000 }]);
        expect((await idx.spans('cam1', 0, 100_000)).map((s) => [s.startMs, s.endMs])).toEqual(spans);
        expect(await idx.maxEpoch('cam1')).toBe(Math.max(...segments.map((s) => s.epoch ?? 0)));
        expect(await idx.maxEpoch('nobody')).toBe(-1);
      },
    );

    it('deleting a file cuts its time out of the spans: the ends, or the middle of one', async (ctx) => {
      const idx = await index(ctx);
      const files = [];
      for (const start of [0, 4000, 8000])
        files.push(await record(idx, 'cam1', start, [{ durationMs: 2000 }, { durationMs: 2000 }]));
      const spans = async () => (await idx.spans('cam1', 0, 100_000)).map((s) => [s.startMs, s.endMs]);
      expect(await spans()).toEqual([[0, 12_000]]);
      await idx.deleteFile(files[1]?.[0]?.fileId as number);
      expect(await spans()).toEqual([
        [0, 4000],
        [8000, 12_000],
      ]);
      await idx.deleteFile(files[0]?.[0]?.fileId as number);
      expect(await spans()).toEqual([[8000, 12_000]]);
      await idx.deleteFile(files[2]?.[0]?.fileId as number);
      expect(await spans()).toEqual([]);
      expect(await idx.file(files[2]?.[0]?.fileId as number)).toBeUndefined();
    });

    it.for([0, -1, 60_001])('refuses a segment of %s ms', async (durationMs, ctx) => {
      const idx = await index(ctx);
      const file = await idx.openFile('cam1', 'cam1/a.m4s', 0);
      const segment = {
        camera: 'cam1',
        fileId: file.id,
        offset: 0,
        length: 1,
        startMs: 0,
        durationMs,
        init: 'i',
        epoch: 0,
        ...(options.leaseEpoch === undefined ? {} : { leaseEpoch: options.leaseEpoch }),
      };
      await expect(idx.addSegment(segment)).rejects.toEqual(refused(GatewayErrorCode.RECORDING_INDEX));
    });

    it('lists the segments that overlap a time range, with their files', async (ctx) => {
      const idx = await index(ctx);
      await record(idx, 'cam1', 1_000_000, [{ durationMs: 2000 }, { durationMs: 2000 }, { durationMs: 2000 }]);
      const found = await idx.segments('cam1', 1_002_500, 1_004_000);
      expect(found.map((s) => [s.startMs, s.offset, s.length, s.path, s.node])).toEqual([
        [1_002_000, 1000, 1000, 'cam1/1000000.m4s', idx.node],
      ]);
      expect(await idx.segments('cam1', 1_006_000, 1_010_000)).toEqual([]);
      expect(await idx.segments('cam2', 0, 2_000_000)).toEqual([]);
    });

    it('retention: sealed files oldest first, sizes, and a deleted file takes its segments along', async (ctx) => {
      const idx = await index(ctx);
      const late = await record(idx, 'cam1', 5000, [{ durationMs: 2000 }, { durationMs: 2000 }]);
      const early = await record(idx, 'cam1', 1000, [{ durationMs: 2000 }]);
      const other = await record(idx, 'cam2', 0, [{ durationMs: 2000 }]);
      expect(await idx.oldestFiles(10)).toEqual([]); // nothing sealed: a file being written is never deleted
      expect((await idx.unsealedFiles()).map((f) => f.path)).toEqual(['cam1/5000.m4s', 'cam1/1000.m4s', 'cam2/0.m4s']);
      for (const rows of [late, early, other]) await idx.sealFile(rows[0]?.fileId as number);
      expect(await idx.unsealedFiles()).toEqual([]);
      const oldest = await idx.oldestFiles(10);
      expect(oldest.map((f) => f.path)).toEqual(['cam2/0.m4s', 'cam1/1000.m4s', 'cam1/5000.m4s']);
      // Paged: after the first one.
      expect((await idx.oldestFiles(1, { after: oldest[0] as RecordingFile })).map((f) => f.path)).toEqual([
        'cam1/1000.m4s',
      ]);
      expect((await idx.oldestFiles(1, { camera: 'cam1' })).map((f) => f.path)).toEqual(['cam1/1000.m4s']);
      expect(await idx.cameras()).toEqual(['cam1', 'cam2']);
      expect([await idx.bytes(), await idx.bytes('cam1'), await idx.bytes('nobody')]).toEqual([4000, 3000, 0]);
      expect((await idx.filesEndedBefore('cam1', 3001, 10)).map((f) => f.path)).toEqual(['cam1/1000.m4s']);
      await idx.deleteFile(early[0]?.fileId as number);
      expect((await idx.segments('cam1', 0, 100_000)).map((s) => s.startMs)).toEqual([5000, 7000]);
      expect(await idx.bytes('cam1')).toBe(2000);
    });
  });
}
