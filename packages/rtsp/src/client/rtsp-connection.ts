import { readSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import type { Authenticator } from '../auth/authenticator.js';
import { RtspError, RtspErrorCode } from '../errors.js';
import { parseWwwAuthenticate } from '../headers/www-authenticate.js';
import { RtspHeaders } from '../message/headers.js';
import { MessageReader } from '../message/message-reader.js';
import {
  REASON_PHRASES,
  serializeRequest,
  serializeResponse,
  type RtspRequest,
  type RtspResponse,
} from '../message/message.js';
import type { SessionLogger } from './logger.js';
import { defaultReadScheduler, type ReadBatch, type ReadScheduler } from './read-scheduler.js';

/**
 * 64 KiB read buffer per connection, reused for every read (`onread`): what a 4 Mbit/s camera sends
 * in 130 ms, so a batched drain (readBatchMs) is one or two reads, and it holds the largest
 * interleaved frame (65535 + 4 bytes). A fresh Buffer per read ('data' events) was the largest
 * share of the receive path's garbage, and V8 counts such external memory against the old generation.
 */
export const READ_BUFFER_BYTES = 64 * 1024;

/**
 * 32 reads per in-place drain at most (2 MiB, libuv's own bound per wake-up): a camera sending faster
 * than that is read on at the next drain, and TCP holds it back meanwhile.
 */
const MAX_DRAIN_READS = 32;

/** 16 requests in flight: a session sends one at a time plus keepalives; bounds a camera that never answers. */
const MAX_PENDING_REQUESTS = 16;

export interface ConnectionOptions {
  host: string;
  /** The IP address to connect to, when the caller resolved `host` itself (and checked it). */
  address?: string;
  port: number;
  secure: boolean;
  tls?: TlsOptions;
  userAgent: string;
  requestTimeoutMs: number;
  authenticator: Authenticator;
  logger: SessionLogger;
  /**
   * Batch reads over this period when asked (deferReadsUntil); 0 (default) reads as data arrives.
   * See read-scheduler.ts.
   */
  readBatchMs?: number;
  /** The scheduler of batched reads (tests); default: the process's. */
  readScheduler?: ReadScheduler;
  /**
   * An interleaved frame arrived (RTP or RTCP over TCP). `payload` is a view on the connection's read
   * buffer (or the reader's reassembly buffer), valid only during the call.
   */
  onInterleaved(channel: number, payload: Uint8Array): void;
  /** The connection failed or closed; it is unusable afterwards. Not called after close(). */
  onFatal(error: RtspError): void;
}

interface Pending {
  method: string;
  resolve(response: RtspResponse): void;
  reject(error: RtspError): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One RTSP control connection (TCP or TLS): sends requests with `CSeq` (exactly
 * that spelling: go2rtc#7) and `User-Agent` (a camera 401s without it:
 * go2rtc#235), matches responses by CSeq (tolerating whitespace and a missing
 * CSeq), retries a 401 through the Authenticator, answers requests the server
 * sends (OPTIONS, GET_PARAMETER, SET_PARAMETER, ANNOUNCE get 200, others 501),
 * and passes interleaved frames on.
 *
 * The socket reads with `onread` into one buffer of the connection, reused for
 * every read (TLS sockets too: tls.connect passes `onread` on to the socket it
 * makes), and, with `readBatchMs`, may be drained on the shared timer of
 * read-scheduler.ts.
 */
export class RtspConnection {
  /** The session id, sent with every request once SETUP assigned it. */
  sessionId: string | undefined;
  readonly #socket: Socket;
  readonly #options: ConnectionOptions;
  readonly #reader: MessageReader;
  readonly #readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  readonly #pending = new Map<number, Pending>();
  #cseq = 0;
  #closed = false;
  #batch: ReadBatch | undefined;
  /** Settles open() while connecting. */
  #opening:
    { resolve(connection: RtspConnection): void; reject(error: RtspError): void; timer: NodeJS.Timeout } | undefined;

  private constructor(options: ConnectionOptions) {
    this.#options = options;
    // strictStart: a peer that is not RTSP (an HTTP server on the port) fails the connection at once
    // with RTSP_INVALID_MESSAGE instead of having its answer skipped as junk until the request times out.
    this.#reader = new MessageReader(
      {
        onResponse: (response) => this.#onResponse(response),
        onRequest: (request) => this.#onServerRequest(request),
        onInterleaved: (channel, payload) => {
          // A listener may close the session half-way through a read: nothing is passed on after that.
          if (!this.#closed) options.onInterleaved(channel, payload);
        },
      },
      { strictStart: true },
    );
    // The reader exists before the socket does: no byte can arrive without it.
    const onread = { buffer: this.#readBuffer, callback: (bytes: number) => this.#onRead(bytes) };
    this.#socket = options.secure
      ? tlsConnect({
          host: options.address ?? options.host,
          port: options.port,
          servername: serverName(options.host),
          ...options.tls,
          // Missing from @types/node's tls.ConnectionOptions; Node honours it when TLS makes its own socket.
          ...({ onread } as object),
        })
      : netConnect({ host: options.address ?? options.host, port: options.port, onread });
    this.#socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(socketError(err, options)));
    this.#socket.on('close', () => this.#fail(cameraClosed()));
  }

  /** Opens the connection, or rejects with RTSP_CONNECTION_FAILED / RTSP_TLS_ERROR / RTSP_TIMEOUT. */
  static open(options: ConnectionOptions): Promise<RtspConnection> {
    const connection = new RtspConnection(options);
    return new Promise((resolve, reject) => connection.#awaitConnect(resolve, reject));
  }

  /** Bytes skipped while resynchronizing the stream (junk between frames). */
  get junkBytes(): number {
    return this.#reader.junkBytes;
  }

  /**
   * Batches reads until `monotonicMs` (performance.now()): the socket is drained on the shared
   * timer every readBatchMs, and reads as data arrives again from that time (rounded down to the
   * scheduler's 4 ms grid). Does nothing without readBatchMs.
   */
  deferReadsUntil(monotonicMs: number): void {
    this.#batch?.deferUntil(monotonicMs);
  }

  #awaitConnect(resolve: (connection: RtspConnection) => void, reject: (error: RtspError) => void): void {
    const options = this.#options;
    const timer = setTimeout(() => {
      this.#fail(
        new RtspError(
          RtspErrorCode.TIMEOUT,
          `no connection to ${endpoint(options)} within ${options.requestTimeoutMs} ms`,
        ),
      );
    }, options.requestTimeoutMs);
    this.#opening = { resolve, reject, timer };
    this.#socket.once(options.secure ? 'secureConnect' : 'connect', () => {
      if (this.#opening === undefined) return;
      clearTimeout(timer);
      this.#opening = undefined;
      this.#socket.setNoDelay(true);
      const batchMs = options.readBatchMs ?? 0;
      if (batchMs > 0) {
        const direct = !options.secure && socketFd(this.#socket) >= 0;
        this.#batch = (options.readScheduler ?? defaultReadScheduler).join(this.#socket, batchMs, {
          pauseOnShortRead: !options.secure,
          capacity: READ_BUFFER_BYTES,
          ...(direct ? { drain: () => this.#drain() } : {}),
        });
      }
      resolve(this);
    });
  }

  /** One socket read is in the read buffer. Returns false to pause the socket (read batching). */
  #onRead(bytes: number): boolean {
    try {
      this.#reader.feed(this.#readBuffer, bytes);
    } catch (err) {
      this.#fail(err instanceof RtspError ? err : new RtspError(RtspErrorCode.INVALID_MESSAGE, String(err)));
      return false;
    }
    return this.#batch === undefined || this.#batch.afterRead(bytes);
  }

  /**
   * A batched drain of the paused socket, in place (read-scheduler.ts): read(2) on its descriptor
   * until a short read, as libuv would after resuming it, but without the two wake-ups a resume
   * costs. libuv is not reading (the socket is paused), so no byte can be read twice or out of order.
   */
  #drain(): void {
    // Asked afresh each time: a socket Node destroyed has closed its descriptor at once (its 'close'
    // comes later), and the number may already name another socket or file.
    const fd = this.#socket.destroyed ? -1 : socketFd(this.#socket);
    if (fd < 0) return;
    for (let reads = 0; reads < MAX_DRAIN_READS && !this.#closed; reads++) {
      let bytes: number;
      try {
        bytes = readSync(fd, this.#readBuffer, 0, READ_BUFFER_BYTES, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EINTR') continue;
        // Nothing waits (the socket is non-blocking): the drain is done.
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK')
          this.#fail(socketError(err as NodeJS.ErrnoException, this.#options));
        return;
      }
      if (bytes === 0) {
        // The camera closed the connection: libuv, not reading, would not say so.
        this.#fail(cameraClosed());
        return;
      }
      this.#onRead(bytes);
      // A full read may have left more; a frame handled may also have ended the deferral (libuv reads on).
      if (bytes < READ_BUFFER_BYTES || this.#batch?.paused !== true) return;
    }
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a request and resolves with its response (any status: the caller
   * decides). A 401 is answered with credentials and the request resent, as the
   * Authenticator allows; when it gives up, rejects with its failure.
   */
  async request(
    method: string,
    uri: string,
    headers: Record<string, string> = {},
    body?: Uint8Array,
  ): Promise<RtspResponse> {
    for (;;) {
      const response = await this.#send(method, uri, headers, body, true);
      if (response.statusCode !== 401) {
        if (response.statusCode < 400) this.#options.authenticator.onSuccess();
        return response;
      }
      const challenges = parseChallenges(response);
      if (!this.#options.authenticator.onUnauthorized(challenges)) throw this.#options.authenticator.failure();
      this.#options.logger.debug({ method, scheme: this.#options.authenticator.scheme }, 'authenticating');
    }
  }

  /** Sends a request without waiting for its answer (keepalives: some cameras never reply, gortsplib 8fdc7193). */
  notify(method: string, uri: string, headers: Record<string, string> = {}): void {
    this.#send(method, uri, headers, undefined, false).then(
      (response) => {
        // A mid-session 401 (expired nonce): prime the authenticator so the next request re-authenticates.
        if (response.statusCode === 401) this.#options.authenticator.onUnauthorized(parseChallenges(response));
      },
      () => undefined,
    );
  }

  /** Sends an interleaved frame (RTCP over TCP). */
  sendInterleaved(channel: number, payload: Uint8Array): void {
    if (this.#closed) return;
    const header = Buffer.from([0x24, channel, payload.length >>> 8, payload.length & 0xff]);
    this.#socket.write(Buffer.concat([header, payload]));
  }

  /** Closes the connection; pending requests reject with RTSP_CLOSED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batch?.leave();
    this.#rejectAll(new RtspError(RtspErrorCode.CLOSED, 'the session was closed'));
    this.#socket.destroy();
  }

  #send(
    method: string,
    uri: string,
    extra: Record<string, string>,
    body: Uint8Array | undefined,
    awaited: boolean,
  ): Promise<RtspResponse> {
    if (this.#closed) return Promise.reject(new RtspError(RtspErrorCode.CLOSED, 'the connection is closed'));
    if (this.#pending.size >= MAX_PENDING_REQUESTS) {
      // Keepalives the camera never answered pile up: forget the oldest.
      const [oldest] = this.#pending.keys();
      if (oldest !== undefined) this.#settle(oldest)?.reject(new RtspError(RtspErrorCode.TIMEOUT, 'no answer'));
    }
    const cseq = ++this.#cseq;
    const headers = new RtspHeaders();
    headers.set('CSeq', String(cseq));
    headers.set('User-Agent', this.#options.userAgent);
    const authorization = this.#options.authenticator.authorization(method, uri);
    if (authorization !== undefined) headers.set('Authorization', authorization);
    if (this.sessionId !== undefined) headers.set('Session', this.sessionId);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    const bytes = serializeRequest({ method, uri, headers, ...(body === undefined ? {} : { body }) });

    return new Promise((resolve, reject) => {
      const pending: Pending = { method, resolve, reject, timer: undefined };
      if (awaited) {
        pending.timer = setTimeout(() => {
          this.#settle(cseq);
          reject(
            new RtspError(RtspErrorCode.TIMEOUT, `no answer to ${method} within ${this.#options.requestTimeoutMs} ms`),
          );
        }, this.#options.requestTimeoutMs);
      }
      this.#pending.set(cseq, pending);
      this.#socket.write(bytes);
    });
  }

  #settle(cseq: number): Pending | undefined {
    const pending = this.#pending.get(cseq);
    if (pending === undefined) return undefined;
    this.#pending.delete(cseq);
    clearTimeout(pending.timer);
    return pending;
  }

  #onResponse(response: RtspResponse): void {
    const raw = response.headers.get('CSeq');
    // Tolerant matching: trailing whitespace (Longse), or no CSeq at all (gortsplib 7632ae56).
    let cseq = raw === undefined ? Number.NaN : Number.parseInt(raw.trim(), 10);
    if (Number.isNaN(cseq)) {
      const awaited = [...this.#pending.entries()].filter(([, p]) => p.timer !== undefined);
      if (awaited.length !== 1) return;
      cseq = (awaited[0] as [number, Pending])[0];
    }
    // An unknown CSeq (Tapo C220 answers with the previous one: retina#136) is ignored.
    this.#settle(cseq)?.resolve(response);
  }

  #onServerRequest(request: RtspRequest): void {
    // Servers may send OPTIONS (keepalive probes), GET/SET_PARAMETER and ANNOUNCE mid-stream: never die on them.
    const known = ['OPTIONS', 'GET_PARAMETER', 'SET_PARAMETER', 'ANNOUNCE'].includes(request.method);
    const status = known ? 200 : 501;
    const headers = new RtspHeaders();
    const cseq = request.headers.get('CSeq');
    if (cseq !== undefined) headers.set('CSeq', cseq.trim());
    if (this.sessionId !== undefined) headers.set('Session', this.sessionId);
    headers.set('User-Agent', this.#options.userAgent);
    if (!this.#closed)
      this.#socket.write(serializeResponse({ statusCode: status, reason: REASON_PHRASES[status] ?? '', headers }));
    this.#options.logger.debug({ method: request.method, status }, 'answered a request from the camera');
  }

  #rejectAll(error: RtspError): void {
    for (const cseq of [...this.#pending.keys()]) this.#settle(cseq)?.reject(error);
  }

  #fail(error: RtspError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batch?.leave();
    this.#rejectAll(error);
    this.#socket.destroy();
    const opening = this.#opening;
    if (opening !== undefined) {
      // Before 'connect': open() rejects; nobody holds the connection yet.
      this.#opening = undefined;
      clearTimeout(opening.timer);
      opening.reject(error);
      return;
    }
    this.#options.onFatal(error);
  }
}

function parseChallenges(response: RtspResponse) {
  try {
    return parseWwwAuthenticate(response.headers.getAll('WWW-Authenticate'));
  } catch {
    return [];
  }
}

function endpoint(options: { host: string; port: number }): string {
  return options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
}

/** The camera ended the connection (FIN), noticed by libuv or by a drain in place. */
function cameraClosed(): RtspError {
  return new RtspError(RtspErrorCode.CONNECTION_CLOSED, 'the camera closed the connection');
}

/**
 * The socket's file descriptor, or -1 where it has none to read directly (Windows, where libuv
 * sockets are not descriptors; a socket not yet or no longer open). `_handle.fd` is the TCP wrap's
 * descriptor on POSIX systems.
 */
function socketFd(socket: Socket): number {
  if (process.platform === 'win32') return -1;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

/** SNI only for names, never for IP literals (RFC 6066 §3). */
function serverName(host: string): string | undefined {
  return /^[\d.]+$/.test(host) || host.includes(':') ? undefined : host;
}

/** Turns a socket error into words an operator understands. */
function socketError(err: NodeJS.ErrnoException, options: { host: string; port: number; secure: boolean }): RtspError {
  const where = endpoint(options);
  const code = err.code ?? '';
  const connectFailures: Record<string, string> = {
    ECONNREFUSED: `connection refused by ${where} (nothing listens on that port)`,
    EHOSTUNREACH: `host ${where} is unreachable`,
    ENETUNREACH: `network of ${where} is unreachable`,
    ETIMEDOUT: `connection to ${where} timed out`,
    ENOTFOUND: `host name of ${where} does not resolve`,
    EAI_AGAIN: `host name of ${where} could not be resolved (DNS)`,
  };
  const known = connectFailures[code];
  if (known !== undefined) return new RtspError(RtspErrorCode.CONNECTION_FAILED, known, { cause: err });
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new RtspError(RtspErrorCode.CONNECTION_CLOSED, `the camera at ${where} reset the connection`, {
      cause: err,
    });
  }
  if (
    options.secure &&
    (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate|SSL|TLS/i.test(err.message))
  ) {
    return new RtspError(RtspErrorCode.TLS_ERROR, `TLS with ${where} failed: ${err.message}`, { cause: err });
  }
  return new RtspError(RtspErrorCode.CONNECTION_FAILED, `connection to ${where} failed (${code || err.message})`, {
    cause: err,
  });
}
