import { randomBytes } from 'node:crypto';
import { errors } from '../errors.js';
import { generateSecretKey } from '../store/secret-box.js';
import type { CliIo } from './io.js';

export const KEYGEN_USAGE = `Usage: camgate keygen [--secret]

Prints a new random API key (32 random bytes, base64url: 43 characters) for CAMGATE_API_KEY:

  export CAMGATE_API_KEY="$(camgate keygen)"

With --secret, prints a new secret key instead (32 random bytes, base64url) for CAMGATE_SECRET_KEY,
which encrypts camera passwords and the gateway's signing key at rest (needed with a database;
every node of one database needs the same one):

  export CAMGATE_SECRET_KEY="$(camgate keygen --secret)"

A key is printed once and stored nowhere: keep it in your secret store or .env file. Losing the
secret key loses the camera passwords it encrypted.
`;

/** A fresh API key: 256 bits from the system's CSPRNG, safe in headers, URLs and shells. */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

export function keygenCommand(args: string[], io: CliIo): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout.write(KEYGEN_USAGE);
    return Promise.resolve(0);
  }
  if (args.length === 1 && args[0] === '--secret') {
    io.stdout.write(`${generateSecretKey()}\n`);
    return Promise.resolve(0);
  }
  if (args.length > 0) throw errors.usage(`keygen takes no arguments but --secret\n\n${KEYGEN_USAGE}`);
  io.stdout.write(`${generateApiKey()}\n`);
  return Promise.resolve(0);
}
