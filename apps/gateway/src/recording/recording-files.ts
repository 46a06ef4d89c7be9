/**
 * The recordings on disk (issue 15), under the recordings directory:
 *
 *     index.sqlite                          the index on a single node (a cluster's is in PostgreSQL)
 *     init/<sha-256>.mp4                    init segments, stored once per codec configuration
 *     <camera>/<YYYY-MM-DD>/<HH>-<n>.m4s    media: whole CMAF fragments appended, a file an hour
 *
 * Media files are append-only. A segment's bytes are written at the file's indexed end and
 * fdatasync'd, and only then is its row committed; so after `kill -9` or a power cut, bytes past
 * a file's indexed end are a segment nobody was told of, and recovery cuts them off. A crash
 * loses at most the segment in progress, never a file (mediamtx PR#4538: files truncated by a
 * crash broke its listing).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm, rmdir, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { syncPath, writeFileDurably } from '../store/durable-file.js';
import type { RecordedSegment, RecordingFile, RecordingIndex } from './recording-index.js';

/** A new media file each hour of wall clock: a size that retention deletes at once and a player seeks in. */
export const FILE_SPAN_MS = 60 * 60 * 1000;

/** What recovery did at start. */
export interface RecoveryReport {
  /** Files cut back to their indexed end (a segment in progress when the process stopped). */
  truncated: number;
  /** Bytes cut off those files. */
  bytesCut: number;
  /** Files removed that held no indexed segment (created just before the process stopped). */
  removed: number;
}

/** Where `camera`'s media file for a segment starting at `startMs` goes (relative path; `n` tells files of one hour apart). */
export function mediaPath(camera: string, startMs: number, n: number): string {
  const at = new Date(startMs);
  const day = at.toISOString().slice(0, 10);
  const hour = String(at.getUTCHours()).padStart(2, '0');
  return join(camera, day, `${hour}-${n}.m4s`);
}

/** How media files are opened: `fs.promises.open`, or a wrapper that injects faults (tests: ENOSPC). */
export type OpenFile = (path: string, flags: string, mode: number) => Promise<FileHandle>;

export class RecordingFiles {
  readonly root: string;
  readonly index: RecordingIndex;
  /** @internal opens media files for writers. */
  readonly openFile: OpenFile;
  /** Init segments being written, by name. */
  readonly #storingInits = new Map<string, Promise<void>>();

  constructor(root: string, index: RecordingIndex, options: { openFile?: OpenFile } = {}) {
    this.root = root;
    this.index = index;
    this.openFile = options.openFile ?? open;
  }

  /**
   * At start, before any writer: every file left open is cut back to its indexed end (or removed
   * when nothing in it was indexed) and sealed. Reads no directory: the index knows the files.
   */
  async recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { truncated: 0, bytesCut: 0, removed: 0 };
    for (const file of await this.index.unsealedFiles()) {
      const path = join(this.root, file.path);
      if (file.bytes === 0) {
        await rm(path, { force: true });
        await this.index.deleteFile(file.id);
        await this.#removeEmptyDirectories(dirname(path));
        report.removed++;
        continue;
      }
      const size = await sizeOf(path);
      if (size !== undefined && size > file.bytes) {
        await truncate(path, file.bytes);
        await syncPath(path);
        report.truncated++;
        report.bytesCut += size - file.bytes;
      }
      await this.index.sealFile(file.id);
    }
    return report;
  }

  /**
   * Stores an init segment once per content (its SHA-256 names it) and returns its relative path.
   * Written durably (writeFileDurably), so a name always has its whole content. Throws a
   * WriteFailure (the file system's error as its cause).
   */
  async storeInit(bytes: Uint8Array): Promise<string> {
    const name = await this.#keepInit(bytes);
    // A cluster's nodes serve it from the shared index (the recording node may be down).
    await this.index.saveInit?.(name, bytes);
    return name;
  }

  /**
   * The path of the init segment `name` (`init/<sha-256>.mp4`) on this node's disk: there already,
   * or copied from the shared index (a cluster's) after its content is checked against its name.
   * Undefined when neither has it.
   */
  async initPath(name: string): Promise<string | undefined> {
    const path = join(this.root, name);
    if ((await sizeOf(path)) !== undefined) return path;
    const bytes = await this.index.init?.(name);
    if (bytes === undefined || initName(bytes) !== name) return undefined;
    await this.#keepInit(bytes);
    return path;
  }

  /** Writes an init segment to this node's disk, once per content; its relative path. */
  async #keepInit(bytes: Uint8Array): Promise<string> {
    const name = initName(bytes);
    // Cameras of one model start with the same init segment, often at once: one write of it.
    let storing = this.#storingInits.get(name);
    if (storing === undefined) {
      storing = this.#storeInit(name, bytes).finally(() => this.#storingInits.delete(name));
      this.#storingInits.set(name, storing);
    }
    await storing;
    return name;
  }

  async #storeInit(name: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.root, name);
    if ((await sizeOf(path)) === bytes.length) return;
    await mkdir(dirname(path), { recursive: true });
    // A temporary name of its own: another process (a cluster's nodes sharing this directory) may
    // be writing the same one.
    const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    await writeFileDurably(dirname(path), path, bytes, 0o640, tmp);
  }

  /** A writer of `camera`'s segments. */
  writer(camera: string): SegmentWriter {
    return new SegmentWriter(this, camera);
  }

  /** Deletes a sealed file of this node and its rows (retention), then the folders it leaves empty. */
  async remove(file: RecordingFile): Promise<void> {
    if (file.node !== this.index.node) throw new Error(`file ${file.id} is on node ${file.node}, not this one`);
    await this.index.deleteFile(file.id);
    const path = join(this.root, file.path);
    await rm(path, { force: true });
    await this.#removeEmptyDirectories(dirname(path));
  }

  /** Removes `dir` and its parents while they are empty, up to (not including) the recordings directory (mediamtx#4227). */
  async #removeEmptyDirectories(dir: string): Promise<void> {
    let current = dir;
    while (isInside(this.root, current)) {
      const entries = await readdir(current).catch(() => undefined);
      if (entries === undefined || entries.length > 0) return;
      await rmdir(current).catch(() => undefined);
      current = dirname(current);
    }
  }
}

