import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isCodedError } from '@camgate/bits';
import { errors, GatewayError, GatewayErrorCode, type FieldProblem } from '../errors.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import {
  revisionOf,
  StoreErrorCode,
  type CameraRecord,
  type CameraStore,
  recordingSettingsProblem,
  type PlaybackPolicy,
  type RecordingSettings,
  type StoreChange,
} from '../store/camera-store.js';
import { resolveCameraUrl, sourceKey, type CameraUrlInput } from './camera-url.js';

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
  /** `h264`: also offer the video transcoded to H.264 (needs ffmpeg: 501 FFMPEG_NOT_FOUND without it). */
  transcode?: CameraRecord['transcode'];
  /** Who may watch; the gateway's default (signed with an API key, public without) when left out. */
  playback?: PlaybackPolicy;
  /** Recording to disk (off when left out). */
  recording?: RecordingPatch;
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
  transcode?: CameraRecord['transcode'];
  playback?: PlaybackPolicy;
  /** Merged into the camera's: `enabled` left out stays; `retention` given replaces it, null removes it. */
  recording?: RecordingPatch;
  allowDuplicateSource?: boolean;
}

export interface RecordingPatch {
  enabled?: boolean;
  retention?: RecordingSettings['retention'] | null;
}

/** What the registry needs of ffmpeg: the path, or the coded 501 (FfmpegBinary). */
export interface FfmpegRequirement {
  require(what: string): Promise<string>;
}

/** Slugs: lowercase letters, digits and dashes, as they appear in URLs (`/live/<id>/`). */
export const CAMERA_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/**
 * What the registry tells its listeners (the supervisor): a camera appeared, changed or went, by
 * this process's API or another node's (a store that reports changes made elsewhere).
 */
export interface CameraRegistryEvents {
  added: [record: CameraRecord];
  changed: [record: CameraRecord, before: CameraRecord];
  removed: [id: string];
}

/**
 * The camera registry: every camera's record (credentials included) in the durable store, a copy in
 * memory for reads, and the rules of a change (validation, ids, one registration per stream,
 * revisions). Every change goes to the store first; only an acknowledged write changes the copy
 * and is announced. Changes made elsewhere (another node on the same database) arrive through the
 * store's watch() and are announced the same way. It runs nothing: the supervisor does.
 */
export class CameraRegistry extends EventEmitter<CameraRegistryEvents> {
  readonly #store: CameraStore;
  readonly #records = new Map<string, CameraRecord>();
  readonly #now: () => Date;
  readonly #defaultPlayback: PlaybackPolicy;
  readonly #ffmpeg: FfmpegRequirement;
  /** Source keys of cameras being written: a concurrent create of the same stream sees them. */
  readonly #pendingSources = new Map<string, string>();
  /** The change of each camera in progress, which the next one waits for. */
  readonly #changing = new Map<string, Promise<void>>();
  /** A full re-read in progress (after missed notifications), so two do not overlap. */
  #resyncing: Promise<void> | undefined;
  #unwatch: (() => void) | undefined;
  /** Counts changes to the copy; the count at each camera's last change (a resync skips newer ones). */
  #changes = 0;
  readonly #changedAt = new Map<string, number>();
  #closed = false;

  private constructor(store: CameraStore, now: () => Date, defaultPlayback: PlaybackPolicy, ffmpeg: FfmpegRequirement) {
    super();
    this.#store = store;
    this.#now = now;
    this.#defaultPlayback = defaultPlayback;
    this.#ffmpeg = ffmpeg;
  }

