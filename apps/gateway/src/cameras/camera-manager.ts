import { randomBytes } from 'node:crypto';
import { isCodedError } from '@camgate/bits';
import type { HlsStream } from '@camgate/hls';
import { errors, GatewayError, GatewayErrorCode, type FieldProblem } from '../errors.js';
import {
  revisionOf,
  StoreErrorCode,
  type CameraRecord,
  type CameraStore,
  type PlaybackPolicy,
} from '../store/camera-store.js';
import { CameraPipeline, type CameraPipelineOptions, type CameraStatus } from './camera-pipeline.js';
import { CameraProbeError, probeCamera, type CameraProbeResult } from './camera-probe.js';
import { hasPassword, maskedUrl, resolveCameraUrl, sourceKey, type CameraUrlInput } from './camera-url.js';

/** What the API accepts to create a camera (defaults filled in here). */
export interface CameraInput {
  id?: string;
  name: string;
  url: string;
  /** Write-only: sets the URL's user name. */
  username?: string;
  /** Write-only: sets the URL's password. */
  password?: string;
  transport?: CameraRecord['transport'];
  onDemand?: boolean;
  audio?: CameraRecord['audio'];
  enabled?: boolean;
  /** Who may watch; the gateway's default (signed with an API key, public without) when left out. */
  playback?: PlaybackPolicy;
  /** Register a stream another camera pulls already (a second session to the camera). */
  allowDuplicateSource?: boolean;
}

/** A change to a camera: what is left out stays; `username`/`password` null removes them. */
export interface CameraPatch {
  name?: string;
  url?: string;
  username?: string | null;
  password?: string | null;
  transport?: CameraRecord['transport'];
  onDemand?: boolean;
  audio?: CameraRecord['audio'];
  enabled?: boolean;
  playback?: PlaybackPolicy;
  allowDuplicateSource?: boolean;
}

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
  status: CameraStatus;
}

/** Slugs: lowercase letters, digits and dashes, as they appear in URLs (`/live/<id>/`). */
export const CAMERA_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/**
 * 4 connection tests at once: each is an RTSP session for a few seconds, and a camera allows only
 * 2-4 sessions; more would be a way to make the gateway open connections for anyone with the key.
 */
const MAX_CONCURRENT_PROBES = 4;

/**
 * The cameras of this gateway: the registry (durable) and one pipeline per camera (live). Every
 * change goes to the store first; only an acknowledged write changes what runs.
 */
export class CameraManager {
  readonly #store: CameraStore;
  readonly #pipelineOptions: (id: string) => CameraPipelineOptions;
  readonly #pipelines = new Map<string, CameraPipeline>();
  readonly #records = new Map<string, CameraRecord>();
  readonly #now: () => Date;
  readonly #defaultPlayback: PlaybackPolicy;
  /** Connection tests running: aborted on close(), so none holds up a shutdown. */
  readonly #probes = new Set<AbortController>();
  /** Source keys of cameras being written: a concurrent create of the same stream sees them. */
  readonly #pendingSources = new Map<string, string>();
  /** The change of each camera in progress, which the next one waits for. */
  readonly #changing = new Map<string, Promise<void>>();
  #closed = false;

  private constructor(
    store: CameraStore,
    pipelineOptions: (id: string) => CameraPipelineOptions,
    now: () => Date,
    defaultPlayback: PlaybackPolicy,
  ) {
    this.#store = store;
    this.#pipelineOptions = pipelineOptions;
    this.#now = now;
    this.#defaultPlayback = defaultPlayback;
  }

  /** Loads the registry and starts a pipeline for every camera. */
  static async open(options: {
    store: CameraStore;
    pipeline?: (id: string) => CameraPipelineOptions;
    now?: () => Date;
    /**
     * Who may watch a camera that does not say (default `public`): the gateway passes `signed` when
     * it has an API key, since it then serves a network.
     */
    defaultPlayback?: PlaybackPolicy;
  }): Promise<CameraManager> {
    const manager = new CameraManager(
      options.store,
      options.pipeline ?? (() => ({})),
      options.now ?? (() => new Date()),
      options.defaultPlayback ?? 'public',
    );
    for (const record of await options.store.list()) manager.#start(record);
    return manager;
  }

