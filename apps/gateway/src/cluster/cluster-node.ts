import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CameraCluster } from '../cameras/camera-manager.js';
import type { CameraRegistry } from '../cameras/camera-registry.js';
import type { CameraSupervisor } from '../cameras/camera-supervisor.js';
import { errors } from '../errors.js';
import { clientLeft } from '../http/client-left.js';
import type { RemoteOutcome } from '../http/live-routes.js';
import { FORWARDED_BY_HEADER, OwnerProxy } from '../http/owner-proxy.js';
import { sendProblem } from '../http/problem.js';
import type { CameraRecord } from '../store/camera-store.js';
import type { PostgresDatabase } from '../store/postgres-database.js';
import {
  LeaseKeeper,
  type AcquiredLease,
  type LeaseTiming,
  type LossReason,
  type StreamPosition,
} from './lease-keeper.js';
import type { ClusterLogger } from './node-directory.js';
import { StatusBoard, STATUS_PUBLISH_MS, type OwnerStatus } from './status-board.js';

/**
 * 1 s between position reports: the keeper saves the latest with its next round (every 2 s), so a
 * node taking over after a crash continues within a round or two of where the stream was.
 */
const POSITION_REPORT_MS = 1_000;
/**
 * 10 s for a viewer's first request to find a camera's owner (on-demand: claimed and started;
 * after a crash: claimed again once the lease expired). Players hold a playlist request this long.
 */
const WAIT_FOR_OWNER_MS = 10_000;

export interface ClusterNodeOptions {
  /** The shared database (the registry's): the status board writes through its pool. */
  database: PostgresDatabase;
  /** The database URL, for the lease keeper's own connections (with its own, shorter timeouts). */
  databaseUrl: string;
  nodeId: string;
  nodeUrl: string;
  capacity: number;
  logger: ClusterLogger & { info(fields: object, message: string): void };
  /** Shorter lease times (tests). */
  leaseTiming?: Partial<LeaseTiming>;
}

/**
 * One gateway node of a cluster: it pulls the cameras whose lease it holds (LeaseKeeper), starts
 * and stops them in the supervisor as leases come and go, reports where each stream stands (for
 * the next owner to continue) and its status (for every node's API), and forwards viewers of
 * cameras other nodes pull to them (OwnerProxy). docs/architecture.md, "Scale-out".
 */
