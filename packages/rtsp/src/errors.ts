import { CodedError } from '@camgate/bits';

export const RtspErrorCode = {
  /** A header the server sent cannot be used (empty, oversized or malformed). */
  INVALID_HEADER: 'RTSP_INVALID_HEADER',
} as const;
export type RtspErrorCode = (typeof RtspErrorCode)[keyof typeof RtspErrorCode];

export class RtspError extends CodedError<RtspErrorCode> {}
