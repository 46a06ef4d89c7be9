// The dashboard's client of the gateway's REST API (/v1, docs/api.md): the API key, requests and
// their answers, and the shapes of what it answers. Every URL is relative to the page, so the
// dashboard works under a reverse proxy's path prefix.

export type CameraState = 'idle' | 'connecting' | 'streaming' | 'retrying' | 'failed' | 'disabled';

/** Per-track status (decision 1 of issue 13: what browsers get, and which of them play it). */
export interface TrackStatus {
  kind: 'video' | 'audio';
  codec: string;
  codecString?: string;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  channels?: number;
  /** What players get (G.711 becomes FLAC); null when the track is left out. */
  delivered?: { codec: string; codecString: string } | null;
  browsers?: 'all' | 'some' | 'none';
  /** Which browsers play it, in words. */
  browserSupport?: string;
  /** Why the track is left out (or plays in some browsers only). */
  reason?: string;
}

export interface CameraError {
  code: string;
  message: string;
  at?: string;
}

/** The H.264 transcoding of a camera with `transcode: 'h264'`. */
export interface TranscodeStatus {
  codec: 'h264';
  codecString: string;
  state: 'idle' | 'starting' | 'running' | 'failed';
  cpuPercent: number;
  viewers: number;
  lastError: CameraError | null;
}

export interface CameraStatus {
  state: CameraState;
  lastError?: CameraError | null;
  nextAttemptAt?: string | null;
  tracks?: TrackStatus[];
  bitrate?: number;
  viewers?: number;
  transcode?: TranscodeStatus | null;
  /** The camera's recording; null when it does not record. */
  recording?: { state: string; lastError: CameraError | null; segments: number } | null;
}

export interface CameraLinks {
  snippet?: string;
  tokenRequired?: boolean;
  signing?: { explanation?: string; node?: string; python?: string };
}

export type Transport = 'auto' | 'tcp' | 'udp';
export type Playback = 'public' | 'signed';
export type Transcode = 'off' | 'h264';

export interface Camera {
  id: string;
  name: string;
  /** With every secret as `***`. */
  url: string;
  hasPassword?: boolean;
  transport: Transport;
  audio: 'auto' | 'off';
  playback: Playback;
  transcode?: Transcode;
  onDemand: boolean;
  enabled: boolean;
  recording?: { enabled: boolean; retention?: { maxAgeHours?: number; maxBytes?: number } };
  status?: CameraStatus;
  links?: CameraLinks;
}

/** An RFC 9457 problem as the gateway sends it. */
export interface Problem {
  code?: string;
  detail?: string;
  errors?: Array<{ field?: string; message?: string }>;
  /** A connection test that reached the camera and failed: why, in the camera status's words. */
  cameraError?: CameraError;
}

export interface ApiResult<T> {
  ok: boolean;
  status: number;
  /** The answer's JSON (T when ok, usually a Problem otherwise); null when it had none. */
  data: T | null;
}

/** The page's data block (dashboard-page.ts). */
export interface PageConfig {
  version: string;
  /** The gateway has a camera registry (else /v1/cameras answers 404). */
  api: boolean;
  /** The gateway has an API key: the page asks for it. */
  keyed: boolean;
  pollMs: number;
}

/** A request the gateway refused (not for want of a key): its answer. */
export class ApiError extends Error {
  constructor(readonly result: ApiResult<Problem>) {
    super(result.data?.detail ?? `the gateway answered ${result.status}`);
  }
}

/** The request was refused for want of the right key: the login screen shows instead. */
export class AuthNeeded extends Error {
  constructor() {
    super('the gateway asks for its API key');
  }
}

const KEY_STORAGE = 'camgate.apiKey';
/** 100 cameras a page, the API's largest (docs/api.md, pagination). */
const PER_PAGE = 100;
/** 50 pages: 5000 cameras, far beyond what one browser tab shows; bounds a misbehaving answer. */
const MAX_PAGES = 50;

/**
 * The API key lives in this tab's sessionStorage only: never in a URL, a cookie (which other sites'
 * requests would carry) or storage that outlives the tab; it is gone when the tab closes. A key
 * typed in is kept only once the gateway took it: a refused key is never kept.
 */
export class ApiClient {
  #key: string;
  #onAuthNeeded: (wrongKey: boolean) => void;
  readonly #keyed: boolean;

  constructor(options: { keyed: boolean; onAuthNeeded: (wrongKey: boolean) => void }) {
    this.#keyed = options.keyed;
    this.#onAuthNeeded = options.onAuthNeeded;
    this.#key = ApiClient.#stored();
  }

