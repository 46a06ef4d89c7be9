/**
 * The recordings index (issue 15): which media files hold which recorded segments of which camera,
 * so that listing, playback and retention query rows instead of scanning directories
 * (mediamtx#5094: `/list` slow because it walks the filesystem). Two engines keep it:
 *
 * - SQLite on a single node (sqlite-recording-index.ts, better-sqlite3: an optional native
 *   dependency; without it, recording is unavailable and says why);
 * - PostgreSQL in a cluster (postgres-recording-index.ts): every node's files in one index, each
 *   file on the disk of the node that wrote it (`node`), each segment fenced by the lease epoch of
 *   the node that recorded it, so a stale owner's late writes are refused.
 *
 * Crash safety rests on one order: a segment's bytes are written and fdatasync'd before its row is
 * committed, and a file's indexed end (`bytes`) moves in the same transaction as the row. After a
 * crash, bytes past a file's indexed end are a segment that was never acknowledged, and are cut
 * off (RecordingFiles.recover).
 */

/** A media file of one camera: whole CMAF fragments appended, one segment after another. */
export interface RecordingFile {
  id: number;
  camera: string;
  /** The node whose disk holds it (a single node's index: that node). */
  node: string;
  /** Relative to the recordings directory of its node. */
  path: string;
  createdMs: number;
  /** Bytes indexed: the end of the file's last committed segment. */
  bytes: number;
  /** No more segments will be appended (the writer moved on, or recovery closed it). */
  sealed: boolean;
}

/** One recorded segment: `length` bytes at `offset` of a file, starting with a keyframe. */
export interface RecordedSegment {
  camera: string;
  fileId: number;
  offset: number;
  length: number;
  /** Wall clock of its first frame (its PROGRAM-DATE-TIME), ms since the epoch. */
  startMs: number;
  durationMs: number;
  /** The init segment it plays with (relative path of a content-addressed file). */
  init: string;
  /** Segments of one epoch follow each other without a discontinuity (a reconnect starts another). */
  epoch: number;
  /**
   * The camera's lease epoch on the node that recorded it (a cluster): the index takes the row only
   * while that node still holds that lease. Undefined on a single node, which has no leases.
   */
  leaseEpoch?: number;
}

/** A recorded segment with its file's path and node, for playback. */
export interface IndexedSegment extends RecordedSegment {
  id: number;
  path: string;
  node: string;
}

/** A stretch of recording without a gap. */
export interface RecordedSpan {
  startMs: number;
  endMs: number;
}

/**
 * 60 s: the longest segment the index takes (a recorder cuts at keyframes every few seconds, and
 * forces a cut long before this). It bounds the time range a lookup scans back from: a segment
 * overlapping time t starts after t - 60 s.
 */
export const MAX_SEGMENT_MS = 60_000;
/**
 * 1 s: a segment starting within this of the previous segment's end (same epoch) continues its
 * span; camera clocks jitter by a few frames, a gap a viewer would notice is longer.
 */
export const SPAN_TOLERANCE_MS = 1000;

/** Where a paged listing of files goes on from: after this file (in created_ms, id order). */
export type FileCursor = Pick<RecordingFile, 'createdMs' | 'id'>;

/**
 * The index as the recorder, retention and playback use it. Files are this node's where the
 * method says so: a node opens, recovers and deletes only the files on its own disk.
 */
export interface RecordingIndex {
  /** The node this index writes for. */
  readonly node: string;
  /** Registers a new media file of `camera` on this node, before its first byte is written. */
  openFile(camera: string, path: string, createdMs: number): Promise<RecordingFile>;
  /**
   * Commits a segment whose bytes are on disk (written and fdatasync'd) at the file's indexed end.
   * Throws CAMGATE_ERR_RECORDING_INDEX when it does not follow that end (a bug in the writer),
   * CAMGATE_ERR_RECORDING_FENCED when its lease epoch is no longer held (a stale owner).
   */
  addSegment(segment: RecordedSegment): Promise<void>;
  /** No more segments go into this file. */
  sealFile(id: number): Promise<void>;
  file(id: number): Promise<RecordingFile | undefined>;
  /** This node's files a writer had open when the process stopped: recovery cuts them at their indexed end. */
  unsealedFiles(): Promise<RecordingFile[]>;
  /**
   * Sealed files oldest first (by creation, then id), after `after`: of `camera` on every node, or,
   * without a camera, this node's (its disk's budget). What retention by size deletes.
   */
  oldestFiles(limit: number, options?: { camera?: string; after?: FileCursor }): Promise<RecordingFile[]>;
  /**
   * This node's sealed files of `camera` whose every segment ended before `cutoffMs` (a file with
   * none: created before it), oldest first: what retention by age deletes.
   */
  filesEndedBefore(camera: string, cutoffMs: number, limit: number): Promise<RecordingFile[]>;
  /** The highest epoch among `camera`'s segments (-1 with none): a recorder starting anew counts on from it. */
  maxEpoch(camera: string): Promise<number>;
  /** The cameras that have files on this node. */
  cameras(): Promise<string[]>;
  /** Forgets a file and its segments (retention; the file is deleted after), and their time in the spans. */
  deleteFile(id: number): Promise<void>;
  /** Bytes indexed: of `camera` on every node, or without one, of this node's files. */
  bytes(camera?: string): Promise<number>;
  /** The segments of `camera` (every node's) that overlap [startMs, endMs), in time order. */
  segments(camera: string, startMs: number, endMs: number): Promise<IndexedSegment[]>;
  /**
   * The recorded spans of `camera` overlapping [startMs, endMs), in time order: runs of segments
   * of one epoch, each starting within {@link SPAN_TOLERANCE_MS} of the previous one's end. Kept
   * in their own table as segments come and go, so a month's timeline reads a few rows.
   */
  spans(camera: string, startMs: number, endMs: number): Promise<RecordedSpan[]>;
  /**
   * A cluster's: keeps an init segment (named by its SHA-256) in the shared index, so that any node
   * serves it. A single node's index has none: the file on its disk is the only copy needed.
   */
  saveInit?(name: string, bytes: Uint8Array): Promise<void>;
  /** An init segment kept by {@link saveInit}, or undefined. */
  init?(name: string): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

/** The span a committed segment extends, or undefined when it starts a new one. */
export function continuedSpan<Span extends { endMs: number; epoch: number }>(
  last: Span | undefined,
  segment: Pick<RecordedSegment, 'startMs' | 'epoch'>,
): Span | undefined {
  return last?.epoch === segment.epoch &&
    segment.startMs - last.endMs <= SPAN_TOLERANCE_MS &&
    segment.startMs >= last.endMs - SPAN_TOLERANCE_MS
    ? last
    : undefined;
}

/** Why a segment cannot go into the index whatever its file, or undefined. */
export function segmentProblem(segment: RecordedSegment): string | undefined {
  if (!(segment.durationMs > 0 && segment.durationMs <= MAX_SEGMENT_MS))
    return `a segment of ${segment.durationMs} ms (at most ${MAX_SEGMENT_MS})`;
  return undefined;
}
