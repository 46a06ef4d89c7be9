import { CodedError } from '@camgate/bits';

export const CamsimErrorCode = {
  /** The simulated camera was configured with impossible values. */
  INVALID_CONFIG: 'CAMSIM_INVALID_CONFIG',
} as const;
export type CamsimErrorCode = (typeof CamsimErrorCode)[keyof typeof CamsimErrorCode];

export class CamsimError extends CodedError<CamsimErrorCode> {}
