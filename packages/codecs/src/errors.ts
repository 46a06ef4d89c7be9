import { CodedError } from '@camgate/bits';

export const CodecsErrorCode = {
  /** A parameter set is too short or does not have the NAL unit type it claims. */
  INVALID_PARAMETER_SET: 'CODECS_INVALID_PARAMETER_SET',
} as const;
export type CodecsErrorCode = (typeof CodecsErrorCode)[keyof typeof CodecsErrorCode];

export class CodecsError extends CodedError<CodecsErrorCode> {}
