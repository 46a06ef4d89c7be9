import { CodedError } from '@camgate/bits';

export const GatewayErrorCode = {
  /** A configuration value (flag, environment variable or config file) is invalid. */
  INVALID_CONFIG: 'CAMGATE_ERR_INVALID_CONFIG',
  /** The command line cannot be understood. */
  USAGE: 'CAMGATE_ERR_USAGE',
  /** A request's body, query or path does not follow the API's rules (400). */
  VALIDATION: 'CAMGATE_ERR_VALIDATION',
  /** No camera with this id (404). */
  CAMERA_NOT_FOUND: 'CAMGATE_ERR_CAMERA_NOT_FOUND',
  /** A camera with this id exists already (409). */
  CAMERA_EXISTS: 'CAMGATE_ERR_CAMERA_EXISTS',
  /**
   * Another camera pulls this stream already (same host, port, path and query; 409, with its id in
   * `existingId`): send `allowDuplicateSource: true` to pull it twice anyway.
   */
  DUPLICATE_SOURCE: 'CAMGATE_ERR_DUPLICATE_SOURCE',
  /** `***`, the mask the API shows in place of a password, was sent as a password (400). */
  MASKED_PASSWORD: 'CAMGATE_ERR_MASKED_PASSWORD',
  /** A connection test (probe) could not receive the camera; `cameraError` says why (422). */
  PROBE_FAILED: 'CAMGATE_ERR_PROBE_FAILED',
  /**
   * The camera changed since the version the request names (`If-Match` with an old ETag): nothing
   * was changed; GET it again and redo the change on what it is now (412).
   */
  PRECONDITION_FAILED: 'CAMGATE_ERR_PRECONDITION_FAILED',
  /**
   * The feature needs ffmpeg (snapshots, H.264 transcoding) and the gateway cannot run it (501):
   * install it (`apt-get install ffmpeg`) or point CAMGATE_FFMPEG at it.
   */
  FFMPEG_NOT_FOUND: 'CAMGATE_ERR_FFMPEG_NOT_FOUND',
  /**
   * A camera's H.264 transcoder (ffmpeg) failed: it exited, wrote what is not H.264, or could not
   * keep up; it is started again with backoff (503 for the H.264 variant meanwhile, the reason in
   * the camera's `status.transcode.lastError`).
   */
  TRANSCODE_FAILED: 'CAMGATE_ERR_TRANSCODE_FAILED',
  /**
   * No snapshot of the camera now (503, `detail` says why): no keyframe yet (the camera is
   * connecting, retrying or sends no video), ffmpeg could not decode it, or too many decodes run.
   */
  SNAPSHOT_UNAVAILABLE: 'CAMGATE_ERR_SNAPSHOT_UNAVAILABLE',
  /** The node that pulls the camera cannot be reached or is handing it over: try again in a moment. */
  CAMERA_MOVING: 'CAMGATE_ERR_CAMERA_MOVING',
  /** The registry holds as many cameras as it may (409). */
  CAMERA_LIMIT: 'CAMGATE_ERR_CAMERA_LIMIT',
  /** The camera registry (or the signing keys) could not be written (503): nothing was changed. */
  STORE_UNAVAILABLE: 'CAMGATE_ERR_STORE_UNAVAILABLE',
  /** No signing key with this id (404). */
  SIGNING_KEY_NOT_FOUND: 'CAMGATE_ERR_SIGNING_KEY_NOT_FOUND',
  /** The gateway keeps as many signing keys as it may (409): delete one that no longer signs. */
  SIGNING_KEY_LIMIT: 'CAMGATE_ERR_SIGNING_KEY_LIMIT',
  /** The public key sent is not one the gateway can check tokens with (400); the answer never quotes it. */
  INVALID_SIGNING_KEY: 'CAMGATE_ERR_INVALID_SIGNING_KEY',
  /** The API needs `Authorization: Bearer <key>` (401). */
  UNAUTHORIZED: 'CAMGATE_ERR_UNAUTHORIZED',
  /** Too many wrong API keys, or API requests, from this address: wait (429, Retry-After). */
  RATE_LIMITED: 'CAMGATE_ERR_RATE_LIMITED',
  /** The request body is larger than the API accepts (413). */
  BODY_TOO_LARGE: 'CAMGATE_ERR_BODY_TOO_LARGE',
  /** The API takes JSON only (415): cross-site form posts cannot add cameras. */
  UNSUPPORTED_MEDIA_TYPE: 'CAMGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  /** No such route, or under `/live/` no such camera stream or file (404). */
  NOT_FOUND: 'CAMGATE_ERR_NOT_FOUND',
  /** The path exists, but not with this method (405, `Allow` lists the methods it has). */
  METHOD_NOT_ALLOWED: 'CAMGATE_ERR_METHOD_NOT_ALLOWED',
  /** A Range header asks for bytes the file does not have, or for several ranges (416). */
  RANGE_NOT_SATISFIABLE: 'CAMGATE_ERR_RANGE_NOT_SATISFIABLE',
  /** The request's path has malformed percent-encoding (`%zz`) and cannot be read (400). */
  BAD_URL: 'CAMGATE_ERR_BAD_URL',
  /** The URL, or a parameter of its path (camera id, file name), is longer than the gateway reads (414). */
  URL_TOO_LONG: 'CAMGATE_ERR_URL_TOO_LONG',
  /** The request's header section is larger than the gateway reads (431). */
  HEADERS_TOO_LARGE: 'CAMGATE_ERR_HEADERS_TOO_LARGE',
  /** The request is not valid HTTP (bad Content-Length, Transfer-Encoding with Content-Length, unknown method, no Host, ...) (400). */
  MALFORMED_REQUEST: 'CAMGATE_ERR_MALFORMED_REQUEST',
  /** The request did not arrive in time (headers within 10 s, all of it within 60 s) (408). */
  REQUEST_TIMEOUT: 'CAMGATE_ERR_REQUEST_TIMEOUT',
  /** An LL-HLS delivery directive (`_HLS_msn`, `_HLS_part`, `_HLS_skip`) is malformed or out of range (400, rfc8216bis §6.2.5.2). */
  HLS_BAD_REQUEST: 'CAMGATE_ERR_HLS_BAD_REQUEST',
  /** The camera's stream has not started, or stalled: try again shortly (503). */
  STREAM_UNAVAILABLE: 'CAMGATE_ERR_STREAM_UNAVAILABLE',
  /** The gateway is shutting down: try again shortly, here or at another instance (503, Retry-After). */
  SHUTTING_DOWN: 'CAMGATE_ERR_SHUTTING_DOWN',
  /**
   * Recording cannot run: its index cannot be opened (the SQLite module was not built when camgate
   * was installed, the database is unwritable or from a newer camgate) (503).
   */
  RECORDING_UNAVAILABLE: 'CAMGATE_ERR_RECORDING_UNAVAILABLE',
  /** A recorded segment did not follow its file's indexed end: a bug in the recorder, the segment is not kept (500). */
  RECORDING_INDEX: 'CAMGATE_ERR_RECORDING_INDEX',
  /**
   * A recorded segment's lease epoch is no longer held by the node that recorded it (a cluster: the
   * camera moved to another node): a stale owner's late write, refused (409).
   */
  RECORDING_FENCED: 'CAMGATE_ERR_RECORDING_FENCED',
  /** A recorded file is on a node that is not running now (a cluster): try again when it is back (503). */
  RECORDING_NODE_DOWN: 'CAMGATE_ERR_RECORDING_NODE_DOWN',
  /** A recorded file cannot be read back (a damaged disk, a file changed by hand): the export stops, the gateway goes on (500). */
  RECORDING_DAMAGED: 'CAMGATE_ERR_RECORDING_DAMAGED',
  /** A bug: the gateway failed (500). */
  INTERNAL: 'CAMGATE_ERR_INTERNAL',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

/** One field a request got wrong. */
export interface FieldProblem {
  /** JSON pointer-like path: `url`, `transport`, `query.page`. */
  field: string;
  message: string;
}

export class GatewayError extends CodedError<GatewayErrorCode> {
  /** HTTP status for API answers. */
  readonly statusCode: number;
  readonly fields: readonly FieldProblem[];
  /** More members of the problem answer (RFC 9457 §3.2 extensions), such as `existingId`. */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Seconds a client should wait before trying again (`Retry-After`), for 429 and 503 answers. */
  retryAfterS: number | undefined;

  constructor(
    code: GatewayErrorCode,
    message: string,
    statusCode = 500,
    fields: readonly FieldProblem[] = [],
    extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, message);
    this.statusCode = statusCode;
    this.fields = fields;
    this.extensions = extensions;
    this.retryAfterS = undefined;
  }
}