export class ClusterNode implements CameraCluster {
  readonly nodeId: string;
  readonly keeper: LeaseKeeper;
  readonly #board: StatusBoard;
  readonly #proxy: OwnerProxy;
  readonly #logger: ClusterNodeOptions['logger'];
  #registry: CameraRegistry | undefined;
  #supervisor: CameraSupervisor | undefined;
  #reportTimer: NodeJS.Timeout | undefined;
  #publishTimer: NodeJS.Timeout | undefined;
  #publishing: Promise<void> | undefined;
  /** Leases won for cameras this node had not heard of yet: started once their record is read. */
  readonly #starting = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(options: ClusterNodeOptions) {
    this.nodeId = options.nodeId;
    this.#logger = options.logger;
    this.#board = new StatusBoard(options.database.pool, options.nodeId);
    this.#proxy = new OwnerProxy({ nodeId: options.nodeId, logger: options.logger });
    this.keeper = new LeaseKeeper({
      nodeId: options.nodeId,
      nodeUrl: options.nodeUrl,
      capacity: options.capacity,
      database: options.databaseUrl,
      logger: options.logger,
      ...(options.leaseTiming === undefined ? {} : { timing: options.leaseTiming }),
      onAcquired: (lease) => this.#acquired(lease),
      onLost: (id, reason) => this.#lost(id, reason),
    });
  }

  /** Ready to serve: the first lease round is done and the database answers (/readyz). */
  get ready(): boolean {
    return this.keeper.ready;
  }

  // ------------------------------------------------------------------ CameraCluster

  follow(registry: CameraRegistry, supervisor: CameraSupervisor): () => void {
    this.#registry = registry;
    this.#supervisor = supervisor;
    const changed = (record: CameraRecord) => {
      if (supervisor.pipeline(record.id) === undefined) return;
      supervisor.update(record);
      // Disabled: hand the lease back now rather than at the next round.
      if (!record.enabled) void this.keeper.release(record.id);
    };
    // The database removed the lease with the camera; the next round confirms it.
    const removed = (id: string) => void supervisor.stop(id);
    registry.on('changed', changed);
    registry.on('removed', removed);
    return () => {
      registry.off('changed', changed);
      registry.off('removed', removed);
    };
  }

  statusOf(id: string): { node: string | null; status: OwnerStatus } | undefined {
    return this.#board.get(id);
  }

  refreshStatus(): Promise<void> {
    return this.#board.refresh();
  }

  // ------------------------------------------------------------------ running

  /** Joins the cluster: the first lease round, then reports on timers. */
  async start(): Promise<void> {
    await this.keeper.start();
    this.#reportTimer = setInterval(() => this.#reportPositions(), POSITION_REPORT_MS);
    this.#reportTimer.unref();
    this.#publishTimer = setInterval(() => {
      this.#publishing ??= this.#publish().finally(() => (this.#publishing = undefined));
    }, STATUS_PUBLISH_MS);
    this.#publishTimer.unref();
  }

  /**
   * Leaves the cluster gracefully (SIGTERM): every camera stops and its lease is released with the
   * exact position, so other nodes take over at their next round and continue the streams.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#reportTimer);
    clearInterval(this.#publishTimer);
    await this.keeper.stop();
    await this.#publishing;
    await this.#proxy.close();
  }

  /**
   * A `/live` request for a camera this node does not pull: forwarded to the node that does. A
   * camera nobody pulls (on demand, or between owners) is asked for and waited on. `path`: what
   * to ask the owner for (path and query) instead of the request's own.
   */
  async serveRemote(
    request: FastifyRequest,
    reply: FastifyReply,
    cameraId: string,
    options: { start?: boolean; path?: string } = {},
  ): Promise<RemoteOutcome> {
    const record = this.#registry?.record(cameraId);
    if (record === undefined || !record.enabled || this.#stopped) return 'none';
    // Forwarded already: the sender thought this node pulls it; a second hop could loop.
    if (request.headers[FORWARDED_BY_HEADER] !== undefined) {
      await sendProblem(reply, errors.cameraMoving(cameraId), { cacheControl: 'no-cache' });
      return 'answered';
    }
    let owner = this.keeper.ownerOf(cameraId);
    // Nobody pulls it, and the request only asks (status.json): it says so, starting nothing.
    if (owner === undefined && options.start === false) return 'none';
    if (owner === undefined) {
      if (pulledOnDemand(record)) {
        try {
          await this.keeper.demand(cameraId);
        } catch {
          // The database is unreachable: nobody can claim it now.
        }
      }
      try {
        owner = await this.keeper.whenOwned(cameraId, clientLeft(reply), WAIT_FOR_OWNER_MS);
      } catch {
        return 'answered'; // the player went away
      }
    }
    if (owner === undefined) {
      await sendProblem(reply, errors.cameraMoving(cameraId), { cacheControl: 'no-cache' });
      return 'answered';
    }
    if (owner.nodeId === this.nodeId) {
      // Claimed here just now (on demand): start it for the viewer who asked.
      await this.#starting.get(cameraId);
      this.#supervisor?.pipeline(cameraId)?.wake();
      return 'local';
    }
    await this.#proxy.forward(request, reply, cameraId, owner.url, options.path);
    return 'answered';
  }

  /**
   * A `/recordings` request for bytes on another node's disk (a media file, the start of a clip):
   * forwarded to that node. 503 RECORDING_NODE_DOWN when it does not run now, or
   * when the request came forwarded already (the sender's index and this node's disagree).
   */
  async serveRecording(request: FastifyRequest, reply: FastifyReply, cameraId: string, node: string): Promise<void> {
    const url = node === this.nodeId || this.#stopped ? undefined : this.keeper.urlOf(node);
    if (url === undefined || request.headers[FORWARDED_BY_HEADER] !== undefined) {
      await sendProblem(reply, errors.recordingNodeDown(node), { cacheControl: 'no-cache' });
      return;
    }
    await this.#proxy.forward(request, reply, cameraId, url, undefined, () => errors.recordingNodeDown(node));
  }

  // ------------------------------------------------------------------ leases

  #acquired(lease: AcquiredLease): void {
    const supervisor = this.#supervisor;
    const record = this.#registry?.record(lease.cameraId);
    if (supervisor === undefined || record === undefined) {
      // A camera created on another node this one has not heard of yet: read it, then start.
      const id = lease.cameraId;
      const starting = (this.#registry?.refresh(id) ?? Promise.resolve(undefined))
        .then((loaded) => {
          if (loaded !== undefined && this.keeper.epochOf(id) === lease.epoch) return this.#startNow(loaded, lease);
          return this.keeper.release(id);
        })
        .catch(() => this.keeper.release(id))
        .finally(() => {
          if (this.#starting.get(id) === starting) this.#starting.delete(id);
        });
      this.#starting.set(id, starting);
      return;
    }
    this.#start(record, lease);
  }

  #start(record: CameraRecord, lease: AcquiredLease): void {
    const id = record.id;
    const starting = this.#startNow(record, lease).finally(() => {
      if (this.#starting.get(id) === starting) this.#starting.delete(id);
    });
    this.#starting.set(id, starting);
  }

  async #startNow(record: CameraRecord, lease: AcquiredLease): Promise<void> {
    const supervisor = this.#supervisor;
    if (supervisor === undefined) return;
    const pipeline = await supervisor.run(
      record,
      lease.continueFrom === undefined ? undefined : { continueFrom: lease.continueFrom },
    );
    if (pipeline === undefined) return;
    // Lost while the previous pipeline closed: onLost found nothing to stop, so stop this one.
    if (this.keeper.epochOf(record.id) !== lease.epoch) {
      await supervisor.stop(record.id);
      return;
    }
    this.#logger.info(
      { camera: record.id, epoch: lease.epoch, continues: lease.continueFrom !== undefined },
      'this node pulls the camera now',
    );
    // On demand: a viewer asked (on some node); it stops again when nobody watches.
    if (pulledOnDemand(record)) pipeline.wake();
    pipeline.on('state', (state) => {
      // An on-demand camera nobody watches any more: let the lease go, so no node pulls it. (The
      // record as it is now: a camera made on-demand since it started counts.)
      const now = this.#registry?.record(record.id);
      if (state === 'idle' && now !== undefined && pulledOnDemand(now) && this.keeper.holds(record.id))
        void this.keeper.release(record.id);
    });
  }

  async #lost(id: string, reason: LossReason): Promise<StreamPosition | undefined> {
    // A start in progress (waiting for the previous pipeline, or for the record) finishes first,
    // and sees the lease gone.
    const starting = this.#starting.get(id);
    if (starting !== undefined) await starting;
    const supervisor = this.#supervisor;
    const pipeline = supervisor?.pipeline(id);
    const stopping = supervisor?.stop(id);
    if (reason !== 'stopping') this.#logger.info({ camera: id, reason }, 'this node no longer pulls the camera');
    await stopping;
    return pipeline?.position;
  }

  #reportPositions(): void {
    const supervisor = this.#supervisor;
    if (supervisor === undefined) return;
    for (const { cameraId } of this.keeper.heldLeases()) {
      const position = supervisor.pipeline(cameraId)?.position;
      if (position !== undefined) this.keeper.report(cameraId, position);
    }
  }

  async #publish(): Promise<void> {
    const supervisor = this.#supervisor;
    if (supervisor === undefined) return;
    const held = [];
    for (const { cameraId, epoch } of this.keeper.heldLeases()) {
      const pipeline = supervisor.pipeline(cameraId);
      if (pipeline === undefined) continue;
      const recording = supervisor.recordingStatus(cameraId);
      held.push({
        cameraId,
        epoch,
        status: { ...pipeline.status(), ...(recording === undefined ? {} : { recording }) },
      });
    }
    try {
      await this.#board.publish(held);
    } catch {
      // The database is unreachable: the next publication catches up.
    }
  }
}

/** Pulled only while someone watches: on demand and not recording (as lease-sql.ts's ON_DEMAND). */
function pulledOnDemand(record: CameraRecord): boolean {
  return record.onDemand && record.recording?.enabled !== true;
}
