import { CodedError } from '@camgate/bits';

export const CAMERA_TRANSPORTS = ['auto', 'tcp', 'udp'] as const;
export const CAMERA_AUDIO_MODES = ['auto', 'off'] as const;
/** `h264`: also offer the video transcoded to H.264 by ffmpeg (for browsers without H.265). */
export const CAMERA_TRANSCODE_MODES = ['off', 'h264'] as const;
/** Who may watch: anyone who reaches the gateway, or holders of a signed token (docs/api.md, "Securing playback"). */
export const PLAYBACK_POLICIES = ['public', 'signed'] as const;
export type PlaybackPolicy = (typeof PLAYBACK_POLICIES)[number];

/** A camera's recording (issue 15; docs/api.md, "Recording"). */
export interface RecordingSettings {
  enabled: boolean;
  /** What is kept: recordings older than maxAgeHours, or past maxBytes for this camera, are deleted oldest first. */
  retention?: { maxAgeHours?: number; maxBytes?: number };
}
/** 10 years: the longest retention by age (a bound, not a recommendation). */
export const MAX_RETENTION_HOURS = 24 * 366 * 10;

/**
 * One registered camera, as the store keeps it. `url` is the full RTSP URL
 * including credentials: the store is the one place they live, so it must
 * never appear in a log line or an error message.
 */
export interface CameraRecord {
  id: string;
  name: string;
  url: string;
  transport: (typeof CAMERA_TRANSPORTS)[number];
  onDemand: boolean;
  audio: (typeof CAMERA_AUDIO_MODES)[number];
  enabled: boolean;
  /** A second, H.264 video variant made by ffmpeg while someone watches it. Absent: `off` (records written before it). */
  transcode?: (typeof CAMERA_TRANSCODE_MODES)[number];
  /**
   * Who may watch. Absent in registries written before signed playback: such a camera follows the
   * gateway's default (signed with an API key, public without), so adding a key protects it.
   */
  playback?: PlaybackPolicy;
  /** Recording to disk. Absent: off (records written before recording). */
  recording?: RecordingSettings;
  /**
   * Counts the camera's versions: 1 when created, one more with each update. A write names the
   * revision it changes (`If-Match` in the API), so a stale edit is refused instead of silently
   * undoing another. Absent in registries written before there were revisions: 1.
   */
  revision?: number;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** ISO 8601 timestamp. */
  updatedAt: string;
}

/**
 * The camera registry. Every implementation (the JSON file today, a shared
 * database later) keeps this contract: a mutation's promise resolves only once
 * the change is durable, and every method returns copies the caller may modify.
 */
export interface CameraStore {
  /** Every camera, in creation order (an update keeps a camera's place). */
  list(): Promise<CameraRecord[]>;
  get(id: string): Promise<CameraRecord | undefined>;
  /** Throws STORE_DUPLICATE_ID when the id exists, STORE_FULL at the store's limits. */
  create(record: CameraRecord): Promise<void>;
  /**
   * Replaces the camera with `record.id`; throws STORE_NOT_FOUND when there is none, and
   * STORE_CONFLICT when `expectedRevision` is given and the stored camera has another revision.
   */
  update(record: CameraRecord, expectedRevision?: number): Promise<void>;
  /** False when there was no such camera; STORE_CONFLICT as for update(). */
  delete(id: string, expectedRevision?: number): Promise<boolean>;
  /** Waits for pending writes; every later call rejects with STORE_CLOSED. Closing twice is harmless. */
  close(): Promise<void>;
  /**
   * Calls `listener` for changes other processes make; returns the unsubscribe function. Optional:
   * a store only this process writes has none.
   */
  watch?(listener: (change: StoreChange) => void): () => void;
}

/** A change made elsewhere (another node, or psql), or a resync after notifications may have been missed. */
export type StoreChange = { kind: 'camera'; id: string; revision?: number; deleted?: boolean } | { kind: 'resync' };

