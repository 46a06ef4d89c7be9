import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cameraRecordProblem,
  copyCameraRecord,
  revisionOf,
  StoreError,
  StoreErrorCode,
  type CameraRecord,
  type CameraStore,
} from './camera-store.js';
import { writeFileDurably, type WriteFailure } from './durable-file.js';
import { isSealed, SecretError, SecretErrorCode, sealedContext, sealedKeyId, type SecretBox } from './secret-box.js';

/** The version of the file layout this code reads and writes. A newer camgate that changes the layout bumps it. */
export const STORE_SCHEMA = 1;

/** The registry file inside the data directory. */
export const STORE_FILE_NAME = 'cameras.json';

/**
 * 10,000 cameras: far more than one gateway process can ingest (each camera is
 * a live RTSP session), and every write rewrites the whole file, so the limit
 * also bounds the cost of one API call (10,000 records are about 3 MB).
 */
export const MAX_CAMERAS = 10_000;

/**
 * 64 MiB: 10,000 cameras with generous names and URLs fit many times over.
 * open() refuses a larger file before reading it, so a runaway or hostile file
 * cannot exhaust memory; writes respect the same cap, so a file we wrote always loads.
 */
export const MAX_STORE_FILE_BYTES = 64 * 1024 * 1024;

export interface FileCameraStoreOptions {
  /** Most cameras the store holds (default {@link MAX_CAMERAS}); tests lower it. */
  maxCameras?: number;
  /** Largest file the store reads or writes (default {@link MAX_STORE_FILE_BYTES}); tests lower it. */
  maxFileBytes?: number;
  /**
   * Seals camera URLs in the file (CAMGATE_SECRET_KEY): the file holds `sealed:v1:...` where the
   * URL was, memory and list()/get() the URL. A file with plain URLs (written before there was a
   * key), or URLs sealed with a previous key, is sealed again with the current key at open. Without
   * it, URLs are written as given, and a file with sealed URLs does not open.
   */
  secrets?: SecretBox;
}

/** The file's shape: `{"schema": 1, "cameras": [...]}`, cameras in creation order. */
interface StoreFile {
  schema: typeof STORE_SCHEMA;
  cameras: CameraRecord[];
}

/** A camera as in memory, with its URL as the file holds it. */
interface StoredCamera {
  record: CameraRecord;
  /** `record.url` in the file: sealed with the secret key, or plain without one. */
  url: string;
}

type Cameras = ReadonlyMap<string, StoredCamera>;

/**
 * The camera registry as one JSON file, `<dataDir>/cameras.json`.
 *
 * Every mutation writes the whole registry to `cameras.json.tmp` (mode 0600:
 * the URLs hold camera passwords), fsyncs it, renames it over `cameras.json`
 * and fsyncs the directory, so a crash at any point leaves either the old or
 * the new file, and an acknowledged operation survives kill -9 and power loss.
 * Mutations run one at a time in call order; the in-memory copy changes only
 * after its write succeeded, so a failed write leaves it matching the file.
 * Reads answer from memory without waiting for writes in progress.
 *
 * With a secret key (`secrets`), URLs are sealed in the file (AES-256-GCM, store/secret-box.ts).
 *
 * One process per data directory: there is no lock against a second writer.
 */
export class FileCameraStore implements CameraStore {
  readonly #dataDir: string;
  readonly #path: string;
  readonly #maxCameras: number;
  readonly #maxFileBytes: number;
  readonly #secrets: SecretBox | undefined;
  /** What the file holds: replaced, never mutated, once a write succeeds. */
  #cameras: Cameras;
  /** The last queued mutation; the next one starts after it settles. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** A failed write may have left the file different from #cameras; the next write (or close) repairs it. */
  #diverged = false;

  private constructor(dataDir: string, cameras: Cameras, options: FileCameraStoreOptions) {
    this.#dataDir = dataDir;
    this.#path = join(dataDir, STORE_FILE_NAME);
    this.#maxCameras = options.maxCameras ?? MAX_CAMERAS;
    this.#maxFileBytes = options.maxFileBytes ?? MAX_STORE_FILE_BYTES;
    this.#secrets = options.secrets;
    this.#cameras = cameras;
  }

