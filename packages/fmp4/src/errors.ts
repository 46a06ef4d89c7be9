import { CodedError } from '@camgate/bits';

export const Fmp4ErrorCode = {
  /** A box did not fit the buffer sized for it: a size computation is wrong (a bug, never input). */
  BUFFER_OVERFLOW: 'FMP4_BUFFER_OVERFLOW',
  /** A field value does not fit its box field (e.g. a four-character code of the wrong length). */
  INVALID_FIELD: 'FMP4_INVALID_FIELD',
} as const;
export type Fmp4ErrorCode = (typeof Fmp4ErrorCode)[keyof typeof Fmp4ErrorCode];

export class Fmp4Error extends CodedError<Fmp4ErrorCode> {}
