import type { HlsStream } from '@camgate/hls';
import { errors, type FieldProblem } from '../errors.js';
import { revisionOf, type CameraRecord, type CameraStore, type PlaybackPolicy } from '../store/camera-store.js';
import type { CameraPipeline, CameraPipelineOptions, CameraStatus } from './camera-pipeline.js';
import type { CameraProbeResult } from './camera-probe.js';
import {
  CameraRegistry,
  nameProblems,
  resolveOrCollect,
  type CameraInput,
  type CameraPatch,
  type FfmpegRequirement,
} from './camera-registry.js';
import { CameraSupervisor, followRegistry } from './camera-supervisor.js';
import { ConnectionTests, type ProbeOptions } from './connection-tests.js';
import { hasPassword, maskedUrl } from './camera-url.js';
import type { OwnerStatus } from '../cluster/status-board.js';
import type { RecordingStatus } from '../recording/recorder.js';
import { unavailableStatus, type Recordings } from '../recording/recordings.js';

export { CAMERA_ID, nameProblems, type CameraInput, type CameraPatch } from './camera-registry.js';
export type { ProbeOptions } from './connection-tests.js';

/** A camera as the API shows it: the URL with every secret masked, and the live status. */
export interface CameraView extends Omit<CameraRecord, 'url' | 'playback' | 'revision'> {
  /** The camera's version: its ETag in the API, named by If-Match to change it. */
  revision: number;
  /** Who may watch (the gateway's default for a camera saved before there was a choice). */
  playback: PlaybackPolicy;
  /** The stored URL with its password and secret parameters shown as `***`. */
  url: string;
  /** The stored URL carries a password (which is never shown). */
  hasPassword: boolean;
  status: CameraStatus & {
    /** In a cluster: the node that pulls the camera, null while none does. Absent on a single node. */
    node?: string | null;
    /** The camera's recording on this node; null when it does not record (and never did since the start). */
    recording?: RecordingStatus | null;
  };
}

/** The gateway's recordings, or why there are none (no SQLite module, an unwritable directory). */
export type RecordingsAvailability = { recordings: Recordings } | { unavailable: string; since: number };

/** How the cameras are shared out in a cluster ({@link CameraManager.open}'s `cluster`). */
export interface CameraCluster {
  /** This node's id. */
  nodeId: string;
  /**
   * Decides which cameras this node's supervisor pulls (leases), instead of all of them; returns
   * the function that stops it.
   */
  follow(registry: CameraRegistry, supervisor: CameraSupervisor): () => void;
  /** What the owners of cameras this node does not pull last reported. */
  statusOf(id: string): { node: string | null; status: OwnerStatus } | undefined;
  /** Reads the owners' reports again (at most once a second). */
  refreshStatus(): Promise<void>;
}

/**
 * The cameras as the HTTP layer sees them: the registry (what is configured, {@link CameraRegistry}),
 * the supervisor (what this node pulls, {@link CameraSupervisor}) and connection tests, put
 * together into the API's views. It decides nothing itself.
 */
export class CameraManager {
  readonly registry: CameraRegistry;
  readonly supervisor: CameraSupervisor;
  readonly #tests: ConnectionTests;
  readonly #cluster: CameraCluster | undefined;
  readonly #unfollow: () => void;
  #recordings: RecordingsAvailability | undefined;

  private constructor(
    registry: CameraRegistry,
    supervisor: CameraSupervisor,
    tests: ConnectionTests,
    cluster: CameraCluster | undefined,
  ) {
    this.registry = registry;
    this.supervisor = supervisor;
    this.#tests = tests;
    this.#cluster = cluster;
    this.#unfollow =
      cluster === undefined ? followRegistry(registry, supervisor) : cluster.follow(registry, supervisor);
  }

