/**
 * Retention (issue 15): recordings are deleted oldest first, whole files (an hour of one camera)
 * at a time, by age and by size per camera and by a budget for the whole recordings directory.
 * Only sealed files go: the file a camera is writing is never touched. Decisions come from the
 * index (no directory scan), and the folders a deletion empties go with it (mediamtx#4227).
 * Users' complaints it answers: retention that did not delete (mediamtx#2526, #3557, #4449) and
 * no size-based retention (#5999).
 */
import type { RecordingFile } from './recording-index.js';
import type { RecordingFiles } from './recording-files.js';

/** A camera's retention: either limit, both, or none (kept until the global budget needs room). */
export interface RetentionPolicy {
  maxAgeHours?: number;
  maxBytes?: number;
}

export interface RetentionOptions {
  /** Wall clock, ms. */
  now: () => number;
  /** Each camera's policy; undefined for a camera no longer configured (its recordings stay, within the budget). */
  policyOf: (camera: string) => RetentionPolicy | undefined;
  /** The budget for all recordings (CAMGATE_RECORDINGS_MAX_BYTES); undefined: none. */
  maxBytes?: number;
}

/** What one pass deleted, and the limits it could not meet without touching a file being written. */
export interface RetentionReport {
  removedFiles: number;
  removedBytes: number;
  /** Cameras (or `*` for the global budget) still over a size limit: only files being written are left. */
  overLimit: string[];
}

/** Files asked of the index at a time: a pass that deletes a month of hour files does it in a few queries. */
const BATCH = 100;

export class Retention {
  readonly #files: RecordingFiles;
  readonly #options: RetentionOptions;

  constructor(files: RecordingFiles, options: RetentionOptions) {
    this.#files = files;
    this.#options = options;
  }

  /** One pass: age, then each camera's size, then the global budget. */
  async run(): Promise<RetentionReport> {
    const report: RetentionReport = { removedFiles: 0, removedBytes: 0, overLimit: [] };
    const index = this.#files.index;
    const now = this.#options.now();
    for (const camera of await index.cameras()) {
      const policy = this.#options.policyOf(camera);
      const maxAgeHours = policy?.maxAgeHours;
      if (maxAgeHours !== undefined) {
        const cutoff = now - maxAgeHours * 3_600_000;
        await this.#drain(report, () => index.filesEndedBefore(camera, cutoff, BATCH));
      }
      const maxBytes = policy?.maxBytes;
      if (maxBytes !== undefined) {
        const met = await this.#shrink(report, maxBytes, camera);
        if (!met) report.overLimit.push(camera);
      }
    }
    const budget = this.#options.maxBytes;
    if (budget !== undefined && !(await this.#shrink(report, budget, undefined))) report.overLimit.push('*');
    return report;
  }

  /** Deletes what `next` lists until it lists nothing. */
  async #drain(report: RetentionReport, next: () => Promise<RecordingFile[]>): Promise<void> {
    for (let batch = await next(); batch.length > 0; batch = await next())
      for (const file of batch) await this.#remove(report, file);
  }

  /**
   * Goes through the oldest sealed files of `camera` (every node's) or of this node's disk until
   * the bytes fit `maxBytes`, deleting those on this node; whether they fit. In a cluster, a
   * camera's files on other nodes count, and each node deletes its own part of the same oldest
   * files (every node walks them in the same order), so together they meet the camera's limit.
   */
  async #shrink(report: RetentionReport, maxBytes: number, camera: string | undefined): Promise<boolean> {
    const index = this.#files.index;
    let bytes = await index.bytes(camera);
    let after: RecordingFile | undefined;
    while (bytes > maxBytes) {
      const batch = await index.oldestFiles(BATCH, {
        ...(camera === undefined ? {} : { camera }),
        ...(after === undefined ? {} : { after }),
      });
      if (batch.length === 0) return false;
      for (const file of batch) {
        if (bytes <= maxBytes) break;
        if (file.node === index.node) await this.#remove(report, file);
        bytes -= file.bytes;
        after = file;
      }
    }
    return true;
  }

  async #remove(report: RetentionReport, file: RecordingFile): Promise<void> {
    await this.#files.remove(file);
    report.removedFiles++;
    report.removedBytes += file.bytes;
  }
}
