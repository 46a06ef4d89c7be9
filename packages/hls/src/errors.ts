import { CodedError } from '@camgate/bits';

export const HlsErrorCode = {
  /** A playlist attribute name or value cannot be written per RFC 8216 §4.2 (a bug, never viewer input). */
  INVALID_ATTRIBUTE: 'HLS_INVALID_ATTRIBUTE',
  /** A track cannot be added or changed that way (a bug in the caller). */
  INVALID_TRACK: 'HLS_INVALID_TRACK',
  /** An option is out of range: a number that is not a non-negative integer (a bug in the caller). */
  INVALID_OPTIONS: 'HLS_INVALID_OPTIONS',
  /** The stream was closed. */
  CLOSED: 'HLS_CLOSED',
} as const;
export type HlsErrorCode = (typeof HlsErrorCode)[keyof typeof HlsErrorCode];

export class HlsError extends CodedError<HlsErrorCode> {}
