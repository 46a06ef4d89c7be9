import { CodedError } from './coded-error.js';

export const BitsErrorCode = {
  /** A read went past the end of the data: the bitstream is truncated or malformed. */
  END_OF_DATA: 'BITS_END_OF_DATA',
  /** An exp-Golomb code had more leading zeros than a 32-bit value allows. */
  INVALID_EXP_GOLOMB: 'BITS_INVALID_EXP_GOLOMB',
  /** A caller asked for an impossible bit count or value (programming error). */
  INVALID_ARGUMENT: 'BITS_INVALID_ARGUMENT',
  /** A writer reached its configured size bound. */
  CAPACITY_EXCEEDED: 'BITS_CAPACITY_EXCEEDED',
} as const;
export type BitsErrorCode = (typeof BitsErrorCode)[keyof typeof BitsErrorCode];

export class BitsError extends CodedError<BitsErrorCode> {}