  get size(): number {
    return this.#records.size;
  }

  list(): CameraView[] {
    return [...this.#records.values()].map((record) => this.#view(record));
  }

  get(id: string): CameraView | undefined {
    const record = this.#records.get(id);
    return record === undefined ? undefined : this.#view(record);
  }

  /** The pipeline of a camera (status, stream), for the HTTP layer and metrics. */
  pipeline(id: string): CameraPipeline | undefined {
    return this.#pipelines.get(id);
  }

  pipelines(): IterableIterator<CameraPipeline> {
    return this.#pipelines.values();
  }

  /**
   * Who may watch camera `id` now; undefined when there is no such camera. A change through the API
   * takes effect at the next request.
   */
  playbackPolicy(id: string): PlaybackPolicy | undefined {
    const record = this.#records.get(id);
    return record === undefined ? undefined : (record.playback ?? this.#defaultPlayback);
  }

  /** The camera's stream for an HLS request from `viewer` (starts an idle on-demand camera). */
  liveStream(id: string, viewer: string): HlsStream | undefined {
    return this.#pipelines.get(id)?.touch(viewer);
  }

  async create(input: CameraInput): Promise<CameraView> {
    const problems = nameProblems(input.name);
    if (input.id !== undefined && !CAMERA_ID.test(input.id)) {
      problems.push({
        field: 'id',
        message: 'use 1 to 64 lowercase letters, digits and dashes, starting and ending with a letter or digit',
      });
    }
    const url = resolveOrCollect(input, undefined, problems);
    if (problems.length > 0) throw errors.validation(problems);
    if (url === undefined) throw errors.validation([{ field: 'url', message: 'is required' }]);
    const id = input.id ?? this.#newId(input.name);
    if (this.#records.has(id)) throw errors.cameraExists(id);
    const source = input.allowDuplicateSource === true ? undefined : this.#claimSource(url, id);
    const at = this.#now().toISOString();
    const record: CameraRecord = {
      id,
      name: input.name.trim(),
      url,
      transport: input.transport ?? 'auto',
      onDemand: input.onDemand ?? false,
      audio: input.audio ?? 'auto',
      enabled: input.enabled ?? true,
      // Stored only when asked for: a camera left to the default follows the gateway's (adding an
      // API key later protects it).
      ...(input.playback === undefined ? {} : { playback: input.playback }),
      revision: 1,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.#write(() => this.#store.create(record), id);
    } finally {
      if (source !== undefined) this.#pendingSources.delete(source);
    }
    this.#start(record);
    return this.#view(record);
  }

  /**
   * Changes a camera. With `ifMatch`, only if it is still at that revision (else 412
   * PRECONDITION_FAILED, nothing changed): an edit made on an old copy does not undo another.
   */
  update(id: string, patch: CameraPatch, ifMatch?: number): Promise<CameraView> {
    return this.#serially(id, () => this.#update(id, patch, ifMatch));
  }

  async #update(id: string, patch: CameraPatch, ifMatch: number | undefined): Promise<CameraView> {
    const current = this.#records.get(id);
    if (current === undefined) throw errors.cameraNotFound(id);
    if (ifMatch !== undefined && revisionOf(current) !== ifMatch)
      throw errors.preconditionFailed(id, revisionOf(current));
    const record = this.#patched(current, patch);
    const source =
      patch.allowDuplicateSource !== true && sourceKey(record.url) !== sourceKey(current.url)
        ? this.#claimSource(record.url, id)
        : undefined;
    try {
      await this.#write(() => this.#store.update(record, revisionOf(current)), id);
    } finally {
      if (source !== undefined) this.#pendingSources.delete(source);
    }
    this.#records.set(id, record);
    this.#pipelines.get(id)?.update(settingsOf(record));
    return this.#view(record);
  }

  /**
   * Removes a camera (with `ifMatch`, only at that revision); once this resolves, its session,
   * stream and timers are gone.
   */
  delete(id: string, ifMatch?: number): Promise<void> {
    return this.#serially(id, () => this.#delete(id, ifMatch));
  }

  async #delete(id: string, ifMatch: number | undefined): Promise<void> {
    const current = this.#records.get(id);
    if (current === undefined) throw errors.cameraNotFound(id);
    if (ifMatch !== undefined && revisionOf(current) !== ifMatch)
      throw errors.preconditionFailed(id, revisionOf(current));
    const deleted = await this.#write(() => this.#store.delete(id, ifMatch), id);
    if (!deleted) throw errors.cameraNotFound(id);
    this.#records.delete(id);
    const pipeline = this.#pipelines.get(id);
    this.#pipelines.delete(id);
    await pipeline?.close();
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
    return this.#probe(settings, 'probe', options);
  }

  /** Tests a change to a saved camera (the body of an update, with the stored credentials); saves nothing. */
  async probeChange(id: string, patch: CameraPatch, options: ProbeOptions = {}): Promise<CameraProbeResult> {
    const current = this.#records.get(id);
    if (current === undefined) throw errors.cameraNotFound(id);
    return this.#probe(this.#patched(current, patch), id, options);
  }

  async #probe(
    settings: Pick<CameraRecord, 'url' | 'transport' | 'audio'>,
    id: string,
    options: ProbeOptions,
  ): Promise<CameraProbeResult> {
    if (this.#closed) throw errors.shuttingDown();
    if (this.#probes.size >= MAX_CONCURRENT_PROBES) {
      throw errors.rateLimited(PROBE_RETRY_S, 'too many connection tests are running');
    }
    // Ends with the client (it went away) or with the gateway (it shuts down).
    const controller = new AbortController();
    const abort = () => controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted === true) controller.abort();
    this.#probes.add(controller);
    try {
      const session = this.#pipelineOptions(id).session;
      const result = await probeCamera({
        url: settings.url,
        transport: settings.transport,
        audio: settings.audio,
        signal: controller.signal,
        ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
        ...(session === undefined ? {} : { session }),
      });
      // Cut short by a shutdown: what it saw so far is no answer to the test asked for.
      if (this.#isClosed()) throw errors.shuttingDown();
      return result;
    } catch (err) {
      if (this.#isClosed()) throw errors.shuttingDown();
      if (err instanceof CameraProbeError) throw errors.probeFailed({ code: err.problem.code, message: err.message });
      throw err;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      this.#probes.delete(controller);
    }
  }

  /**
   * Changes to one camera run one after another, each on the record the one before left: two
   * concurrent PATCHes both apply (none undoes the other), and each gets its own revision.
   */
  #serially<T>(id: string, change: () => Promise<T>): Promise<T> {
    const before = this.#changing.get(id) ?? Promise.resolve();
    const result = before.then(change);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#changing.set(id, settled);
    void settled.then(() => {
      if (this.#changing.get(id) === settled) this.#changing.delete(id);
    });
    return result;
  }

  /** A method, not the field: close() may have run while a test was awaited. */
  #isClosed(): boolean {
    return this.#closed;
  }

  /** Stops every camera and connection test, and closes the store. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const probe of this.#probes) probe.abort();
    const pipelines = [...this.#pipelines.values()];
    this.#pipelines.clear();
    await Promise.all(pipelines.map((p) => p.close()));
    await this.#store.close();
  }

  /** The record `patch` makes of `current`, validated (every problem at once). */
  #patched(current: CameraRecord, patch: CameraPatch): CameraRecord {
    const problems = patch.name === undefined ? [] : nameProblems(patch.name);
    const credentialsChange = patch.url !== undefined || patch.username !== undefined || patch.password !== undefined;
    const url = credentialsChange ? resolveOrCollect(patch, current.url, problems) : current.url;
    if (problems.length > 0 || url === undefined) throw errors.validation(problems);
    const { transport, onDemand, audio, enabled, playback } = patch;
    return {
      ...current,
      ...(playback === undefined ? {} : { playback }),
      ...(transport === undefined ? {} : { transport }),
      ...(onDemand === undefined ? {} : { onDemand }),
      ...(audio === undefined ? {} : { audio }),
      ...(enabled === undefined ? {} : { enabled }),
      name: (patch.name ?? current.name).trim(),
      url,
      revision: revisionOf(current) + 1,
      updatedAt: this.#now().toISOString(),
    };
  }

