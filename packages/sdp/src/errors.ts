import { CodedError } from '@camgate/bits';

export const SdpErrorCode = {
  /**
   * The text has no SDP structure at all (no `v=` and no `m=` line): binary junk, an HTML
   * error page, an empty body. Anything with structure parses, broken parts and all.
   */
  INVALID: 'SDP_INVALID',
  /** The text is larger than MAX_SDP_BYTES (B13); it is refused before it is split into lines. */
  TOO_LARGE: 'SDP_TOO_LARGE',
} as const;
export type SdpErrorCode = (typeof SdpErrorCode)[keyof typeof SdpErrorCode];

export class SdpError extends CodedError<SdpErrorCode> {}
