export { runCli, USAGE } from './cli/run-cli.js';
export type { CliIo } from './cli/io.js';
export { DEFAULT_CONFIG, configFromEnv, configFromFile, resolveConfig, type GatewayConfig } from './config.js';
export { GatewayError, GatewayErrorCode } from './errors.js';
export { buildServer, type ServerOptions } from './http/server.js';
export { createLogger } from './logger.js';
export { VERSION } from './version.js';
