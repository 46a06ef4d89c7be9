import { isCodedError } from '@camgate/bits';
import { GatewayErrorCode } from '../errors.js';
import { VERSION } from '../version.js';
import type { CliIo } from './io.js';
import { CAMSIM_USAGE, camsimCommand } from './camsim-command.js';
import { KEYGEN_USAGE, keygenCommand } from './keygen-command.js';
import { PROBE_USAGE, probeCommand } from './probe-command.js';
import { SERVE_USAGE, serveCommand } from './serve-command.js';
import { DB_USAGE, dbCommand } from './migrate-command.js';
import { SecretErrorCode } from '../store/secret-box.js';
import { DatabaseErrorCode } from '../store/postgres-database.js';

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the gateway (HTTP server)', usage: SERVE_USAGE, run: serveCommand },
  probe: { summary: 'connect to an RTSP camera and report its tracks', usage: PROBE_USAGE, run: probeCommand },
  camsim: { summary: 'run the simulated camera (an RTSP server)', usage: CAMSIM_USAGE, run: camsimCommand },
  keygen: {
    summary: 'print a new random API key (--secret: a CAMGATE_SECRET_KEY)',
    usage: KEYGEN_USAGE,
    run: keygenCommand,
  },
  db: {
    summary: 'set up the shared PostgreSQL database; import a JSON registry into it',
    usage: DB_USAGE,
    run: dbCommand,
  },
};

/** Errors that are a setting to fix, not a failure: exit code 2, like bad usage. */
const CONFIGURATION_ERRORS: ReadonlySet<string> = new Set([
  GatewayErrorCode.USAGE,
  GatewayErrorCode.INVALID_CONFIG,
  SecretErrorCode.INVALID_KEY,
  SecretErrorCode.KEY_REQUIRED,
  DatabaseErrorCode.INVALID_URL,
]);

export const USAGE = `Usage: camgate <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(8)} ${command.summary}`)
  .join('\n')}
  help     show help for a command

Options:
  -h, --help     show this help
  -v, --version  print the version

Run 'camgate <command> --help' for a command's options.
`;

/** Exit codes: 0 success, 1 failure, 2 bad usage or configuration. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (first === 'help') {
    const topic = rest[0];
    const command = topic === undefined ? undefined : COMMANDS[topic];
    io.stdout.write(command?.usage ?? USAGE);
    return topic === undefined || command !== undefined ? 0 : 2;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    io.stderr.write(`camgate: unknown command '${first}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (isCodedError(err)) {
      io.stderr.write(`camgate ${first}: ${err.message} [${err.code}]\n`);
      return CONFIGURATION_ERRORS.has(err.code) ? 2 : 1;
    }
    io.stderr.write(`camgate ${first}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
