import { readFileSync, statSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
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
  // Each file alone first, so that the error names the one at fault.
  try {
    createPrivateKey(key);
  } catch (err) {
    throw errors.invalidConfig('tlsKey', `${keyPath} is not a PEM private key (${reasonOf(err)})`);
  }
  try {
    new X509Certificate(cert);
  } catch (err) {
    throw errors.invalidConfig('tlsCert', `${certPath} is not a PEM certificate (${reasonOf(err)})`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw errors.invalidConfig(
      'tlsKey',
      `${keyPath} is not the key of the certificate in ${certPath} (${reasonOf(err)})`,
    );
  }
  return { cert, key };
}

/** OpenSSL's reason for refusing a file: never its content. */
function reasonOf(err: unknown): string {
  return (err as { reason?: string }).reason ?? (err as Error).message;
}