/** Coded error factories, fastify style: one place lists every error the gateway raises. */
export const errors = {
  invalidConfig: (field: string, problem: string) =>
    new GatewayError(GatewayErrorCode.INVALID_CONFIG, `invalid configuration: ${field} ${problem}`),
  usage: (message: string) => new GatewayError(GatewayErrorCode.USAGE, message),
  validation: (fields: readonly FieldProblem[]) =>
    new GatewayError(
      GatewayErrorCode.VALIDATION,
      fields.map((f) => `${f.field}: ${f.message}`).join('; ') || 'invalid request',
      400,
      fields,
    ),
  cameraNotFound: (id: string) =>
    new GatewayError(GatewayErrorCode.CAMERA_NOT_FOUND, `there is no camera with id "${id}"`, 404),
  cameraExists: (id: string) =>
    new GatewayError(GatewayErrorCode.CAMERA_EXISTS, `a camera with id "${id}" exists already`, 409),
  duplicateSource: (existingId: string) =>
    new GatewayError(
      GatewayErrorCode.DUPLICATE_SOURCE,
      `camera "${existingId}" pulls this stream already: a second pull takes another of the camera's few sessions; use that camera, or send "allowDuplicateSource": true`,
      409,
      [],
      { existingId },
    ),
  maskedPassword: (fields: readonly FieldProblem[]) =>
    new GatewayError(
      GatewayErrorCode.MASKED_PASSWORD,
      fields.map((f) => `${f.field}: ${f.message}`).join('; '),
      400,
      fields,
    ),
  probeFailed: (cameraError: { code: string; message: string }) =>
    new GatewayError(GatewayErrorCode.PROBE_FAILED, `the camera test failed: ${cameraError.message}`, 422, [], {
      cameraError,
    }),
  preconditionFailed: (id: string, revision: number | undefined) =>
    new GatewayError(
      GatewayErrorCode.PRECONDITION_FAILED,
      revision === undefined
        ? `camera "${id}" does not match If-Match; nothing was changed`
        : `camera "${id}" changed since: it is at revision ${revision} (ETag "${revision}"); nothing was changed`,
      412,
      [],
      revision === undefined ? {} : { revision },
    ),
  cameraLimit: () =>
    new GatewayError(GatewayErrorCode.CAMERA_LIMIT, 'the registry holds as many cameras as it may', 409),
  storeUnavailable: (what = 'the camera registry') =>
    new GatewayError(
      GatewayErrorCode.STORE_UNAVAILABLE,
      `${what} could not be saved; nothing was changed (see the gateway log)`,
      503,
    ),
  unauthorized: (what = 'this API needs the header Authorization: Bearer <API key>') =>
    new GatewayError(GatewayErrorCode.UNAUTHORIZED, what, 401),
  signingKeyNotFound: (id: string) =>
    new GatewayError(GatewayErrorCode.SIGNING_KEY_NOT_FOUND, `there is no signing key with id "${id}"`, 404),
  signingKeyLimit: (limit: number) =>
    new GatewayError(
      GatewayErrorCode.SIGNING_KEY_LIMIT,
      `the gateway keeps at most ${limit} signing keys: delete one that no longer signs tokens`,
      409,
    ),
  invalidSigningKey: (why: string) =>
    new GatewayError(GatewayErrorCode.INVALID_SIGNING_KEY, `publicKey: ${why}`, 400, [
      { field: 'publicKey', message: why },
    ]),
  rateLimited: (retryAfterS: number, why = 'too many wrong API keys from this address') =>
    withRetryAfter(
      new GatewayError(GatewayErrorCode.RATE_LIMITED, `${why}; try again in ${retryAfterS} s`, 429),
      retryAfterS,
    ),
  bodyTooLarge: (limit: number) =>
    new GatewayError(GatewayErrorCode.BODY_TOO_LARGE, `the request body is larger than ${limit} bytes`, 413),
  unsupportedMediaType: () =>
    new GatewayError(GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the request body as application/json', 415),
  notFound: (path: string) => new GatewayError(GatewayErrorCode.NOT_FOUND, `no route ${path}`, 404),
  liveNotFound: (cameraId: string, file: string) =>
    new GatewayError(GatewayErrorCode.NOT_FOUND, `camera "${cameraId}" has no stream file "${file}"`, 404),
  noRecording: (camera: string, start: number, end: number) =>
    new GatewayError(
      GatewayErrorCode.NOT_FOUND,
      `camera "${camera}" has no recording from ${new Date(start).toISOString()} to ${new Date(end).toISOString()}`,
      404,
    ),
  rangeNotSatisfiable: (file: string, size: number) =>
    new GatewayError(
      GatewayErrorCode.RANGE_NOT_SATISFIABLE,
      `"${file}" has ${size} bytes: ask for one range within them (Range: bytes=<first>-<last>)`,
      416,
    ),
  methodNotAllowed: (method: string, path: string, allowed: readonly string[]) =>
    new GatewayError(
      GatewayErrorCode.METHOD_NOT_ALLOWED,
      `${path} does not answer ${method}; it answers ${allowed.join(', ')}`,
      405,
    ),
  badUrl: () =>
    new GatewayError(
      GatewayErrorCode.BAD_URL,
      'the path has malformed percent-encoding (% not followed by a UTF-8 byte)',
      400,
    ),
  urlTooLong: (limit: number, what = 'the URL') =>
    new GatewayError(GatewayErrorCode.URL_TOO_LONG, `${what} is longer than ${limit} characters`, 414),
  headersTooLarge: (limit: number) =>
    new GatewayError(
      GatewayErrorCode.HEADERS_TOO_LARGE,
      `the request's header section is larger than ${limit} bytes`,
      431,
    ),
  malformedRequest: (why: string) =>
    new GatewayError(GatewayErrorCode.MALFORMED_REQUEST, `the request is not valid HTTP: ${why}`, 400),
  requestTimeout: () => new GatewayError(GatewayErrorCode.REQUEST_TIMEOUT, 'the request did not arrive in time', 408),
  unsupportedCharset: (charset: string) =>
    new GatewayError(
      GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE,
      `send the request body as application/json in UTF-8, not ${charset.slice(0, 40)}`,
      415,
    ),
  hlsBadRequest: (reason: string) => new GatewayError(GatewayErrorCode.HLS_BAD_REQUEST, reason, 400),
  streamUnavailable: (reason: string) => new GatewayError(GatewayErrorCode.STREAM_UNAVAILABLE, reason, 503),
  shuttingDown: (retryAfterS = SHUTDOWN_RETRY_AFTER_S) =>
    withRetryAfter(
      new GatewayError(GatewayErrorCode.SHUTTING_DOWN, 'the gateway is shutting down; try again shortly', 503),
      retryAfterS,
    ),
  cameraMoving: (cameraId: string, retryAfterS = CAMERA_MOVING_RETRY_AFTER_S) =>
    withRetryAfter(
      new GatewayError(
        GatewayErrorCode.CAMERA_MOVING,
        `camera "${cameraId}" is being handed over to another gateway node; try again shortly`,
        503,
      ),
      retryAfterS,
    ),
  ffmpegNotFound: (what: string, reason: string) =>
    new GatewayError(
      GatewayErrorCode.FFMPEG_NOT_FOUND,
      `${what} needs ffmpeg, which the gateway cannot run (${reason}): install it (apt-get install ffmpeg) or set CAMGATE_FFMPEG to its path`,
      501,
    ),
  transcodeFailed: (reason: string) =>
    new GatewayError(GatewayErrorCode.TRANSCODE_FAILED, `H.264 transcoding failed: ${reason}`, 503),
  snapshotUnavailable: (reason: string, retryAfterS?: number) => {
    const error = new GatewayError(GatewayErrorCode.SNAPSHOT_UNAVAILABLE, `no snapshot: ${reason}`, 503);
    return retryAfterS === undefined ? error : withRetryAfter(error, retryAfterS);
  },
  recordingUnavailable: (reason: string, cause?: unknown) => {
    const error = new GatewayError(GatewayErrorCode.RECORDING_UNAVAILABLE, `recording is unavailable: ${reason}`, 503);
    if (cause !== undefined) error.cause = cause;
    return error;
  },
  recordingDamaged: (detail: string) =>
    new GatewayError(GatewayErrorCode.RECORDING_DAMAGED, `a recorded file cannot be read: ${detail}`, 500),
  recordingIndex: (problem: string) =>
    new GatewayError(GatewayErrorCode.RECORDING_INDEX, `the recordings index refused a segment: ${problem}`, 500),
  recordingFenced: (camera: string, leaseEpoch: number | undefined) =>
    new GatewayError(
      GatewayErrorCode.RECORDING_FENCED,
      `the recordings index refused a segment of camera "${camera}": this node no longer holds its lease (epoch ${leaseEpoch ?? 'none'})`,
      409,
    ),
  recordingNodeDown: (node: string) => {
    const error = new GatewayError(
      GatewayErrorCode.RECORDING_NODE_DOWN,
      `this recording is on gateway node "${node}", which is not running now`,
      503,
    );
    error.retryAfterS = 30;
    return error;
  },
  internal: () => new GatewayError(GatewayErrorCode.INTERNAL, 'the gateway failed to handle this request', 500),
};

/**
 * 5 s: the gateway is gone within 5 s of SIGTERM (4 s of grace); by then a restarted gateway, or
 * another instance behind the load balancer, answers.
 */
export const SHUTDOWN_RETRY_AFTER_S = 5;

function withRetryAfter(error: GatewayError, seconds: number): GatewayError {
  error.retryAfterS = seconds;
  return error;
}

/**
 * 1 s: a camera changes hands within a lease round (2 s) of its old owner letting go, and a player
 * waiting longer than a part or two falls behind live.
 */
export const CAMERA_MOVING_RETRY_AFTER_S = 1;
