import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as it came over the socket. Tests only. */
export interface RawResponse {
  status: number;
  /** Header names lowercase; a repeated header's values joined with `, `. */
  headers: Record<string, string>;
  body: string;
}

/**
 * A TCP connection to `port` on 127.0.0.1 that sends raw bytes and reads HTTP/1.1 responses off
 * it (bodies by Content-Length, or up to the close). Tests only: close it with `destroy()`.
 */
export class RawConnection {
  readonly socket: Socket;
  #received = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake?.();
    });
    // The server may close while a large request is still being written: the answer is read anyway.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** True once the server closed the connection. */
  get closed(): boolean {
    return this.#ended;
  }

  /** The next response; rejects if the connection closes before one is complete. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== undefined) return parsed;
      if (this.#ended)
        throw new Error(`connection closed; received ${JSON.stringify(this.#received.toString('latin1'))}`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  /** Waits for the server to close the connection. */
  async whenClosed(): Promise<void> {
    while (!this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  #parse(): RawResponse | undefined {
    const end = this.#received.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = this.#received.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!Number.isInteger(status)) throw new Error(`not an HTTP/1.1 response: ${statusLine}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    if (headers['transfer-encoding'] !== undefined) throw new Error('chunked responses are not read here');
    const start = end + 4;
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    if (length === undefined && !this.#ended) return undefined;
    const stop = length === undefined ? this.#received.length : start + length;
    if (this.#received.length < stop) return undefined;
    const body = this.#received.subarray(start, stop).toString('utf8');
    this.#received = this.#received.subarray(stop);
    return { status, headers, body };
  }
}
