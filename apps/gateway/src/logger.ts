import { pino, type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { LogLevel } from './config.js';
import { errors } from './errors.js';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Where the logs go when no destination is given: the process's stdout, or a stand-in (tests). */
export interface LogOutput {
  /** Reads CAMGATE_LOG_FORMAT (json or pretty) and NO_COLOR. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: process.stdout (JSON then goes through pino's own synchronous writer on fd 1). */
  stdout?: { isTTY?: boolean; write(text: string): unknown };
}

/**
 * The gateway's logger. Authorization headers, cookies and anything named like a password are
 * redacted at the logger, as a second line of defence behind never logging credentials in the
 * first place; the pretty format is made from the redacted line, so it holds for both formats.
 *
 * An explicit `destination` gets JSON. Otherwise CAMGATE_LOG_FORMAT decides, and without it a
 * terminal gets pretty lines for a person and anything else (a pipe, a file, journald, a
 * container runtime) gets one JSON object per line for a machine.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream, output: LogOutput = {}): Logger {
  const options = {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', 'password'],
      censor: '[redacted]',
    },
  };
  if (destination !== undefined) return pino(options, destination);
  const env = output.env ?? process.env;
  const stdout = output.stdout ?? process.stdout;
  const terminal = stdout.isTTY === true;
  if (logFormat(env, terminal) === 'json') return pino(options, output.stdout);
  // Colours only for a terminal, unless NO_COLOR asks otherwise (no-color.org).
  return pino(options, prettyDestination(stdout, { colorize: terminal && (env['NO_COLOR'] ?? '') === '' }));
}

/** CAMGATE_LOG_FORMAT when set, else pretty for a terminal and JSON for anything else. */
export function logFormat(env: NodeJS.ProcessEnv, terminal: boolean): LogFormat {
  const value = env['CAMGATE_LOG_FORMAT'] ?? '';
  if (value === '') return terminal ? 'pretty' : 'json';
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw errors.invalidConfig('CAMGATE_LOG_FORMAT', `must be ${LOG_FORMATS.join(' or ')}, not "${value}"`);
}

/**
 * Pretty log lines, one per event: `[14:03:07.412] INFO: [front-door] playing {"transport":"tcp"}`,
 * local time, the camera first. pino-pretty formats each line as pino writes it and the text is
 * written at once: no worker thread, no stream buffering, so no line is lost at exit.
 */
export function prettyDestination(
  out: { write(text: string): unknown },
  options: { colorize: boolean },
): DestinationStream {
  const prettify = prettyFactory({
    colorize: options.colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    // The camera is in the message; pid and hostname say nothing on one machine.
    ignore: 'pid,hostname,camera',
    // Objects on the event's own line; errors keep their stack on the lines below.
    singleLine: true,
    messageFormat: (log, messageKey, _levelLabel, { colors }) => {
      const { camera } = log;
      const label = camera === undefined ? '' : typeof camera === 'string' ? camera : JSON.stringify(camera);
      const message = log[messageKey];
      return `${label === '' ? '' : `${colors.cyan(`[${printable(label)}]`)} `}${printable(typeof message === 'string' ? message : '')}`;
    },
  });
  return { write: (line: string) => out.write(prettify(line)) };
}

/**
 * Control characters (a camera's error text, say) shown as `\x1b`: written raw, an escape sequence
 * would drive the operator's terminal. pino-pretty strips them from what it formats itself (13.2),
 * but not from what messageFormat returns; JSON escapes them.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
