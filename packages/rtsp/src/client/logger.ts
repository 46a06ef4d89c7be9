/** The logging calls the client makes (pino-compatible). Fields never hold credentials. */
export interface SessionLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: SessionLogger = { debug: ignore, info: ignore, warn: ignore };