  /**
   * A camera pulls one stream once: a second registration of it is refused unless asked for. The
   * key is held (synchronously, before the write is awaited) until the write settles, so two
   * concurrent requests for one stream cannot both pass. Returns the key to release.
   */
  #claimSource(url: string, self: string): string {
    const key = sourceKey(url);
    const pending = this.#pendingSources.get(key);
    if (pending !== undefined && pending !== self) throw errors.duplicateSource(pending);
    for (const record of this.#records.values()) {
      if (record.id !== self && sourceKey(record.url) === key) throw errors.duplicateSource(record.id);
    }
    this.#pendingSources.set(key, self);
    return key;
  }

  #start(record: CameraRecord): void {
    this.#records.set(record.id, record);
    this.#pipelines.set(record.id, new CameraPipeline(record.id, settingsOf(record), this.#pipelineOptions(record.id)));
  }

  async #write<T>(operation: () => Promise<T>, id: string): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (isCodedError(err, StoreErrorCode.DUPLICATE_ID)) throw errors.cameraExists(id);
      if (isCodedError(err, StoreErrorCode.NOT_FOUND)) throw errors.cameraNotFound(id);
      if (isCodedError(err, StoreErrorCode.CONFLICT)) {
        const now = this.#records.get(id);
        throw errors.preconditionFailed(id, now === undefined ? undefined : revisionOf(now));
      }
      if (isCodedError(err, StoreErrorCode.FULL)) throw errors.cameraLimit();
      if (isCodedError(err)) throw errors.storeUnavailable();
      throw err;
    }
  }

  /** An id from the name (`Front door` -> `front-door`), made unique. */
  #newId(name: string): string {
    const base =
      name
        .normalize('NFKD')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 48)
        .replace(/-+$/, '') || 'camera';
    if (!this.#records.has(base)) return base;
    for (let n = 2; n < 1000; n++) if (!this.#records.has(`${base}-${n}`)) return `${base}-${n}`;
    return `${base}-${randomBytes(4).toString('hex')}`;
  }

  #view(record: CameraRecord): CameraView {
    const pipeline = this.#pipelines.get(record.id);
    return {
      ...record,
      playback: record.playback ?? this.#defaultPlayback,
      revision: revisionOf(record),
      url: maskedUrl(record.url),
      hasPassword: hasPassword(record.url),
      status: pipeline?.status() ?? {
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
      },
    };
  }
}

