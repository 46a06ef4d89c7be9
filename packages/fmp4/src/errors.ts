import { CodedError } from '@camgate/bits';

export const Fmp4ErrorCode = {
  /** A box did not fit the buffer sized for it: a size computation is wrong (a bug, never input). */
  BUFFER_OVERFLOW: 'FMP4_BUFFER_OVERFLOW',
  /** A field value does not fit its box field (e.g. a four-character code of the wrong length). */
  INVALID_FIELD: 'FMP4_INVALID_FIELD',
  /**
   * A track's configuration cannot make a sample entry: an unparsable parameter set or
   * AudioSpecificConfig, a channel count the box cannot carry, a bad track id or timescale.
   */
  INVALID_CONFIG: 'FMP4_INVALID_CONFIG',
  /** A fragment's tracks or samples cannot be written: bad timing values, duplicate track ids. */
  INVALID_FRAGMENT: 'FMP4_INVALID_FRAGMENT',
  /** A fragment would be larger than MAX_FRAGMENT_BYTES. */
  FRAGMENT_TOO_LARGE: 'FMP4_FRAGMENT_TOO_LARGE',
  /** A fragment or init segment read back (a recording on disk) is damaged or not as CMAF writers make them. */
  UNREADABLE_FRAGMENT: 'FMP4_UNREADABLE_FRAGMENT',
} as const;
export type Fmp4ErrorCode = (typeof Fmp4ErrorCode)[keyof typeof Fmp4ErrorCode];

export class Fmp4Error extends CodedError<Fmp4ErrorCode> {}
