import { CodedError } from '@camgate/bits';

export const RtpErrorCode = {
  /** Shorter than the fixed 12-byte header plus its CSRC list. */
  PACKET_TOO_SHORT: 'RTP_PACKET_TOO_SHORT',
  /** Version field is not 2 (RFC 3550 §5.1). */
  UNSUPPORTED_VERSION: 'RTP_UNSUPPORTED_VERSION',
  /** The header extension claims more bytes than the packet has. */
  INVALID_EXTENSION: 'RTP_INVALID_EXTENSION',
  /** The padding count is 0 or larger than the payload. */
  INVALID_PADDING: 'RTP_INVALID_PADDING',
  /** A caller passed an impossible value (a bug, never network input). */
  INVALID_ARGUMENT: 'RTP_INVALID_ARGUMENT',
} as const;
export type RtpErrorCode = (typeof RtpErrorCode)[keyof typeof RtpErrorCode];

export class RtpError extends CodedError<RtpErrorCode> {}