  /** Loads the registry and follows changes made elsewhere when the store reports them. */
  static async open(options: {
    store: CameraStore;
    now?: () => Date;
    /**
     * Who may watch a camera that does not say (default `public`): the gateway passes `signed` when
     * it has an API key, since it then serves a network.
     */
    defaultPlayback?: PlaybackPolicy;
    /**
     * ffmpeg, which `transcode: "h264"` needs: setting it without one is 501 FFMPEG_NOT_FOUND
     * (default: `ffmpeg` from PATH; the gateway passes CAMGATE_FFMPEG's).
     */
    ffmpeg?: FfmpegRequirement;
  }): Promise<CameraRegistry> {
    const registry = new CameraRegistry(
      options.store,
      options.now ?? (() => new Date()),
      options.defaultPlayback ?? 'public',
      options.ffmpeg ?? new FfmpegBinary('ffmpeg'),
    );
    for (const record of await options.store.list()) registry.#records.set(record.id, record);
    registry.#unwatch = options.store.watch?.((change) => registry.#onStoreChange(change));
    return registry;
  }

  get size(): number {
    return this.#records.size;
  }

  get defaultPlayback(): PlaybackPolicy {
    return this.#defaultPlayback;
  }

  /** Every camera in creation order (the records themselves: callers must not change them). */
  records(): IterableIterator<CameraRecord> {
    return this.#records.values();
  }

  record(id: string): CameraRecord | undefined {
    return this.#records.get(id);
  }

  /**
   * Who may watch camera `id` now; undefined when there is no such camera. A change through the API
   * takes effect at the next request.
   */
  playbackPolicy(id: string): PlaybackPolicy | undefined {
    const record = this.#records.get(id);
    return record === undefined ? undefined : (record.playback ?? this.#defaultPlayback);
  }

  async create(input: CameraInput): Promise<CameraRecord> {
    const problems = nameProblems(input.name);
    if (input.id !== undefined && !CAMERA_ID.test(input.id)) {
      problems.push({
        field: 'id',
        message: 'use 1 to 64 lowercase letters, digits and dashes, starting and ending with a letter or digit',
      });
    }
    const url = resolveOrCollect(input, undefined, problems);
    const recording = input.recording === undefined ? undefined : mergedRecording(undefined, input.recording);
    problems.push(...recordingProblems(recording));
    if (problems.length > 0) throw errors.validation(problems);
    if (url === undefined) throw errors.validation([{ field: 'url', message: 'is required' }]);
    if (input.transcode === 'h264') await this.#ffmpeg.require('transcode: "h264"');
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
      // Stored only when on: records of cameras that never transcode stay as they were.
      ...(input.transcode === 'h264' ? { transcode: 'h264' as const } : {}),
      // Stored only when asked for: a camera left to the default follows the gateway's (adding an
      // API key later protects it).
      ...(input.playback === undefined ? {} : { playback: input.playback }),
      ...(recording === undefined ? {} : { recording }),
      revision: 1,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.#write(() => this.#store.create(record), id);
    } finally {
      if (source !== undefined) this.#pendingSources.delete(source);
    }
    // A notification of this very write may have been handled while it was awaited.
    if (!this.#records.has(id)) this.#set(record);
    return this.#records.get(id) ?? record;
  }

  /**
   * Changes a camera. With `ifMatch`, only if it is still at that revision (else 412
   * PRECONDITION_FAILED, nothing changed): an edit made on an old copy does not undo another.
   */
  update(id: string, patch: CameraPatch, ifMatch?: number): Promise<CameraRecord> {
    return this.#serially(id, () => this.#update(id, patch, ifMatch));
  }

  async #update(id: string, patch: CameraPatch, ifMatch: number | undefined): Promise<CameraRecord> {
    const current = this.#records.get(id);
    if (current === undefined) throw errors.cameraNotFound(id);
    if (ifMatch !== undefined && revisionOf(current) !== ifMatch)
      throw errors.preconditionFailed(id, revisionOf(current));
    const record = this.patched(current, patch);
    // Turning transcoding on needs ffmpeg now: a clear 501 rather than a variant that never plays.
    if (patch.transcode === 'h264') await this.#ffmpeg.require('transcode: "h264"');
    const source =
      patch.allowDuplicateSource !== true && sourceKey(record.url) !== sourceKey(current.url)
        ? this.#claimSource(record.url, id)
        : undefined;
    try {
      await this.#write(() => this.#store.update(record, revisionOf(current)), id);
    } finally {
      if (source !== undefined) this.#pendingSources.delete(source);
    }
    this.#set(record);
    return record;
  }