  /** Loads the registry and starts a pipeline for every camera (a single node pulls them all). */
  static async open(options: {
    store: CameraStore;
    pipeline?: (id: string) => CameraPipelineOptions;
    now?: () => Date;
    /**
     * Who may watch a camera that does not say (default `public`): the gateway passes `signed` when
     * it has an API key, since it then serves a network.
     */
    defaultPlayback?: PlaybackPolicy;
    /** Several nodes share the registry: this one pulls the cameras whose lease it holds. */
    cluster?: CameraCluster;
    /** ffmpeg (CAMGATE_FFMPEG), which `transcode: "h264"` needs (the registry refuses it with 501 without). */
    ffmpeg?: FfmpegRequirement;
  }): Promise<CameraManager> {
    const pipeline: (id: string) => CameraPipelineOptions = options.pipeline ?? (() => ({}));
    const registry = await CameraRegistry.open({
      store: options.store,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.defaultPlayback === undefined ? {} : { defaultPlayback: options.defaultPlayback }),
      ...(options.ffmpeg === undefined ? {} : { ffmpeg: options.ffmpeg }),
    });
    return new CameraManager(
      registry,
      new CameraSupervisor(pipeline),
      new ConnectionTests((id) => pipeline(id).session),
      options.cluster,
    );
  }

  /** Records the cameras whose `recording.enabled` is on, from now on; or says why recording is unavailable. */
  useRecordings(recordings: RecordingsAvailability): void {
    this.#recordings = recordings;
    if ('recordings' in recordings) {
      recordings.recordings.retainBy((id) => this.registry.record(id)?.recording?.retention);
      this.supervisor.setRecorders(recordings.recordings);
    }
  }

  /** The recordings, when this gateway has them. */
  get recordings(): Recordings | undefined {
    const available = this.#recordings;
    return available !== undefined && 'recordings' in available ? available.recordings : undefined;
  }

  /** Why recording is unavailable here, or undefined. */
  get recordingUnavailable(): string | undefined {
    const available = this.#recordings;
    return available !== undefined && 'unavailable' in available ? available.unavailable : undefined;
  }

  /** Brings the status of cameras other nodes pull up to date (a cluster; nothing on one node). */
  async refreshStatus(): Promise<void> {
    await this.#cluster?.refreshStatus();
  }

  get size(): number {
    return this.registry.size;
  }

  list(): CameraView[] {
    return [...this.registry.records()].map((record) => this.#view(record));
  }

  get(id: string): CameraView | undefined {
    const record = this.registry.record(id);
    return record === undefined ? undefined : this.#view(record);
  }

  /** The pipeline of a camera this node pulls (status, stream), for the HTTP layer and metrics. */
  pipeline(id: string): CameraPipeline | undefined {
    return this.supervisor.pipeline(id);
  }

  pipelines(): IterableIterator<CameraPipeline> {
    return this.supervisor.pipelines();
  }

  /** Who may watch camera `id` now; undefined when there is no such camera. */
  playbackPolicy(id: string): PlaybackPolicy | undefined {
    return this.registry.playbackPolicy(id);
  }

  /** The camera's stream for an HLS request from `viewer` (starts an idle on-demand camera). */
  liveStream(id: string, viewer: string): HlsStream | undefined {
    return this.supervisor.liveStream(id, viewer);
  }

  async create(input: CameraInput): Promise<CameraView> {
    return this.#view(await this.registry.create(input));
  }

  /**
   * Changes a camera. With `ifMatch`, only if it is still at that revision (else 412
   * PRECONDITION_FAILED, nothing changed): an edit made on an old copy does not undo another.
   */
  async update(id: string, patch: CameraPatch, ifMatch?: number): Promise<CameraView> {
    return this.#view(await this.registry.update(id, patch, ifMatch));
  }

  /**
   * Removes a camera (with `ifMatch`, only at that revision); once this resolves, its session,
   * stream and timers are gone.
   */
  async delete(id: string, ifMatch?: number): Promise<void> {
    await this.registry.delete(id, ifMatch);
    await this.supervisor.stop(id);
  }

  /**
   * Tests a camera that is not saved (the body of a create): connects as its pipeline would,
   * receives for a while and reports the tracks. Nothing is saved.
   * @throws GatewayError CAMGATE_ERR_PROBE_FAILED with the camera's problem, validation errors,
   * or CAMGATE_ERR_RATE_LIMITED when too many tests run at once.
   */
  async probe(
    input: Omit<CameraInput, 'name'> & { name?: string },
    options: ProbeOptions = {},
  ): Promise<CameraProbeResult> {
    const problems: FieldProblem[] = input.name === undefined ? [] : nameProblems(input.name);
    const url = resolveOrCollect(input, undefined, problems);
    if (problems.length > 0 || url === undefined) throw errors.validation(problems);
    const settings = { url, transport: input.transport ?? 'auto', audio: input.audio ?? 'auto' };
    return this.#tests.run(settings, 'probe', options);
  }

  /** Tests a change to a saved camera (the body of an update, with the stored credentials); saves nothing. */
  async probeChange(id: string, patch: CameraPatch, options: ProbeOptions = {}): Promise<CameraProbeResult> {
    const current = this.registry.record(id);
    if (current === undefined) throw errors.cameraNotFound(id);
    return this.#tests.run(this.registry.patched(current, patch), id, options);
  }

  /** Stops every camera and connection test, and closes the store. */
  async close(): Promise<void> {
    this.#unfollow();
    this.#tests.close();
    await this.supervisor.close();
    await this.registry.close();
  }

  /** The camera's status: this node's pipeline's, else what its owner reported, else idle. */
  status(record: CameraRecord): CameraView['status'] {
    const pipeline = this.supervisor.pipeline(record.id);
    const cluster = this.#cluster;
    if (pipeline !== undefined) {
      return cluster === undefined ? pipeline.status() : { ...pipeline.status(), node: cluster.nodeId };
    }
    const published = cluster?.statusOf(record.id);
    if (published !== undefined) {
      if (published.node !== null) return { ...published.status, node: published.node };
      // Nobody pulls it now: an on-demand camera waits for a viewer, another for a node to take it.
      return {
        ...published.status,
        state: !record.enabled ? 'disabled' : record.onDemand ? 'idle' : 'connecting',
        bitrate: 0,
        viewers: 0,
        node: null,
      };
    }
    return {
      ...(cluster === undefined ? {} : { node: null }),
      state: 'idle',
      since: record.updatedAt,
      lastError: null,
      nextAttemptAt: null,
      reconnects: 0,
      tracks: [],
      bitrate: 0,
      bytesReceived: 0,
      framesReceived: 0,
      framesDropped: 0,
      lastFrameAt: null,
      viewers: 0,
      transcode: null,
    };
  }

  #view(record: CameraRecord): CameraView {
    return {
      ...record,
      playback: record.playback ?? this.registry.defaultPlayback,
      revision: revisionOf(record),
      url: maskedUrl(record.url),
      hasPassword: hasPassword(record.url),
      status: { ...this.status(record), recording: this.#recordingStatus(record) },
    };
  }

  #recordingStatus(record: CameraRecord): RecordingStatus | null {
    // In a cluster, a camera another node pulls records there: its owner's report says how.
    const published =
      this.supervisor.pipeline(record.id) === undefined ? this.#cluster?.statusOf(record.id) : undefined;
    const reported = published?.status.recording;
    if (published !== undefined && reported !== undefined && reported !== null) {
      if (published.node !== null) return reported;
      // Nobody pulls it now: it records again when a node takes it.
      return { ...reported, state: record.enabled && record.recording?.enabled === true ? 'waiting' : 'off' };
    }
    const available = this.#recordings;
    if (available === undefined) return null;
    if ('unavailable' in available) {
      return record.recording?.enabled === true ? unavailableStatus(available.unavailable, available.since) : null;
    }
    const status = available.recordings.status(record.id);
    return record.recording?.enabled === true || status.segments > 0 || status.lastError !== null ? status : null;
  }
}
