import { randomBytes } from 'node:crypto';
import { isCodedError } from '@camgate/bits';
import type { HlsStream } from '@camgate/hls';
import { redactUrl } from '@camgate/rtsp';
import { errors, type FieldProblem } from '../errors.js';
import { StoreErrorCode, type CameraRecord, type CameraStore } from '../store/camera-store.js';
import { CameraPipeline, type CameraPipelineOptions, type CameraStatus } from './camera-pipeline.js';

/** What the API accepts to create a camera (defaults filled in here). */
export interface CameraInput {
  id?: string;
  name: string;
  url: string;
  transport?: CameraRecord['transport'];
  onDemand?: boolean;
  audio?: CameraRecord['audio'];
  enabled?: boolean;
}

export type CameraPatch = Partial<Omit<CameraInput, 'id'>>;

/** A camera as the API shows it: the URL without its password, the live status, and links. */
export interface CameraView extends Omit<CameraRecord, 'url'> {
  url: string;
  status: CameraStatus;
  links: { playlist: string; standardPlaylist: string; embed: string; snippet: string };
}

/** Slugs: lowercase letters, digits and dashes, as they appear in URLs (`/live/<id>/`). */
export const CAMERA_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** 2048 characters: longer than any camera URL, short enough for logs and request lines. */
const MAX_URL_LENGTH = 2048;
/** Control characters and spaces would split an RTSP request line (CRLF injection). */

const UNSAFE_URL_CHARACTERS = /[\u0000-\u0020\u007f]/;

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

  private constructor(store: CameraStore, pipelineOptions: (id: string) => CameraPipelineOptions, now: () => Date) {
    this.#store = store;
    this.#pipelineOptions = pipelineOptions;
    this.#now = now;
  }

  /** Loads the registry and starts a pipeline for every camera. */
  static async open(options: {
    store: CameraStore;
    pipeline?: (id: string) => CameraPipelineOptions;
    now?: () => Date;
  }): Promise<CameraManager> {
    const manager = new CameraManager(
      options.store,
      options.pipeline ?? (() => ({})),
      options.now ?? (() => new Date()),
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

  /** The camera's stream for an HLS request from `viewer` (starts an idle on-demand camera). */
  liveStream(id: string, viewer: string): HlsStream | undefined {
    return this.#pipelines.get(id)?.touch(viewer);
  }

  async create(input: CameraInput): Promise<CameraView> {
    const problems = validateCamera(input);
    if (input.id !== undefined && !CAMERA_ID.test(input.id)) {
      problems.push({
        field: 'id',
        message: 'use 1 to 64 lowercase letters, digits and dashes, starting and ending with a letter or digit',
      });
    }
    if (problems.length > 0) throw errors.validation(problems);
    const id = input.id ?? this.#newId(input.name);
    if (this.#records.has(id)) throw errors.cameraExists(id);
    const at = this.#now().toISOString();
    const record: CameraRecord = {
      id,
      name: input.name.trim(),
      url: input.url,
      transport: input.transport ?? 'auto',
      onDemand: input.onDemand ?? false,
      audio: input.audio ?? 'auto',
      enabled: input.enabled ?? true,
      createdAt: at,
      updatedAt: at,
    };
    await this.#write(() => this.#store.create(record), id);
    this.#start(record);
    return this.#view(record);
  }

  async update(id: string, patch: CameraPatch): Promise<CameraView> {
    const current = this.#records.get(id);
    if (current === undefined) throw errors.cameraNotFound(id);
    const problems = validateCamera({ ...current, ...patch });
    if (problems.length > 0) throw errors.validation(problems);
    const record: CameraRecord = {
      ...current,
      ...definedOnly(patch),
      name: (patch.name ?? current.name).trim(),
      updatedAt: this.#now().toISOString(),
    };
    await this.#write(() => this.#store.update(record), id);
    this.#records.set(id, record);
    this.#pipelines.get(id)?.update(settingsOf(record));
    return this.#view(record);
  }

  /** Removes a camera; once this resolves, its session, stream and timers are gone. */
  async delete(id: string): Promise<void> {
    if (!this.#records.has(id)) throw errors.cameraNotFound(id);
    const deleted = await this.#write(() => this.#store.delete(id), id);
    if (!deleted) throw errors.cameraNotFound(id);
    this.#records.delete(id);
    const pipeline = this.#pipelines.get(id);
    this.#pipelines.delete(id);
    await pipeline?.close();
  }

  /** Stops every camera and closes the store. */
  async close(): Promise<void> {
    const pipelines = [...this.#pipelines.values()];
    this.#pipelines.clear();
    await Promise.all(pipelines.map((p) => p.close()));
    await this.#store.close();
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
    const playlist = `/live/${record.id}/index.m3u8`;
    const embed = `/embed/${record.id}`;
    return {
      ...record,
      url: redactUrl(record.url),
      status: pipeline?.status() ?? {
        state: 'idle',
        since: record.updatedAt,
        lastError: null,
        reconnects: 0,
        tracks: [],
        bitrate: 0,
        bytesReceived: 0,
        framesReceived: 0,
        framesDropped: 0,
        lastFrameAt: null,
        viewers: 0,
      },
      links: {
        playlist,
        standardPlaylist: `/live/${record.id}/standard.m3u8`,
        embed,
        snippet: `<iframe src="${embed}?autoplay=1&muted=1" width="640" height="360" allow="autoplay; fullscreen" allowfullscreen style="border:0"></iframe>`,
      },
    };
  }
}

function settingsOf(record: CameraRecord) {
  return {
    url: record.url,
    transport: record.transport,
    onDemand: record.onDemand,
    audio: record.audio,
    enabled: record.enabled,
  };
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Rules JSON Schema cannot say: the URL's scheme, characters and shape. Names the field in each problem. */
export function validateCamera(input: { name: string; url: string }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.name.trim() === '') problems.push({ field: 'name', message: 'must not be empty' });

  if (/[\u0000-\u001f\u007f]/.test(input.name))
    problems.push({ field: 'name', message: 'must not hold control characters' });
  const url = input.url;
  if (url.length > MAX_URL_LENGTH) {
    problems.push({ field: 'url', message: `must be at most ${MAX_URL_LENGTH} characters` });
  } else if (UNSAFE_URL_CHARACTERS.test(url)) {
    problems.push({ field: 'url', message: 'must not hold spaces or control characters (percent-encode them)' });
  } else {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      problems.push({ field: 'url', message: 'is not a URL; expected rtsp://[user:password@]host[:port]/path' });
    }
    if (parsed !== undefined) {
      if (parsed.protocol !== 'rtsp:' && parsed.protocol !== 'rtsps:') {
        problems.push({ field: 'url', message: `must start with rtsp:// or rtsps://, not ${parsed.protocol}//` });
      } else if (parsed.hostname === '') {
        problems.push({ field: 'url', message: 'has no host' });
      }
    }
  }
  return problems;
}
