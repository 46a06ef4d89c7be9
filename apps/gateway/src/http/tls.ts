import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { errors, GatewayError, GatewayErrorCode } from '../errors.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** 1 MiB: a certificate chain or key is a few KB; anything larger is not one. */
const MAX_PEM_BYTES = 1024 * 1024;

/**
 * Reads the PEM certificate chain and private key, and checks that TLS can use them together
 * (OpenSSL's verdict, in the error: never the key's bytes). Errors name the setting.
 */
export function loadTlsFiles(certPath: string, keyPath: string): TlsFiles {
  const read = (field: 'tlsCert' | 'tlsKey', path: string): Buffer => {
    try {
      if (statSync(path).size > MAX_PEM_BYTES) throw errors.invalidConfig(field, `${path} is larger than 1 MiB`);
      return readFileSync(path);
    } catch (err) {
      if (err instanceof GatewayError && err.code === GatewayErrorCode.INVALID_CONFIG) throw err;
      throw errors.invalidConfig(field, `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const cert = read('tlsCert', certPath);
  const key = read('tlsKey', keyPath);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const reason = (err as { reason?: string; message?: string }).reason ?? (err as Error).message;
    throw errors.invalidConfig(
      'tlsCert',
      `${certPath} and ${keyPath} are not a PEM certificate and its key (${reason})`,
    );
  }
  return { cert, key };
}