  static #stored(): string {
    try {
      return sessionStorage.getItem(KEY_STORAGE) ?? '';
    } catch {
      return '';
    }
  }

  get key(): string {
    return this.#key;
  }

  /** Uses `key` for the next requests, without keeping it (it is not confirmed yet). */
  tryKey(key: string): void {
    this.#key = key;
  }

  /** Keeps the key in use for this tab (the gateway took it), or forgets it (''). */
  storeKey(key: string): void {
    try {
      if (key === '') sessionStorage.removeItem(KEY_STORAGE);
      else sessionStorage.setItem(KEY_STORAGE, key);
    } catch {
      // Storage refused: the key lasts as long as the page.
    }
    this.#key = key;
  }

  #headers(accept: string): Record<string, string> {
    const headers: Record<string, string> = { accept };
    if (this.#key !== '') headers['authorization'] = `Bearer ${this.#key}`;
    return headers;
  }

  /** Throws AuthNeeded on 401 (after calling onAuthNeeded), and when the network fails. */
  #checkAuth(res: Response): void {
    if (res.status === 401) {
      this.#onAuthNeeded(this.#key !== '');
      throw new AuthNeeded();
    }
    // Too many requests without a key from this address (others behind the same proxy): the key
    // panel still shows, since the right key is never refused for them.
    if (res.status === 429 && this.#key === '' && this.#keyed) this.#onAuthNeeded(false);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const headers = this.#headers('application/json');
    const init: RequestInit = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    this.#checkAuth(res);
    if (res.status === 204) return { ok: true, status: 204, data: null };
    const data = await res.json().then(
      (json: unknown) => json as T,
      () => null,
    );
    return { ok: res.ok, status: res.status, data };
  }

  /** Every camera, page after page. Throws ApiError when a page is refused. */
  async cameras(): Promise<Camera[]> {
    const items: Camera[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await this.request<{ items?: unknown; pageCount?: number }>(
        'GET',
        `v1/cameras?perPage=${PER_PAGE}&page=${page}`,
      );
      if (!res.ok || res.data === null || !Array.isArray(res.data.items)) throw new ApiError(res as ApiResult<Problem>);
      for (const item of res.data.items as unknown[]) if (isCamera(item)) items.push(item);
      if (page >= (res.data.pageCount ?? 0)) break;
    }
    return items;
  }

  /** A playback token for a signed camera (POST .../playback-tokens), or null with the reason. */
  async mintToken(id: string, ttlSeconds: number): Promise<{ token: string } | { problem: string }> {
    const res = await this.request<{ token?: unknown } & Problem>(
      'POST',
      `v1/cameras/${encodeURIComponent(id)}/playback-tokens`,
      { ttlSeconds },
    );
    if (res.ok && typeof res.data?.token === 'string') return { token: res.data.token };
    return { problem: res.data?.detail ?? 'No playback token could be minted for this camera.' };
  }

  /** The recorded spans of a camera between two times (GET .../recordings), or the problem's words. */
  async recordings(
    id: string,
    startMs: number,
    endMs: number,
  ): Promise<{ spans: Array<{ start: string; end: string }> } | { problem: string }> {
    const res = await this.request<{ spans?: unknown } & Problem>(
      'GET',
      `v1/cameras/${encodeURIComponent(id)}/recordings?start=${startMs}&end=${endMs}`,
    );
    if (res.ok && Array.isArray(res.data?.spans)) {
      return { spans: res.data.spans as Array<{ start: string; end: string }> };
    }
    return { problem: res.data?.detail ?? 'The recordings cannot be listed.' };
  }

  /**
   * The camera's latest picture (GET /v1/cameras/:id/snapshot.jpg?width=, decision 3 of issue 13),
   * fetched with the API key (an `<img>` cannot send it) as a Blob; or the problem the gateway
   * answered (503 SNAPSHOT_UNAVAILABLE: no keyframe yet; 501 FFMPEG_NOT_FOUND).
   */
  async snapshot(id: string, width: number, signal?: AbortSignal): Promise<Blob | SnapshotProblem> {
    const init: RequestInit = { headers: this.#headers('image/jpeg, application/problem+json') };
    if (signal !== undefined) init.signal = signal;
    const res = await fetch(`v1/cameras/${encodeURIComponent(id)}/snapshot.jpg?width=${width}`, init);
    this.#checkAuth(res);
    if (res.ok) return res.blob();
    const problem = await res.json().then(
      (json: unknown) => json as Problem,
      () => null,
    );
    return { status: res.status, code: problem?.code ?? '', detail: problem?.detail ?? '' };
  }
}

export interface SnapshotProblem {
  status: number;
  code: string;
  detail: string;
}

/** Only what has an id and a name becomes a tile: the rest of the shape is read defensively. */
function isCamera(item: unknown): item is Camera {
  if (typeof item !== 'object' || item === null) return false;
  const camera = item as Record<string, unknown>;
  return typeof camera['id'] === 'string' && typeof camera['name'] === 'string';
}
