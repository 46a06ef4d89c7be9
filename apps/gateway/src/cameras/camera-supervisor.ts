import type { HlsStream } from '@camgate/hls';
import type { RecordingStatus } from '../recording/recorder.js';
import type { CameraRecord } from '../store/camera-store.js';
import { CameraPipeline, type CameraPipelineOptions, type CameraSettings } from './camera-pipeline.js';
import type { CameraRegistry } from './camera-registry.js';

/** What records the cameras this node pulls (recording/recordings.ts): told of each camera's start, change and stop. */
export interface CameraRecorders {
  apply(record: CameraRecord, pipeline: CameraPipeline): void;
  stop(id: string): Promise<void>;
  status(id: string): RecordingStatus;
}

/**
 * Runs the pipelines of the cameras this node pulls: one per camera, started, reconfigured and
 * stopped as it is told. Which cameras those are is decided elsewhere: every camera of the
 * registry on a single node ({@link followRegistry}), the leases this node holds in a cluster.
 */
export class CameraSupervisor {
  readonly #pipelineOptions: (id: string) => CameraPipelineOptions;
  readonly #pipelines = new Map<string, CameraPipeline>();
  /** Pipelines being closed: a camera started again waits for its previous session to end. */
  readonly #stopping = new Map<string, Promise<void>>();
  #closed = false;
  #recorders: CameraRecorders | undefined;

  constructor(pipelineOptions: (id: string) => CameraPipelineOptions = () => ({})) {
    this.#pipelineOptions = pipelineOptions;
  }

  /** Records the cameras that ask for it, from now on (the recordings open after the supervisor starts). */
  setRecorders(recorders: CameraRecorders): void {
    this.#recorders = recorders;
    for (const [, pipeline] of this.#pipelines) {
      const record = this.#records.get(pipeline.id);
      if (record !== undefined) recorders.apply(record, pipeline);
    }
  }

  /** The record each running camera was last given: the recorders are told of them. */
  readonly #records = new Map<string, CameraRecord>();

  get size(): number {
    return this.#pipelines.size;
  }

  pipeline(id: string): CameraPipeline | undefined {
    return this.#pipelines.get(id);
  }

  pipelines(): IterableIterator<CameraPipeline> {
    return this.#pipelines.values();
  }

  /** How a running camera that records does (its recorder's status), or undefined. */
  recordingStatus(id: string): RecordingStatus | undefined {
    const record = this.#records.get(id);
    if (this.#recorders === undefined || record?.recording?.enabled !== true) return undefined;
    return this.#recorders.status(id);
  }

  /** The camera's stream for an HLS request from `viewer` (starts an idle on-demand camera). */
  liveStream(id: string, viewer: string): HlsStream | undefined {
    return this.#pipelines.get(id)?.touch(viewer);
  }

  /**
   * Starts pulling `record`'s camera (nothing when it runs already), once its previous pipeline, if
   * one is still closing, has ended its session: a camera never gets two sessions from this node.
   */
  async run(record: CameraRecord, hls?: CameraPipelineOptions['hls']): Promise<CameraPipeline | undefined> {
    const stopping = this.#stopping.get(record.id);
    if (stopping !== undefined) await stopping;
    if (this.#closed) return undefined;
    const running = this.#pipelines.get(record.id);
    if (running !== undefined) return running;
    const options = this.#pipelineOptions(record.id);
    const pipeline = new CameraPipeline(
      record.id,
      settingsOf(record),
      hls === undefined ? options : { ...options, hls: { ...options.hls, ...hls } },
    );
    this.#pipelines.set(record.id, pipeline);
    this.#records.set(record.id, record);
    this.#recorders?.apply(record, pipeline);
    return pipeline;
  }

  /** New settings for a running camera (a changed URL reconnects; the stream goes on). */
  update(record: CameraRecord): void {
    const pipeline = this.#pipelines.get(record.id);
    if (pipeline === undefined) return;
    this.#records.set(record.id, record);
    pipeline.update(settingsOf(record));
    this.#recorders?.apply(record, pipeline);
  }

  /** Stops a camera: resolves once its session, stream and timers are gone. */
  stop(id: string): Promise<void> {
    const pipeline = this.#pipelines.get(id);
    if (pipeline === undefined) return this.#stopping.get(id) ?? Promise.resolve();
    this.#pipelines.delete(id);
    this.#records.delete(id);
    // The recorder first: it writes what it has before the pipeline goes.
    const recorded = this.#recorders?.stop(id) ?? Promise.resolve();
    const closing = Promise.all([recorded.catch(() => undefined), pipeline.close()])
      .then(() => undefined)
      .finally(() => {
        if (this.#stopping.get(id) === closing) this.#stopping.delete(id);
      });
    this.#stopping.set(id, closing);
    return closing;
  }

  /** Stops every camera; later run() calls start nothing. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#pipelines.keys()].map((id) => this.stop(id)));
    await Promise.all(this.#stopping.values());
  }
}

/**
 * A single node pulls every camera of its registry: started as they are added, changed as they
 * change, stopped as they go. Returns the function that stops following.
 */
export function followRegistry(registry: CameraRegistry, supervisor: CameraSupervisor): () => void {
  for (const record of registry.records()) void supervisor.run(record);
  const added = (record: CameraRecord) => void supervisor.run(record);
  const changed = (record: CameraRecord) => supervisor.update(record);
  const removed = (id: string) => void supervisor.stop(id);
  registry.on('added', added);
  registry.on('changed', changed);
  registry.on('removed', removed);
  return () => {
    registry.off('added', added);
    registry.off('changed', changed);
    registry.off('removed', removed);
  };
}

export function settingsOf(record: CameraRecord): CameraSettings {
  return {
    url: record.url,
    transport: record.transport,
    onDemand: record.onDemand,
    audio: record.audio,
    enabled: record.enabled,
    transcode: record.transcode ?? 'off',
    recording: record.enabled && record.recording?.enabled === true,
  };
}
