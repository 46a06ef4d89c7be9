import type { Server, Socket } from 'node:net';

/** A test server listening on 127.0.0.1. */
export interface LoopbackListener {
  port: number;
  /** Ends the connections the server accepted, then closes it. */
  close: () => Promise<void>;
}

/**
 * Listens `server` (net or http) on a free port of 127.0.0.1, tracking its connections so that
 * `close` does not wait for peers that keep theirs open.
 */
export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
