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
  /** The registry holds as many cameras as it may (409). */
  CAMERA_LIMIT: 'CAMGATE_ERR_CAMERA_LIMIT',
  /** The camera registry could not be written (503): nothing was changed. */
  STORE_UNAVAILABLE: 'CAMGATE_ERR_STORE_UNAVAILABLE',
  /** The API needs `Authorization: Bearer <key>` (401). */
  UNAUTHORIZED: 'CAMGATE_ERR_UNAUTHORIZED',
  /** Too many wrong API keys, or API requests, from this address: wait (429, Retry-After). */
  RATE_LIMITED: 'CAMGATE_ERR_RATE_LIMITED',
  /** The request body is larger than the API accepts (413). */
  BODY_TOO_LARGE: 'CAMGATE_ERR_BODY_TOO_LARGE',
  /** The API takes JSON only (415): cross-site form posts cannot add cameras. */
  UNSUPPORTED_MEDIA_TYPE: 'CAMGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  /** No such route (404). */
  NOT_FOUND: 'CAMGATE_ERR_NOT_FOUND',
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

  constructor(code: GatewayErrorCode, message: string, statusCode = 500, fields: readonly FieldProblem[] = []) {
    super(code, message);
    this.statusCode = statusCode;
    this.fields = fields;
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
  cameraLimit: () =>
    new GatewayError(GatewayErrorCode.CAMERA_LIMIT, 'the registry holds as many cameras as it may', 409),
  storeUnavailable: () =>
    new GatewayError(
      GatewayErrorCode.STORE_UNAVAILABLE,
      'the camera registry could not be saved; nothing was changed (see the gateway log)',
      503,
    ),
  unauthorized: () =>
    new GatewayError(GatewayErrorCode.UNAUTHORIZED, 'this API needs the header Authorization: Bearer <API key>', 401),
  rateLimited: (retryAfterS: number, why = 'too many wrong API keys from this address') =>
    new GatewayError(GatewayErrorCode.RATE_LIMITED, `${why}; try again in ${retryAfterS} s`, 429),
  bodyTooLarge: (limit: number) =>
    new GatewayError(GatewayErrorCode.BODY_TOO_LARGE, `the request body is larger than ${limit} bytes`, 413),
  unsupportedMediaType: () =>
    new GatewayError(GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the request body as application/json', 415),
  notFound: (path: string) => new GatewayError(GatewayErrorCode.NOT_FOUND, `no route ${path}`, 404),
  internal: () => new GatewayError(GatewayErrorCode.INTERNAL, 'the gateway failed to handle this request', 500),
};