  /**
   * Opens the registry in `dataDir`, creating the directory (mode 0700) if
   * needed. A missing file is an empty registry; a `cameras.json.tmp` left by a
   * crash is removed (the rename never happened, so `cameras.json` is the truth).
   * Rejects with STORE_CORRUPT, and leaves the file alone, when it cannot be read
   * or is not a valid registry, or holds sealed URLs that `options.secrets` does not open (the
   * message says to set CAMGATE_SECRET_KEY to the key it was written with); with STORE_IO when the
   * directory is unusable. With `secrets`, URLs that are plain or sealed with a previous key are
   * sealed with the current key before open() resolves (one durable write).
   */
  static async open(dataDir: string, options: FileCameraStoreOptions = {}): Promise<FileCameraStore> {
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw ioError(`cannot create the data directory ${dataDir}`, err);
    }
    const path = join(dataDir, STORE_FILE_NAME);
    const cameras = await loadFile(path, options);
    try {
      await rm(`${path}.tmp`, { force: true });
    } catch (err) {
      throw ioError(`cannot remove the leftover ${path}.tmp`, err);
    }
    const store = new FileCameraStore(dataDir, cameras, options);
    const { secrets } = options;
    // Once, at open: a registry written without a key (or with the previous one) is sealed now,
    // not camera by camera as they happen to change.
    if (secrets !== undefined && [...cameras.values()].some((camera) => secrets.needsReseal(camera.url))) {
      await store.#commit(cameras);
    }
    return store;
  }

  list(): Promise<CameraRecord[]> {
    if (this.#closed) return Promise.reject(closedError());
    return Promise.resolve([...this.#cameras.values()].map((camera) => copyCameraRecord(camera.record)));
  }

  get(id: string): Promise<CameraRecord | undefined> {
    if (this.#closed) return Promise.reject(closedError());
    const camera = this.#cameras.get(id);
    return Promise.resolve(camera === undefined ? undefined : copyCameraRecord(camera.record));
  }

  async create(record: CameraRecord): Promise<void> {
    this.#checkOpen();
    const copy = this.#stored(checkedCopy(record));
    await this.#enqueue(async () => {
      if (this.#cameras.has(copy.record.id)) {
        throw new StoreError(StoreErrorCode.DUPLICATE_ID, `a camera with id ${JSON.stringify(copy.record.id)} exists`);
      }
      if (this.#cameras.size >= this.#maxCameras) {
        throw new StoreError(StoreErrorCode.FULL, `the store holds the maximum of ${this.#maxCameras} cameras`);
      }
      await this.#commit(new Map(this.#cameras).set(copy.record.id, copy));
    });
  }

  async update(record: CameraRecord, expectedRevision?: number): Promise<void> {
    this.#checkOpen();
    const copy = this.#stored(checkedCopy(record));
    await this.#enqueue(async () => {
      const stored = this.#cameras.get(copy.record.id);
      if (stored === undefined) {
        throw new StoreError(StoreErrorCode.NOT_FOUND, `no camera with id ${JSON.stringify(copy.record.id)}`);
      }
      checkRevision(stored.record, expectedRevision);
      // Setting an existing key keeps its place in the Map, so the camera keeps its place in the list.
      await this.#commit(new Map(this.#cameras).set(copy.record.id, copy));
    });
  }

  async delete(id: string, expectedRevision?: number): Promise<boolean> {
    this.#checkOpen();
    return this.#enqueue(async () => {
      const stored = this.#cameras.get(id);
      if (stored === undefined) return false;
      checkRevision(stored.record, expectedRevision);
      const next = new Map(this.#cameras);
      next.delete(id);
      await this.#commit(next);
      return true;
    });
  }

  /** Waits for queued writes, then repairs the file if a failed write left it diverged. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#enqueue(async () => {
      if (this.#diverged) await this.#commit(this.#cameras);
    });
  }

  /** Calls made after close() reject; operations queued before it still complete. */
  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }

  /**
   * Runs mutations one at a time in call order, each against the registry as
   * left by every earlier one. A mutation reads this.#cameras only inside its
   * operation, never at call time, so concurrent calls cannot lose an update.
   */
  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(operation);
    // The queue only orders operations: a failure belongs to its caller, not to the next operation.
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** The camera with its URL as the file will hold it. */
  #stored(record: CameraRecord): StoredCamera {
    const url = this.#secrets?.seal(record.url, sealedContext.cameraUrl(record.id)) ?? record.url;
    return { record, url };
  }

  /** Writes `next` durably (any URL not sealed with the current key sealed now), then makes it the in-memory state. */
  async #commit(cameras: Cameras): Promise<void> {
    const secrets = this.#secrets;
    const next: Cameras =
      secrets === undefined
        ? cameras
        : new Map(
            [...cameras].map(([id, camera]) => [
              id,
              secrets.needsReseal(camera.url) ? this.#stored(camera.record) : camera,
            ]),
          );
    const text = serialize(next);
    const bytes = Buffer.byteLength(text);
    if (bytes > this.#maxFileBytes) {
      throw new StoreError(
        StoreErrorCode.FULL,
        `the registry would take ${bytes} bytes, more than the limit of ${this.#maxFileBytes}`,
      );
    }
    try {
      await this.#writeFile(text);
    } catch (err) {
      const failure = err as WriteFailure;
      if (failure.replaced) {
        // The rename put `next` in place before the failure: write the committed state back so the
        // file and memory agree again. If that fails too, the next write or close() rewrites it.
        this.#diverged = true;
        await this.#writeFile(serialize(this.#cameras)).then(
          () => (this.#diverged = false),
          () => undefined,
        );
      }
      throw ioError(`cannot write ${this.#path}`, failure.cause);
    }
    this.#cameras = next;
    this.#diverged = false;
  }

  /** tmp file, fsync, rename, fsync the directory. Throws a {@link WriteFailure}. */
  #writeFile(text: string): Promise<void> {
    return writeFileDurably(this.#dataDir, this.#path, text);
  }
}

