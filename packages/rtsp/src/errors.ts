import { CodedError } from '@camgate/bits';

/**
 * Every error the RTSP client reports. Codes are stable (the gateway maps them
 * to words an operator understands); messages are for humans.
 */
export const RtspErrorCode = {
  /** The URL is not a usable rtsp:// or rtsps:// URL. */
  INVALID_URL: 'RTSP_INVALID_URL',
  /** A header the server sent cannot be used (empty, oversized or malformed). */
  INVALID_HEADER: 'RTSP_INVALID_HEADER',
  /** The server sent something that is not an RTSP message. */
  INVALID_MESSAGE: 'RTSP_INVALID_MESSAGE',
  /** A message, header block or body exceeded its limit. */
  MESSAGE_TOO_LARGE: 'RTSP_MESSAGE_TOO_LARGE',
  /** The camera wants credentials and the URL has none. */
  AUTH_REQUIRED: 'RTSP_AUTH_REQUIRED',
  /** The camera rejected the credentials (wrong user name or password). */
  AUTH_FAILED: 'RTSP_AUTH_FAILED',
  /** The camera offers only authentication schemes we do not implement. */
  UNSUPPORTED_AUTH: 'RTSP_UNSUPPORTED_AUTH',
  /** 403: the camera refuses this user or stream. */
  FORBIDDEN: 'RTSP_FORBIDDEN',
  /** 404: no stream at this path. */
  NOT_FOUND: 'RTSP_NOT_FOUND',
  /** 453 and similar: the camera has no session left (too many clients). */
  SESSION_LIMIT: 'RTSP_SESSION_LIMIT',
  /** Any other error status from the camera. */
  BAD_STATUS: 'RTSP_BAD_STATUS',
  /** No response to a request, or no media data, within the time limit. */
  TIMEOUT: 'RTSP_TIMEOUT',
  /** The TCP (or TLS) connection could not be made: refused, unreachable, unknown host. */
  CONNECTION_FAILED: 'RTSP_CONNECTION_FAILED',
  /** The camera closed the connection. */
  CONNECTION_CLOSED: 'RTSP_CONNECTION_CLOSED',
  /** The TLS handshake failed or the certificate was refused (rtsps). */
  TLS_ERROR: 'RTSP_TLS_ERROR',
  /** Neither TCP nor UDP transport could be set up with this camera. */
  UNSUPPORTED_TRANSPORT: 'RTSP_UNSUPPORTED_TRANSPORT',
  /** More redirects than allowed. */
  TOO_MANY_REDIRECTS: 'RTSP_TOO_MANY_REDIRECTS',
  /** A redirect we refuse to follow (rtsps to rtsp, or not an RTSP URL). */
  REDIRECT_REFUSED: 'RTSP_REDIRECT_REFUSED',
  /** The DESCRIBE answer is not a usable SDP. */
  INVALID_SDP: 'RTSP_INVALID_SDP',
  /** The stream has no track we can receive. */
  NO_SUPPORTED_TRACKS: 'RTSP_NO_SUPPORTED_TRACKS',
  /** The owner's connection policy refused the camera's address (beforeConnect threw). */
  ADDRESS_REFUSED: 'RTSP_ADDRESS_REFUSED',
  /** The session was closed by its owner. */
  CLOSED: 'RTSP_CLOSED',
} as const;
export type RtspErrorCode = (typeof RtspErrorCode)[keyof typeof RtspErrorCode];

export class RtspError extends CodedError<RtspErrorCode> {}
