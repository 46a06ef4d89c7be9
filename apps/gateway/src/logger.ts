import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/**
 * The gateway's structured JSON logger. Authorization headers and anything
 * named like a password are redacted at the logger, as a second line of defence
 * behind never logging credentials in the first place.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', 'password'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
