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
  /** An RTCP packet is malformed (RFC 3550 §6.4). */
  INVALID_RTCP: 'RTP_INVALID_RTCP',
  /** An access unit exceeded MAX_ACCESS_UNIT_BYTES or MAX_NALS_PER_ACCESS_UNIT and was dropped (B04, B05). */
  ACCESS_UNIT_TOO_LARGE: 'RTP_ACCESS_UNIT_TOO_LARGE',
  /** A packetization the depacketizer does not implement (STAP-B, MTAP, FU-B, PACI, ...). */
  UNSUPPORTED_PACKETIZATION: 'RTP_UNSUPPORTED_PACKETIZATION',
  /** An aggregation packet (STAP-A, AP) whose sizes do not fit the payload (B06). */
  INVALID_AGGREGATION: 'RTP_INVALID_AGGREGATION',
  /** A fragment (FU-A, FU, AAC fragment) without its start, or a fragmented unit cut by loss (B02, B03). */
  INCOMPLETE_FRAGMENT: 'RTP_INCOMPLETE_FRAGMENT',
  /** Packets were lost (sequence gap). */
  PACKET_LOSS: 'RTP_PACKET_LOSS',
  /** A keyframe arrived before any parameter set was known, so it cannot be decoded. */
  MISSING_PARAMETER_SETS: 'RTP_MISSING_PARAMETER_SETS',
  /** An RFC 3640 / RFC 3016 audio payload is malformed (B07). */
  INVALID_AUDIO_PAYLOAD: 'RTP_INVALID_AUDIO_PAYLOAD',
  /** A caller passed an impossible value (a bug, never network input). */
  INVALID_ARGUMENT: 'RTP_INVALID_ARGUMENT',
} as const;
export type RtpErrorCode = (typeof RtpErrorCode)[keyof typeof RtpErrorCode];

export class RtpError extends CodedError<RtpErrorCode> {}