/** How a connection test runs. */
export interface ProbeOptions {
  /** How long to receive once playing (default 3 s). */
  durationMs?: number | undefined;
  /** Ends the test early: the client went away. */
  signal?: AbortSignal;
}

/** 3 s: a connection test takes about that long, so one slot is free again by then. */
const PROBE_RETRY_S = 3;

function settingsOf(record: CameraRecord) {
  return {
    url: record.url,
    transport: record.transport,
    onDemand: record.onDemand,
    audio: record.audio,
    enabled: record.enabled,
  };
}

/** The URL `input` resolves to, or undefined with its problems added to `problems`. */
function resolveOrCollect(
  input: CameraUrlInput,
  stored: string | undefined,
  problems: FieldProblem[],
): string | undefined {
  try {
    return resolveCameraUrl(input, stored);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    // A masked password outranks the rest: its code tells a client what to fix.
    if (err.code === GatewayErrorCode.MASKED_PASSWORD) {
      throw errors.maskedPassword([...err.fields, ...problems]);
    }
    problems.push(...err.fields);
    return undefined;
  }
}

/** Rules JSON Schema cannot say about a name. */
export function nameProblems(name: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (name.trim() === '') problems.push({ field: 'name', message: 'must not be empty' });
  if (/[\u0000-\u001f\u007f]/.test(name)) problems.push({ field: 'name', message: 'must not hold control characters' });
  return problems;
}
