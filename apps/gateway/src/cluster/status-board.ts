import type { Pool } from 'pg';
import type { CameraStatus } from '../cameras/camera-pipeline.js';
import type { RecordingStatus } from '../recording/recorder.js';

/** What an owner publishes of a camera: its pipeline's status, and its recording's when it records. */
export type OwnerStatus = CameraStatus & { recording?: RecordingStatus | null };

/**
 * 2 s between publications: a status read on any node is at most this much older than the
 * owner's (a player polls status.json every few seconds), and 1000 cameras cost one statement.
 */
export const STATUS_PUBLISH_MS = 2_000;
/** 1 s: reads within a second share one query, so a dashboard polling many nodes costs little. */
const STATUS_READ_MAX_AGE_MS = 1_000;
/** 1 s: the longest an API read waits for the statuses (a partitioned node answers from memory). */
const STATUS_READ_WAIT_MS = 1_000;

/** What the owner of a camera reported of it. */
export interface PublishedStatus {
  /** The node pulling it now; null when its lease has expired or was released (nobody pulls it). */
  node: string | null;
  status: OwnerStatus;
}

/**
 * The cameras' status shared through the database: the owner of each camera writes what its
 * pipeline reports, every node reads it, so the API answers the same everywhere. A write names
 * the lease epoch it holds: a node that lost a camera can no longer overwrite its status.
 */
export class StatusBoard {
  readonly #pool: Pool;
  readonly #nodeId: string;
  readonly #now: () => number;
  #statuses = new Map<string, PublishedStatus>();
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | undefined;

  constructor(pool: Pool, nodeId: string, now: () => number = () => performance.now()) {
    this.#pool = pool;
    this.#nodeId = nodeId;
    this.#now = now;
  }

  /**
   * Writes the status of every camera this node pulls, in one statement: only rows whose lease
   * this node still holds at that epoch are written.
   */
  async publish(held: Iterable<{ cameraId: string; epoch: number; status: OwnerStatus }>): Promise<void> {
    const rows = [...held].map(({ cameraId, epoch, status }) => ({ id: cameraId, epoch, status }));
    if (rows.length === 0) return;
    await this.#pool.query(
      `INSERT INTO camgate_camera_status (camera_id, node, epoch, status, updated_at)
       SELECT s.id, $1, s.epoch, s.status, clock_timestamp()
         FROM jsonb_to_recordset($2::jsonb) AS s(id text, epoch bigint, status jsonb)
         JOIN camgate_leases l ON l.camera_id = s.id AND l.owner = $1 AND l.epoch = s.epoch
       ON CONFLICT (camera_id) DO UPDATE
         SET node = EXCLUDED.node, epoch = EXCLUDED.epoch, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
         WHERE camgate_camera_status.epoch <= EXCLUDED.epoch`,
      [this.#nodeId, JSON.stringify(rows)],
    );
  }

  /** The last status read of a camera another node pulls (or pulled). */
  get(cameraId: string): PublishedStatus | undefined {
    return this.#statuses.get(cameraId);
  }

  /**
   * Reads every camera's status again unless a read finished within the last second; concurrent
   * callers share one query. A database that does not answer leaves the last statuses in place.
   */
  async refresh(): Promise<void> {
    if (this.#now() - this.#readAt < STATUS_READ_MAX_AGE_MS) return;
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    // An API read waits a second at most: a slow or unreachable database leaves the last statuses.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#reading,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STATUS_READ_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async #read(): Promise<void> {
    try {
      const { rows } = await this.#pool.query<{
        camera_id: string;
        node: string;
        current: boolean;
        status: OwnerStatus;
      }>(
        `SELECT s.camera_id, s.node, s.status,
                (l.owner IS NOT DISTINCT FROM s.node AND l.epoch = s.epoch AND l.expires_at > clock_timestamp()) AS current
           FROM camgate_camera_status s JOIN camgate_leases l USING (camera_id)`,
      );
      const next = new Map<string, PublishedStatus>();
      for (const row of rows) next.set(row.camera_id, { node: row.current ? row.node : null, status: row.status });
      this.#statuses = next;
      this.#readAt = this.#now();
    } catch {
      // Unreachable: the API shows the last statuses read (and tries again in a second, not at
      // every request); /readyz says the node is not ready.
      this.#readAt = this.#now();
    }
  }
}
