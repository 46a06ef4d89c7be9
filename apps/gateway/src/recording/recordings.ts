/**
 * The gateway's recordings (issue 15): the store (index + files) under CAMGATE_RECORDINGS_DIR, a
 * recorder on each camera whose `recording.enabled` is on, and retention every minute. The camera
 * supervisor tells it which cameras run (apply/stop); the HTTP routes read spans and segments.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FrameSink } from '@camgate/hls';
import type { CameraRecord } from '../store/camera-store.js';
import { Recorder, type RecordingStatus } from './recorder.js';
import { RecordingFiles, type OpenFile, type RecoveryReport } from './recording-files.js';
import type { RecordingIndex } from './recording-index.js';
import { SqliteRecordingIndex } from './sqlite-recording-index.js';
import { Retention, type RetentionPolicy, type RetentionReport } from './retention.js';

/** 60 s between retention passes: an hour file is the unit deleted, a minute late costs little. */
export const RETENTION_INTERVAL_MS = 60_000;

/** What the recordings need of a camera's pipeline: to add and remove a sink. */
export interface RecordingSource {
  addSink(sink: FrameSink, onError: (err: unknown) => void): void;
  removeSink(sink: FrameSink): void;
}

export interface RecordingsOptions {
  /** The recordings directory (CAMGATE_RECORDINGS_DIR). */
  dir: string;
  /** The budget of all recordings, bytes (CAMGATE_RECORDINGS_MAX_BYTES); undefined: none. */
  maxBytes?: number;
  now?: () => number;
  logger?: {
    warn(fields: object, message: string): void;
    info(fields: object, message: string): void;
    child?(bindings: object): RecordingsOptions['logger'];
  };
  /** Retention passes this far apart (RETENTION_INTERVAL_MS). */
  retentionIntervalMs?: number;
  /** How media files are opened (tests inject faults). */
  openFile?: OpenFile;
  /**
   * The index: a cluster's in PostgreSQL (postgres-recording-index.ts). Without one, SQLite's in
   * the recordings directory (`index.sqlite`). Closed with the recordings.
   */
  index?: RecordingIndex;
  /**
   * A cluster: the lease epoch this node holds a camera with (the index refuses rows of another).
   * Asked when a camera's recorder starts, which is after its lease was won.
   */
  leaseEpochOf?: (camera: string) => number | undefined;
}

/** Counters for /metrics. */
export interface RecordingTotals {
  segments: number;
  bytes: number;
  droppedSegments: number;
  removedFiles: number;
  removedBytes: number;
}

export class Recordings {
  readonly index: RecordingIndex;
  readonly files: RecordingFiles;
  readonly recovery: RecoveryReport;
  readonly totals: RecordingTotals = { segments: 0, bytes: 0, droppedSegments: 0, removedFiles: 0, removedBytes: 0 };
  readonly #options: RecordingsOptions;
  readonly #now: () => number;
  readonly #recorders = new Map<string, { recorder: Recorder; source: RecordingSource }>();
  /** Recorders stopping: a camera's next recorder starts after its last one's epoch. */
  readonly #stopping = new Map<string, Promise<void>>();
  readonly #nextEpoch = new Map<string, number>();
  readonly #policies = new Map<string, RetentionPolicy>();
  /** Every configured camera's policy (the registry's), not only of the cameras this node records now. */
  #policyOf: ((camera: string) => RetentionPolicy | undefined) | undefined;
  readonly #retention: Retention;
  #retentionTimer: NodeJS.Timeout | undefined;
  #retaining: Promise<RetentionReport> | undefined;
  /** The last status of a camera's stopped recorder (its counts and last error stay visible). */
  readonly #lastStatus = new Map<string, RecordingStatus>();
  #closed = false;
  /** Bytes indexed on this node's disk: counted at each retention pass, and on as segments are written. */
  #storedBytes = 0;