/** The file's text: indented, so an operator can read and diff it. */
function serialize(cameras: Cameras): string {
  const file: StoreFile = {
    schema: STORE_SCHEMA,
    cameras: [...cameras.values()].map(({ record, url }) => ({ ...record, url })),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * The cameras of the registry in `dataDir`, URLs opened, without changing anything (no directory
 * made, no leftover removed, nothing sealed): what `camgate db import` copies. Rejects like
 * {@link FileCameraStore.open}.
 */
export async function readCameraRegistry(
  dataDir: string,
  options: Pick<FileCameraStoreOptions, 'secrets' | 'maxCameras' | 'maxFileBytes'> = {},
): Promise<CameraRecord[]> {
  const cameras = await loadFile(join(dataDir, STORE_FILE_NAME), options);
  return [...cameras.values()].map((camera) => copyCameraRecord(camera.record));
}

/** Reads and validates the registry file; a missing file is an empty registry. */
async function loadFile(path: string, options: FileCameraStoreOptions): Promise<Cameras> {
  const maxCameras = options.maxCameras ?? MAX_CAMERAS;
  const maxFileBytes = options.maxFileBytes ?? MAX_STORE_FILE_BYTES;
  let data: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxFileBytes) throw corrupt(path, `is ${size} bytes, more than the limit of ${maxFileBytes}`);
      data = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new Map();
    throw corrupt(path, `cannot be read (${code ?? String(err)})`, err);
  }
  // A file that grew between stat() and the read is checked again.
  if (data.length > maxFileBytes) throw corrupt(path, `is more than the limit of ${maxFileBytes} bytes`);
  let text: string;
  try {
    // Fatal: a lenient decode would turn bad bytes into U+FFFD and the next write would save the damage.
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw corrupt(path, 'is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: V8 quotes the text around the error, which may be a camera password.
    throw corrupt(path, 'is not valid JSON');
  }
  return parseStoreFile(path, parsed, maxCameras, options.secrets);
}

function parseStoreFile(path: string, parsed: unknown, maxCameras: number, secrets: SecretBox | undefined): Cameras {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw corrupt(path, 'does not hold a JSON object');
  }
  const file = parsed as Record<string, unknown>;
  const { schema, cameras } = file;
  if (typeof schema === 'number' && Number.isInteger(schema) && schema > STORE_SCHEMA) {
    throw corrupt(
      path,
      `was written by a newer camgate (schema ${schema}; this version reads schema ${STORE_SCHEMA}): upgrade camgate`,
    );
  }
  if (schema !== STORE_SCHEMA) throw corrupt(path, `has no valid "schema" (expected ${STORE_SCHEMA})`);
  if (Object.keys(file).some((key) => key !== 'schema' && key !== 'cameras')) {
    throw corrupt(path, 'has a field other than "schema" and "cameras"');
  }
  if (!Array.isArray(cameras)) throw corrupt(path, 'has no "cameras" array');
  if (cameras.length > maxCameras) {
    throw corrupt(path, `holds ${cameras.length} cameras, more than the limit of ${maxCameras}`);
  }
  const byId = new Map<string, StoredCamera>();
  cameras.forEach((value: unknown, index) => {
    const problem = cameraRecordProblem(value);
    if (problem !== undefined) throw corrupt(path, `cameras[${index}] ${problem}`);
    const stored = value as CameraRecord;
    if (byId.has(stored.id)) throw corrupt(path, `cameras[${index}] repeats the id of an earlier camera`);
    const url = openUrl(path, index, stored, secrets);
    byId.set(stored.id, { record: copyCameraRecord({ ...stored, url }), url: stored.url });
  });
  return byId;
}

