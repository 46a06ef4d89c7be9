import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1. Prefer letting a server
 * bind port 0 itself; use this only for tools that need the port up front.
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the bound port'));
      });
    });
  });
}