/** One segment to append: its fMP4 bytes (moof + mdat, one or more fragments) and what the index says of it. */
export interface SegmentToWrite {
  /** The fragments, in order; written back to back. */
  chunks: readonly Uint8Array[];
  startMs: number;
  durationMs: number;
  init: string;
  epoch: number;
  /** The camera's lease epoch on this node (a cluster), which the index checks. */
  leaseEpoch?: number;
}

/**
 * Appends one camera's segments to its media files: a new file when the hour of the segment's
 * start changes, or after a failure (the file is sealed at its indexed end, and what a failed
 * write left past it is cut off at the next start's recovery or now).
 */
export class SegmentWriter {
  readonly #files: RecordingFiles;
  readonly camera: string;
  #handle: FileHandle | undefined;
  #file: RecordingFile | undefined;
  /** The hour (FILE_SPAN_MS) of the open file. */
  #span = -1;

  constructor(files: RecordingFiles, camera: string) {
    this.#files = files;
    this.camera = camera;
  }

  /**
   * Writes the segment at the end of the camera's current file, fdatasyncs it, then commits its
   * row. Throws what the file system threw (ENOSPC, EACCES, EROFS...): the segment is not kept,
   * the file is sealed at its last committed segment, and the next segment starts a new file.
   */
  async append(segment: SegmentToWrite): Promise<RecordedSegment> {
    const span = Math.floor(segment.startMs / FILE_SPAN_MS);
    if (this.#handle !== undefined && span !== this.#span) await this.close();
    try {
      if (this.#handle === undefined) await this.#openFile(segment.startMs, span);
      const handle = this.#handle as FileHandle;
      const file = this.#file as RecordingFile;
      const offset = file.bytes;
      let at = offset;
      for (const chunk of segment.chunks) {
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, at);
          done += bytesWritten;
          at += bytesWritten;
        }
      }
      await handle.datasync();
      const row: RecordedSegment = {
        camera: this.camera,
        fileId: file.id,
        offset,
        length: at - offset,
        startMs: segment.startMs,
        durationMs: segment.durationMs,
        init: segment.init,
        epoch: segment.epoch,
        ...(segment.leaseEpoch === undefined ? {} : { leaseEpoch: segment.leaseEpoch }),
      };
      await this.#files.index.addSegment(row);
      file.bytes = at;
      return row;
    } catch (err) {
      await this.#abandon();
      throw err;
    }
  }

  /** Seals the open file (the camera stopped recording, or its hour ended). */
  async close(): Promise<void> {
    const handle = this.#handle;
    const file = this.#file;
    this.#handle = undefined;
    this.#file = undefined;
    try {
      if (file !== undefined) await this.#files.index.sealFile(file.id);
    } finally {
      await handle?.close();
    }
  }

  async #openFile(startMs: number, span: number): Promise<void> {
    const index = this.#files.index;
    // Files of the same hour (a restart, a failure) get the next free number.
    for (let n = 0; ; n++) {
      const relativePath = mediaPath(this.camera, startMs, n);
      const path = join(this.#files.root, relativePath);
      await mkdir(dirname(path), { recursive: true });
      let handle: FileHandle;
      try {
        // 'wx': never appends to a file another writer (or an earlier life of this one) left.
        handle = await this.#files.openFile(path, 'wx', 0o640);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      try {
        this.#file = await index.openFile(this.camera, relativePath, startMs);
      } catch (err) {
        await handle.close();
        await rm(path, { force: true });
        throw err;
      }
      this.#handle = handle;
      this.#span = span;
      return;
    }
  }

  /** After a failed write: cut the file back to its indexed end, if the file system lets us, and seal it. */
  async #abandon(): Promise<void> {
    const handle = this.#handle;
    const file = this.#file;
    this.#handle = undefined;
    this.#file = undefined;
    if (handle !== undefined && file !== undefined) {
      await handle.truncate(file.bytes).catch(() => undefined);
      await handle.close().catch(() => undefined);
    }
    if (file === undefined) return;
    try {
      if (file.bytes === 0) await this.#files.remove(file);
      else await this.#files.index.sealFile(file.id);
    } catch {
      // The index itself failed: recovery at the next start finds the file unsealed and cuts it.
    }
  }
}

/** An init segment's relative path: named by its SHA-256. */
function initName(bytes: Uint8Array): string {
  return join('init', `${createHash('sha256').update(bytes).digest('hex')}.mp4`);
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (stats) => stats.size,
    () => undefined,
  );
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}