  /** Removes a camera (with `ifMatch`, only at that revision). */
  delete(id: string, ifMatch?: number): Promise<void> {
    return this.#serially(id, () => this.#delete(id, ifMatch));
  }

  async #delete(id: string, ifMatch: number | undefined): Promise<void> {
    const current = this.#records.get(id);
    if (current === undefined) throw errors.cameraNotFound(id);
    if (ifMatch !== undefined && revisionOf(current) !== ifMatch)
      throw errors.preconditionFailed(id, revisionOf(current));
    const deleted = await this.#write(() => this.#store.delete(id, ifMatch), id);
    if (!deleted) {
      this.#remove(id);
      throw errors.cameraNotFound(id);
    }
    this.#remove(id);
  }

  /** The record `patch` makes of `current`, validated (every problem at once). */
  patched(current: CameraRecord, patch: CameraPatch): CameraRecord {
    const problems = patch.name === undefined ? [] : nameProblems(patch.name);
    const credentialsChange = patch.url !== undefined || patch.username !== undefined || patch.password !== undefined;
    const url = credentialsChange ? resolveOrCollect(patch, current.url, problems) : current.url;
    const recording =
      patch.recording === undefined ? current.recording : mergedRecording(current.recording, patch.recording);
    if (patch.recording !== undefined) problems.push(...recordingProblems(recording));
    if (problems.length > 0 || url === undefined) throw errors.validation(problems);
    const { transport, onDemand, audio, enabled, playback, transcode } = patch;
    return {
      ...current,
      ...(recording === undefined ? {} : { recording }),
      ...(playback === undefined ? {} : { playback }),
      ...(transport === undefined ? {} : { transport }),
      ...(onDemand === undefined ? {} : { onDemand }),
      ...(audio === undefined ? {} : { audio }),
      ...(enabled === undefined ? {} : { enabled }),
      ...(transcode === undefined ? {} : { transcode }),
      name: (patch.name ?? current.name).trim(),
      url,
      revision: revisionOf(current) + 1,
      updatedAt: this.#now().toISOString(),
    };
  }

  /**
   * Reads one camera from the store again (a node was told to pull a camera created elsewhere,
   * before the notification arrived); undefined when there is no such camera.
   */
  async refresh(id: string): Promise<CameraRecord | undefined> {
    await this.#serially(id, () => this.#reload(id));
    return this.#records.get(id);
  }

  /** Stops following changes and closes the store (pending writes finish first). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch?.();
    await Promise.allSettled([...this.#changing.values(), this.#resyncing]);
    await this.#store.close();
  }

  // ------------------------------------------------------------------ changes made elsewhere

  #onStoreChange(change: StoreChange): void {
    if (this.#closed) return;
    if (change.kind === 'resync') {
      this.#resyncing ??= this.#resync().finally(() => (this.#resyncing = undefined));
      return;
    }
    // A removal of what is not here is nothing to read. Anything else is read again, even at a
    // revision this node has: a camera deleted and created again under its id starts again at 1.
    if (change.deleted === true && !this.#records.has(change.id)) return;
    void this.#serially(change.id, () => this.#reload(change.id)).catch(() => undefined);
  }

  /** Reads one camera again and announces what changed. */
  async #reload(id: string): Promise<void> {
    if (this.#closed) return;
    let record: CameraRecord | undefined;
    try {
      record = await this.#store.get(id);
    } catch {
      // Unreachable now: the periodic resync catches up.
      return;
    }
    this.#apply(id, record);
  }

  /** Reads every camera again (notifications may have been missed) and announces the differences. */
  async #resync(): Promise<void> {
    const startedAt = this.#changes;
    let all: CameraRecord[];
    try {
      all = await this.#store.list();
    } catch {
      return;
    }
    if (this.#closed) return;
    const seen = new Set<string>();
    for (const record of all) {
      seen.add(record.id);
      const known = this.#records.get(record.id);
      if (known === undefined || !sameCamera(known, record) || revisionOf(known) !== revisionOf(record)) {
        await this.#serially(record.id, () => this.#applyInTurn(record.id, record)).catch(() => undefined);
      }
    }
    for (const id of [...this.#records.keys()]) {
      // Added after the list was read (by this node or a notice): the list cannot know it.
      if (seen.has(id) || (this.#changedAt.get(id) ?? 0) > startedAt) continue;
      await this.#serially(id, () => this.#applyInTurn(id, undefined)).catch(() => undefined);
    }
  }

  /** {@link #apply} as a change in the camera's queue. */
  #applyInTurn(id: string, record: CameraRecord | undefined): Promise<void> {
    this.#apply(id, record);
    return Promise.resolve();
  }

  /** Makes the copy match `record` (undefined: gone) unless it holds a newer revision. */
  #apply(id: string, record: CameraRecord | undefined): void {
    if (this.#closed) return;
    const known = this.#records.get(id);
    if (record === undefined) {
      if (known !== undefined) this.#remove(id);
      return;
    }
    // The same camera at an older or equal revision changes nothing; another camera under the
    // same id (deleted and created again: another creation time) replaces it.
    if (known !== undefined && sameCamera(known, record) && revisionOf(known) >= revisionOf(record)) return;
    this.#set(record);
  }

  // ------------------------------------------------------------------ bookkeeping

  #set(record: CameraRecord): void {
    this.#changedAt.set(record.id, ++this.#changes);
    const before = this.#records.get(record.id);
    this.#records.set(record.id, record);
    if (before === undefined) this.emit('added', record);
    else this.emit('changed', record, before);
  }

  #remove(id: string): void {
    this.#changedAt.delete(id);
    if (this.#records.delete(id)) this.emit('removed', id);
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

  async #write<T>(operation: () => Promise<T>, id: string): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (isCodedError(err, StoreErrorCode.DUPLICATE_ID)) throw errors.cameraExists(id);
      if (isCodedError(err, StoreErrorCode.NOT_FOUND)) {
        this.#remove(id);
        throw errors.cameraNotFound(id);
      }
      if (isCodedError(err, StoreErrorCode.CONFLICT)) {
        // Changed elsewhere: read what it is now, so the 412 names the current revision.
        await this.#reload(id);
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
}

/** The same camera (not another one created later under its id): its creation time. */
function sameCamera(a: CameraRecord, b: CameraRecord): boolean {
  return a.createdAt === b.createdAt;
}

/** The URL `input` resolves to, or undefined with its problems added to `problems`. */
export function resolveOrCollect(
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

/** A camera's recording settings after a change. */
function mergedRecording(current: RecordingSettings | undefined, patch: RecordingPatch): RecordingSettings {
  const retention = patch.retention === undefined ? current?.retention : (patch.retention ?? undefined);
  return { enabled: patch.enabled ?? current?.enabled ?? false, ...(retention === undefined ? {} : { retention }) };
}

/** The recording settings' problems (the API's schema checks types; this the stored record's rules). */
function recordingProblems(recording: RecordingSettings | undefined): FieldProblem[] {
  const problem = recording === undefined ? undefined : recordingSettingsProblem(recording);
  return problem === undefined ? [] : [{ field: 'recording', message: problem }];
}

/** Rules JSON Schema cannot say about a name. */
export function nameProblems(name: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (name.trim() === '') problems.push({ field: 'name', message: 'must not be empty' });
  if (/[\u0000-\u001f\u007f]/.test(name)) problems.push({ field: 'name', message: 'must not hold control characters' });
  return problems;
}