  private constructor(
    index: RecordingIndex,
    files: RecordingFiles,
    recovery: RecoveryReport,
    options: RecordingsOptions,
  ) {
    this.index = index;
    this.files = files;
    this.recovery = recovery;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#retention = new Retention(files, {
      now: this.#now,
      policyOf: (camera) => (this.#policyOf === undefined ? this.#policies.get(camera) : this.#policyOf(camera)),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    });
  }

  /**
   * Opens the recordings directory: the index (CAMGATE_ERR_RECORDING_UNAVAILABLE without the SQLite
   * module or when it cannot be opened), recovery of files a crash left open, and retention.
   */
  static async open(options: RecordingsOptions): Promise<Recordings> {
    await mkdir(options.dir, { recursive: true, mode: 0o750 });
    const index = options.index ?? (await SqliteRecordingIndex.open(join(options.dir, 'index.sqlite')));
    try {
      const files = new RecordingFiles(
        options.dir,
        index,
        options.openFile === undefined ? {} : { openFile: options.openFile },
      );
      const recovery = await files.recover();
      if (recovery.truncated + recovery.removed > 0) {
        options.logger?.info(
          { ...recovery },
          'recordings: files left open by the last run cut back to their last recorded segment',
        );
      }
      const recordings = new Recordings(index, files, recovery, options);
      recordings.#scheduleRetention();
      return recordings;
    } catch (err) {
      await index.close();
      throw err;
    }
  }

  /**
   * Where retention finds each camera's policy: the registry, so that a camera's recordings on this
   * node are kept by its policy also while it is disabled or another node of a cluster pulls it.
   * Without it, the policies of the cameras applied here.
   */
  retainBy(policyOf: (camera: string) => RetentionPolicy | undefined): void {
    this.#policyOf = policyOf;
  }

  /** The camera's recorder runs when it is enabled and records; its retention is kept either way. */
  apply(record: CameraRecord, source: RecordingSource): void {
    if (this.#closed) return;
    const recording = record.recording;
    if (recording?.retention !== undefined) this.#policies.set(record.id, recording.retention);
    else this.#policies.delete(record.id);
    const wanted = record.enabled && recording?.enabled === true;
    const running = this.#recorders.get(record.id);
    if (!wanted) {
      if (running !== undefined) void this.stop(record.id);
      return;
    }
    if (running !== undefined) return;
    const logger = this.#options.logger?.child?.({ camera: record.id }) ?? this.#options.logger;
    const camera = record.id;
    const leaseEpoch = this.#options.leaseEpochOf?.(camera);
    const recorder = new Recorder(camera, this.files, {
      epochBase: async () => Math.max((await this.index.maxEpoch(camera)) + 1, this.#nextEpoch.get(camera) ?? 0),
      ...(leaseEpoch === undefined ? {} : { leaseEpoch }),
      now: this.#now,
      ...(logger === undefined ? {} : { logger }),
      onSegment: (bytes) => {
        this.totals.segments++;
        this.totals.bytes += bytes;
        this.#storedBytes += bytes;
      },
      onDrop: () => {
        this.totals.droppedSegments++;
        this.#retainSoon();
      },
    });
    this.#recorders.set(record.id, { recorder, source });
    source.addSink(recorder, () => {
      // The recorder refused the camera's media (already in its status): it stops.
      void this.stop(record.id);
    });
  }

  /** Stops the camera's recorder (its pending media written, its file sealed). */
  stop(camera: string): Promise<void> {
    const running = this.#recorders.get(camera);
    if (running === undefined) return this.#stopping.get(camera) ?? Promise.resolve();
    this.#recorders.delete(camera);
    running.source.removeSink(running.recorder);
    const stopping = running.recorder.stop().finally(() => {
      const next = running.recorder.nextEpoch;
      if (next !== undefined) this.#nextEpoch.set(camera, next);
      this.#lastStatus.set(camera, running.recorder.status());
      if (this.#stopping.get(camera) === stopping) this.#stopping.delete(camera);
    });
    this.#stopping.set(camera, stopping);
    return stopping;
  }

  /** The camera's recording: its recorder's status, `off` without one. */
  status(camera: string): RecordingStatus {
    const running = this.#recorders.get(camera);
    if (running !== undefined) return running.recorder.status();
    return { ...(this.#lastStatus.get(camera) ?? offStatus(this.#now())), state: 'off' };
  }

  /** Resolves once the camera's recorder wrote the segments cut so far (tests, shutdown). */
  async drained(camera: string): Promise<void> {
    await this.#recorders.get(camera)?.recorder.drained();
  }

  /** Recorders running. */
  get recording(): number {
    return this.#recorders.size;
  }

  /** Cameras whose recording fails now. */
  get failing(): number {
    let n = 0;
    for (const { recorder } of this.#recorders.values()) if (recorder.status().state === 'failing') n++;
    return n;
  }

  /** Bytes of recordings on this node's disk, as of the last retention pass and the segments since (/metrics). */
  get storedBytes(): number {
    return this.#storedBytes;
  }

  /** One retention pass now (or the one running). */
  retain(): Promise<RetentionReport> {
    this.#retaining ??= this.#retention
      .run()
      .then(async (report) => {
        this.#storedBytes = await this.index.bytes();
        this.totals.removedFiles += report.removedFiles;
        this.totals.removedBytes += report.removedBytes;
        if (report.removedFiles > 0) this.#options.logger?.info({ ...report }, 'recordings: retention deleted files');
        if (report.overLimit.length > 0) {
          this.#options.logger?.warn(
            { overLimit: report.overLimit },
            'recordings: over a size limit with only files being written left',
          );
        }
        return report;
      })
      .catch((err: unknown) => {
        this.#options.logger?.warn({ code: (err as NodeJS.ErrnoException).code }, 'recordings: retention failed');
        return { removedFiles: 0, removedBytes: 0, overLimit: [] };
      })
      .finally(() => {
        this.#retaining = undefined;
      });
    return this.#retaining;
  }

  /** Stops every recorder (their media written) and closes the index. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retentionTimer);
    await Promise.all([...this.#recorders.keys()].map((camera) => this.stop(camera)));
    await Promise.all(this.#stopping.values());
    await this.#retaining;
    await this.index.close();
  }

  #scheduleRetention(): void {
    const interval = this.#options.retentionIntervalMs ?? RETENTION_INTERVAL_MS;
    const tick = () => {
      if (this.#closed) return;
      void this.retain().finally(() => {
        if (this.#closed) return;
        this.#retentionTimer = setTimeout(tick, interval);
        this.#retentionTimer.unref();
      });
    };
    tick();
  }

  /** A segment was lost (a full disk, most likely): retention runs at once rather than within the minute. */
  #retainSoon(): void {
    if (!this.#closed && this.#retaining === undefined) void this.retain();
  }
}

function offStatus(now: number): RecordingStatus {
  return {
    state: 'off',
    since: new Date(now).toISOString(),
    lastError: null,
    segments: 0,
    bytes: 0,
    droppedSegments: 0,
    lastSegmentAt: null,
  };
}

/** The status of a camera whose recording cannot run on this gateway (no SQLite module, an unopenable directory). */
export function unavailableStatus(reason: string, since: number): RecordingStatus {
  return {
    ...offStatus(since),
    state: 'unavailable',
    lastError: { code: 'CAMGATE_ERR_RECORDING_UNAVAILABLE', message: reason, at: new Date(since).toISOString() },
  };
}
