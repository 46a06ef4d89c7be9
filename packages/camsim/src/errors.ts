import { CodedError } from '@camgate/bits';

export const CamsimErrorCode = {
  /** The simulated camera was configured with impossible values. */
  INVALID_CONFIG: 'CAMSIM_INVALID_CONFIG',
  /** A bundled clip file is missing or corrupt. */
  INVALID_CLIP: 'CAMSIM_INVALID_CLIP',
} as const;
export type CamsimErrorCode = (typeof CamsimErrorCode)[keyof typeof CamsimErrorCode];

export class CamsimError extends CodedError<CamsimErrorCode> {}