/** A camera's URL from the file: as it is when plain, opened when sealed; never quoted in an error. */
function openUrl(path: string, index: number, stored: CameraRecord, secrets: SecretBox | undefined): string {
  if (!isSealed(stored.url)) return stored.url;
  if (secrets === undefined) {
    const keyId = sealedKeyId(stored.url);
    throw corrupt(
      path,
      `cameras[${index}] has its "url" sealed with a secret key${keyId === undefined ? '' : ` (${keyId})`} and CAMGATE_SECRET_KEY is not set: set CAMGATE_SECRET_KEY to the key it was written with`,
    );
  }
  try {
    return secrets.open(stored.url, sealedContext.cameraUrl(stored.id));
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    const fix =
      err.code === SecretErrorCode.TAMPERED
        ? ' (restore the file from a backup, or remove that camera from it and add the camera again)'
        : '';
    throw corrupt(path, `cameras[${index}] "url": ${err.message}${fix}`);
  }
}

function corrupt(path: string, problem: string, cause?: unknown): StoreError {
  return new StoreError(
    StoreErrorCode.CORRUPT,
    `camera registry ${path} ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

function ioError(what: string, cause: unknown): StoreError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new StoreError(StoreErrorCode.IO, `${what}${code === undefined ? '' : ` (${code})`}`, { cause });
}

/** Checked inside the queued write: of two writes naming one revision, the second is refused. */
function checkRevision(stored: CameraRecord, expected: number | undefined): void {
  if (expected !== undefined && revisionOf(stored) !== expected) {
    throw new StoreError(
      StoreErrorCode.CONFLICT,
      `camera ${JSON.stringify(stored.id)} is at revision ${revisionOf(stored)}, not ${expected}`,
    );
  }
}

function closedError(): StoreError {
  return new StoreError(StoreErrorCode.CLOSED, 'the camera store is closed');
}

/** A copy taken at call time: a caller changing its object while the write is queued changes nothing. */
function checkedCopy(record: CameraRecord): CameraRecord {
  const problem = cameraRecordProblem(record);
  if (problem !== undefined) throw new StoreError(StoreErrorCode.INVALID_RECORD, `invalid camera record: ${problem}`);
  return copyCameraRecord(record);
}