export const StoreErrorCode = {
  /** create() was given an id that is already registered. */
  DUPLICATE_ID: 'STORE_DUPLICATE_ID',
  /** update() was given an id that is not registered. */
  NOT_FOUND: 'STORE_NOT_FOUND',
  /** The camera changed since the revision a write names: nothing was written. */
  CONFLICT: 'STORE_CONFLICT',
  /** The store was closed. */
  CLOSED: 'STORE_CLOSED',
  /** The stored data cannot be read or is not a camera registry this version understands; it is left untouched. */
  CORRUPT: 'STORE_CORRUPT',
  /** Writing to storage failed; the operation had no effect. */
  IO: 'STORE_IO',
  /** The store is at its camera or size limit. */
  FULL: 'STORE_FULL',
  /** A record given to create() or update() has a missing or invalid field (a bug in the caller). */
  INVALID_RECORD: 'STORE_INVALID_RECORD',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends CodedError<StoreErrorCode> {}

/** Every field of a record, in the order stores write them. */
export const RECORD_KEYS: ReadonlyArray<keyof CameraRecord> = [
  'id',
  'name',
  'url',
  'transport',
  'onDemand',
  'audio',
  'enabled',
  'transcode',
  'playback',
  'recording',
  'revision',
  'createdAt',
  'updatedAt',
];

/** What `new Date().toISOString()` writes, with any fraction and offset: a timestamp that sorts and parses everywhere. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Why `value` is not a valid {@link CameraRecord}, or undefined when it is.
 * Unknown fields are a problem too: a store rewrites whole records, so it
 * would silently drop them. The answer names fields and never quotes values,
 * because a value may hold camera credentials.
 */
export function cameraRecordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not an object';
  const record = value as Record<string, unknown>;
  // Not named: in a damaged file a "field name" can be a piece of a URL.
  if (Object.keys(record).some((key) => !(RECORD_KEYS as readonly string[]).includes(key))) {
    return `has a field that is not one of ${RECORD_KEYS.join(', ')}`;
  }
  const { id, name, url, transport, onDemand, audio, enabled, transcode, playback, recording } = record;
  const { revision, createdAt, updatedAt } = record;
  if (typeof id !== 'string' || id === '') return '"id" must be a non-empty string';
  if (typeof name !== 'string') return '"name" must be a string';
  if (typeof url !== 'string') return '"url" must be a string';
  if (!(CAMERA_TRANSPORTS as readonly unknown[]).includes(transport)) {
    return `"transport" must be one of ${CAMERA_TRANSPORTS.join(', ')}`;
  }
  if (typeof onDemand !== 'boolean') return '"onDemand" must be a boolean';
  if (!(CAMERA_AUDIO_MODES as readonly unknown[]).includes(audio)) {
    return `"audio" must be one of ${CAMERA_AUDIO_MODES.join(', ')}`;
  }
  if (typeof enabled !== 'boolean') return '"enabled" must be a boolean';
  if (transcode !== undefined && !(CAMERA_TRANSCODE_MODES as readonly unknown[]).includes(transcode)) {
    return `"transcode" must be one of ${CAMERA_TRANSCODE_MODES.join(', ')}`;
  }
  if (playback !== undefined && !(PLAYBACK_POLICIES as readonly unknown[]).includes(playback)) {
    return `"playback" must be one of ${PLAYBACK_POLICIES.join(', ')}`;
  }
  if (recording !== undefined) {
    const problem = recordingSettingsProblem(recording);
    if (problem !== undefined) return problem;
  }
  if (revision !== undefined && !(Number.isSafeInteger(revision) && (revision as number) >= 1)) {
    return '"revision" must be a positive integer';
  }
  if (!isTimestamp(createdAt)) return '"createdAt" must be an ISO 8601 timestamp';
  if (!isTimestamp(updatedAt)) return '"updatedAt" must be an ISO 8601 timestamp';
  return undefined;
}

/** Why `value` is not valid RecordingSettings (names fields, never values), or undefined. */
export function recordingSettingsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '"recording" must be an object';
  const { enabled, retention, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return '"recording" has a field that is not one of enabled, retention';
  if (typeof enabled !== 'boolean') return '"recording.enabled" must be a boolean';
  if (retention === undefined) return undefined;
  if (typeof retention !== 'object' || retention === null || Array.isArray(retention)) {
    return '"recording.retention" must be an object';
  }
  const { maxAgeHours, maxBytes, ...others } = retention as Record<string, unknown>;
  if (Object.keys(others).length > 0)
    return '"recording.retention" has a field that is not one of maxAgeHours, maxBytes';
  if (
    maxAgeHours !== undefined &&
    !(typeof maxAgeHours === 'number' && maxAgeHours > 0 && maxAgeHours <= MAX_RETENTION_HOURS)
  ) {
    return `"recording.retention.maxAgeHours" must be a number above 0, at most ${MAX_RETENTION_HOURS}`;
  }
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && (maxBytes as number) > 0)) {
    return '"recording.retention.maxBytes" must be a positive integer';
  }
  return undefined;
}

function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

/** A copy of a valid record with exactly the known fields, in a fixed order (what a store writes and returns). */
export function copyCameraRecord(record: CameraRecord): CameraRecord {
  return {
    id: record.id,
    name: record.name,
    url: record.url,
    transport: record.transport,
    onDemand: record.onDemand,
    audio: record.audio,
    enabled: record.enabled,
    ...(record.transcode === undefined ? {} : { transcode: record.transcode }),
    ...(record.playback === undefined ? {} : { playback: record.playback }),
    ...(record.recording === undefined ? {} : { recording: copyRecordingSettings(record.recording) }),
    ...(record.revision === undefined ? {} : { revision: record.revision }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function copyRecordingSettings(settings: RecordingSettings): RecordingSettings {
  const retention = settings.retention;
  return {
    enabled: settings.enabled,
    ...(retention === undefined
      ? {}
      : {
          retention: {
            ...(retention.maxAgeHours === undefined ? {} : { maxAgeHours: retention.maxAgeHours }),
            ...(retention.maxBytes === undefined ? {} : { maxBytes: retention.maxBytes }),
          },
        }),
  };
}

/** A camera's revision: 1 for a record written before there were revisions. */
export function revisionOf(record: CameraRecord): number {
  return record.revision ?? 1;
}
