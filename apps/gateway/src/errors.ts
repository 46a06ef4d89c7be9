import { CodedError } from '@camgate/bits';

export const GatewayErrorCode = {
  /** A configuration value (flag, environment variable or config file) is invalid. */
  INVALID_CONFIG: 'CAMGATE_ERR_INVALID_CONFIG',
  /** The command line cannot be understood. */
  USAGE: 'CAMGATE_ERR_USAGE',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

export class GatewayError extends CodedError<GatewayErrorCode> {}

/** Coded error factories, fastify style: one place lists every error the gateway raises. */
export const errors = {
  invalidConfig: (field: string, problem: string) =>
    new GatewayError(GatewayErrorCode.INVALID_CONFIG, `invalid configuration: ${field} ${problem}`),
  usage: (message: string) => new GatewayError(GatewayErrorCode.USAGE, message),
};
