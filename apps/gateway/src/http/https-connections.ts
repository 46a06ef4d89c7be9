import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';

/**
 * Connection bookkeeping for the HTTPS server (Node's HTTP/2 server with HTTP/1.1 allowed), which
 * lacks what Node's HTTP/1.1 server has for a graceful close: on close, idle connections end at
 * once and busy ones after their last answer (HTTP/2 sessions by GOAWAY, HTTP/1.1 sockets when
 * their request is answered), and a forced close can end every socket, handshakes included.
 */
export class HttpsConnections {
  /** Every TCP connection, from accept: one still in its TLS handshake too. */
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<Http2Session>();
  /** HTTP/1.1 connections and their requests in flight. */
  readonly #http1 = new Map<Socket, number>();
  #closing = false;

  constructor(app: FastifyInstance) {
    const server = app.server;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#closing) session.close();
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') return;
      if (this.#closing) {
        socket.destroy();
        return;
      }
      this.#http1.set(socket, 0);
      socket.once('close', () => this.#http1.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (request.httpVersionMajor !== 1) return;
      const socket = request.socket;
      const before = this.#http1.get(socket);
      if (before === undefined) return;
      this.#http1.set(socket, before + 1);
      response.once('close', () => {
        const current = this.#http1.get(socket);
        if (current === undefined) return;
        const inFlight = current - 1;
        this.#http1.set(socket, inFlight);
        if (this.#closing && inFlight === 0) socket.end();
      });
    });
    app.addHook('preClose', (done) => {
      this.#closing = true;
      for (const session of this.#sessions) session.close();
      for (const [socket, inFlight] of this.#http1) if (inFlight === 0) socket.destroy();
      done();
    });
  }

  /** Ends every connection now, requests in flight and handshakes too. */
  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }
}
