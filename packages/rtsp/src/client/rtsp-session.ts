import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { isBackchannel, parseSdp, resolveTrackFormat, type SessionDescription } from '@camgate/sdp';
import { buildReceiverReport, writeRtpHeader, type SessionClock } from '@camgate/rtp';
import { Authenticator, type Credentials } from '../auth/authenticator.js';
import { RtspError, RtspErrorCode } from '../errors.js';
import { parsePublicHeader } from '../headers/public.js';
import { parseSessionHeader } from '../headers/session.js';
import { formatTransportHeader, parseTransportHeader, type TransportSpec } from '../headers/transport.js';
import type { RtspResponse } from '../message/message.js';
import { baseUrlFor, resolveControlUrl } from '../url/control-url.js';
import { parseRtspUrl, redactUrl, type RtspUrl } from '../url/rtsp-url.js';
import type { Frame } from './frame.js';
import { InterleavedDemux } from './interleaved-demux.js';
import { silentLogger, type SessionLogger } from './logger.js';
import { RtspConnection } from './rtsp-connection.js';
import { sessionTicker, type TickListener } from './session-ticker.js';
import type { SessionStats } from './stats.js';
import { describeTrack, type SupportedFormat, type Track, type UnsupportedTrack } from './track.js';
import { TrackReceiver } from './track-receiver.js';
import { UdpPair } from './udp-pair.js';

export type TransportMode = 'auto' | 'tcp' | 'udp';

export interface RtspSessionOptions {
  /**
   * rtsp:// or rtsps:// URL; credentials in the userinfo (percent-encoded), or in the path or query
   * where the camera takes them (Xiongmai `/user=admin&password=...`): those are sent as given.
   */
  url: string;
  /** `auto` (default): TCP, then UDP if the camera refuses TCP; `tcp` or `udp` to force one. */
  transport?: TransportMode;
  /** Receive audio tracks (default true). */
  audio?: boolean;
  userAgent?: string;
  /** Time to wait for each response (default 10 s). */
  requestTimeoutMs?: number;
  /** No RTP or RTCP for this long means the session is dead, even if the camera answers keepalives (default 10 s). */
  readTimeoutMs?: number;
  /** With `auto`, UDP that delivers nothing this long after PLAY is abandoned for TCP (default 3 s). */
  udpFallbackMs?: number;
  /** RTCP receiver reports over UDP every this many ms (default 5 s; due on the sessions' 500 ms tick). */
  receiverReportIntervalMs?: number;
  /**
   * Read batching for TCP interleaved media (not UDP): with a period > 0, the socket may be drained on
   * one timer shared by all sessions, every this many ms, instead of on every readiness event, while
   * the owner asks for it with {@link RtspSession.deferReadsUntil}. Default 0: read as data arrives.
   */
  readBatchMs?: number;
  /** TLS options for rtsps:// (certificate checks, CA, ...). */
  tls?: TlsOptions;
  /**
   * Called before every connection (first and after redirects) with the host and port: throw to
   * refuse (SSRF policy; the session fails with RTSP_ADDRESS_REFUSED), or return the IP address
   * to connect to, so that the address checked is the address used (no DNS rebinding in between).
   */
  beforeConnect?: (target: {
    host: string;
    port: number;
    secure: boolean;
    // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a policy that only checks returns nothing
  }) => void | { address: string } | Promise<void | { address: string }>;
  logger?: SessionLogger;
}

export interface RtspSessionEvents {
  /**
   * A frame. Its `data` is valid only while the 'frame' listeners run: the receive path reuses that
   * memory afterwards (the socket's read buffer for audio, the access-unit slab for video). A listener
   * that keeps bytes copies them (see {@link Frame}).
   */
  frame: [frame: Frame];
  /** A track's codec configuration changed in-band: a new init segment is needed before the next frame. */
  'track-change': [track: Track];
  /** The session switched transport (auto: UDP delivered nothing, now TCP). */
  transport: [transport: 'tcp' | 'udp'];
  /** The session died; `close` follows. Only emitted when someone listens. */
  error: [error: RtspError];
  close: [];
}

type State = 'idle' | 'connecting' | 'playing' | 'closed';

/** 5 redirects at most (FFmpeg CVE-2026-107696: endless redirects). */
const MAX_REDIRECTS = 5;
/** RTCP receiver reports every 5 s: some cameras drop UDP sessions without them (Arlo, mediamtx#1403). */
const RECEIVER_REPORT_INTERVAL_MS = 5_000;
/** Default session timeout when the camera announces none (RFC 2326 §12.37). */
const DEFAULT_SESSION_TIMEOUT_S = 60;
/** 1024 frames buffered for a slow frames() reader before the oldest are dropped. */
const DEFAULT_ITERATOR_BUFFER = 1024;

interface Selected {
  track: Track;
  format: SupportedFormat;
  control: string;
}

interface Leg {
  receiver: TrackReceiver;
  control: string;
  /** TCP interleaved channels [rtp, rtcp]. */
  channels?: [number, number];
  udp?: UdpPair;
}

/**
 * A camera-grade RTSP/1.0 pull session (RFC 2326): OPTIONS, DESCRIBE (with
 * redirects and authentication), SETUP of one video and one audio track over
 * TCP interleaved or UDP, PLAY, keepalive, and frames out.
 *
 *   const session = new RtspSession({ url });
 *   session.on('frame', (frame) => ...);
 *   await session.connect();
 *   ...
 *   await session.close();
 *
 * Every error is an RtspError with a stable code. Userinfo credentials never leave
 * the Authorization header; credentials in the path or query go into request lines,
 * as the camera needs them there. `session.url`, errors and logs never carry either
 * (redactUrl).
 */
export class RtspSession extends EventEmitter<RtspSessionEvents> {
  /** The camera URL with its password and secret parameters shown as *** ({@link redactUrl}). */
  readonly url: string;
  tracks: Track[] = [];
  unsupportedTracks: UnsupportedTrack[] = [];
  transport: 'tcp' | 'udp' | undefined;
  readonly #options: Required<Omit<RtspSessionOptions, 'tls' | 'beforeConnect' | 'logger'>> &
    Pick<RtspSessionOptions, 'tls' | 'beforeConnect'>;
  readonly #logger: SessionLogger;
  #state: State = 'idle';
  #connection: RtspConnection | undefined;
  #legs: Leg[] = [];
  #selected: Selected[] = [];
  /** TCP interleaved channels -> track receivers: the per-packet path over TCP. */
  readonly #demux = new InterleavedDemux();
  /** The session's periodic work, on the process's shared ticker while playing. */
  readonly #tick: TickListener = { tick: (now) => this.#onTick(now) };
  #keepaliveMs = 0;
  #nextKeepaliveAt = 0;
  #nextReportAt = 0;
  /** Monotonic ms of the last UDP datagram (TCP: the demux's). */
  #lastDataAt = 0;
  #playedAt = 0;
  #clock: SessionClock = { startMs: 0, wallStartMs: 0 };
  #baseUrl = '';
  #keepaliveMethod = 'OPTIONS';
  #sessionTimeoutS = DEFAULT_SESSION_TIMEOUT_S;
  #target: RtspUrl | undefined;
  readonly #errors: Record<string, number> = {};
  #framesDroppedByReader = 0;
  #closeEmitted = false;
  /** Junk counted on connections already closed (redirects, transport switch). */
  #junkBytes = 0;
  readonly #ssrc = randomBytes(4).readUInt32BE(0);
  readonly #cname = `camgate@${hostname()}`;

  constructor(options: RtspSessionOptions) {
    super();
    this.url = redactUrl(options.url);
    this.#logger = options.logger ?? silentLogger;
    this.#options = {
      url: options.url,
      transport: options.transport ?? 'auto',
      audio: options.audio ?? true,
      userAgent: options.userAgent ?? 'camgate',
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      readTimeoutMs: options.readTimeoutMs ?? 10_000,
      udpFallbackMs: options.udpFallbackMs ?? 3_000,
      receiverReportIntervalMs: options.receiverReportIntervalMs ?? RECEIVER_REPORT_INTERVAL_MS,
      readBatchMs: Math.max(0, options.readBatchMs ?? 0),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.beforeConnect === undefined ? {} : { beforeConnect: options.beforeConnect }),
    };
  }

  get state(): State {
    return this.#state;
  }

  get stats(): SessionStats {
    const tracks = this.#legs.map((leg) => leg.receiver.stats);
    const errors: Record<string, number> = { ...this.#errors };
    if (this.#demux.unassigned > 0) errors['RTSP_UNASSIGNED_CHANNEL'] = this.#demux.unassigned;
    for (const track of tracks)
      for (const [code, n] of Object.entries(track.errors)) errors[code] = (errors[code] ?? 0) + n;
    const sum = (key: 'bytes' | 'packets' | 'lost' | 'frames' | 'dropped') => tracks.reduce((n, t) => n + t[key], 0);
    return {
      bytes: sum('bytes'),
      packets: sum('packets'),
      lost: sum('lost'),
      frames: sum('frames'),
      dropped: sum('dropped') + this.#framesDroppedByReader,
      errors,
      tracks: tracks.map((t) => ({ ...t, errors: { ...t.errors } })),
      junkBytes: this.#junkBytes + (this.#connection?.junkBytes ?? 0),
    };
  }

  /** Connects and starts playing. Resolves once PLAY succeeded; frames may already be flowing. */
  async connect(): Promise<void> {
    if (this.#state !== 'idle') throw new RtspError(RtspErrorCode.CLOSED, 'connect() can be called once');
    this.#state = 'connecting';
    try {
      this.#target = parseRtspUrl(this.#options.url);
      const mode = this.#options.transport;
      await this.#establish(mode === 'udp' ? 'udp' : 'tcp', mode === 'auto');
    } catch (err) {
      const error = asRtspError(err);
      this.#shutdown();
      throw error;
    }
    if (this.#isClosed()) throw new RtspError(RtspErrorCode.CLOSED, 'the session was closed while connecting');
    this.#state = 'playing';
    this.#startTimers();
  }

  /**
   * Frames as an async iterator, buffered up to `maxBuffered` (the oldest are dropped beyond). Ends at
   * close; throws the session's error. Each frame's data is a copy of its own (the iterator hands it
   * over after the 'frame' listeners returned): convenient, not the allocation-free path.
   */
  frames(options: { maxBuffered?: number } = {}): AsyncIterableIterator<Frame> {
    const max = options.maxBuffered ?? DEFAULT_ITERATOR_BUFFER;
    const queue: Frame[] = [];
    let waiting: { resolve(r: IteratorResult<Frame>): void; reject(e: unknown): void } | undefined;
    let failure: RtspError | undefined;
    let done = this.#state === 'closed';
    const onFrame = (received: Frame) => {
      const frame: Frame = { ...received, data: new Uint8Array(received.data) };
      if (waiting !== undefined) {
        const w = waiting;
        waiting = undefined;
        w.resolve({ value: frame, done: false });
        return;
      }
      queue.push(frame);
      if (queue.length > max) {
        queue.shift();
        this.#framesDroppedByReader++;
      }
    };
    const finish = (error?: RtspError) => {
      failure ??= error;
      done = true;
      this.off('frame', onFrame);
      this.off('close', onClose);
      this.off('error', onError);
      if (waiting !== undefined) {
        const w = waiting;
        waiting = undefined;
        if (failure !== undefined) w.reject(failure);
        else w.resolve({ value: undefined, done: true });
      }
    };
    const onClose = () => finish();
    const onError = (error: RtspError) => finish(error);
    this.on('frame', onFrame);
    this.on('close', onClose);
    this.on('error', onError);
    const iterator: AsyncIterableIterator<Frame> = {
      next: () => {
        const frame = queue.shift();
        if (frame !== undefined) return Promise.resolve({ value: frame, done: false });
        if (done)
          return failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(failure);
        return new Promise((resolve, reject) => (waiting = { resolve, reject }));
      },
      return: () => {
        finish();
        queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Read batching (with `readBatchMs`, over TCP; otherwise nothing): until `monotonicMs`
   * (performance.now() clock) the socket is drained on the shared timer every readBatchMs; from that
   * time on (rounded down to a 4 ms grid that lets sessions share a wake-up), it reads as data arrives
   * again, until the next call. The gateway
   * calls it after publishing a part, with the time the frame closing the next part is due, minus a
   * margin: that frame is read at once, the ones in between in batches.
   */
  deferReadsUntil(monotonicMs: number): void {
    if (this.transport === 'tcp' && this.#options.readBatchMs > 0) this.#connection?.deferReadsUntil(monotonicMs);
  }

  /** Tears the session down (TEARDOWN, sockets, timers). Idempotent; resolves when everything is released. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const connection = this.#connection;
    const sessionId = connection?.sessionId;
    const playing = this.#state === 'playing';
    this.#state = 'closed';
    this.#clearTimers();
    if (playing && connection !== undefined && !connection.closed && sessionId !== undefined) {
      connection.deferReadsUntil(0); // the answer to TEARDOWN is read at once
      // Polite TEARDOWN, bounded: a camera that does not answer is closed anyway.
      let timer: NodeJS.Timeout | undefined;
      const teardown = connection.request('TEARDOWN', this.#baseUrl).catch(() => undefined);
      const deadline = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, Math.min(1_000, this.#options.requestTimeoutMs))),
      );
      await Promise.race([teardown, deadline]);
      clearTimeout(timer);
    }
    this.#shutdown();
  }

  // ---------------------------------------------------------------- connection setup

  async #establish(mode: 'tcp' | 'udp', auto: boolean): Promise<void> {
    let target = this.#target as RtspUrl;
    let connection: RtspConnection;
    let describe: RtspResponse;
    let publicMethods = new Set<string>();
    for (let redirects = 0; ; redirects++) {
      connection = await this.#open(target);
      const options = await connection.request('OPTIONS', target.url.href);
      // OPTIONS is optional for us: 404/501 (and other errors) are tolerated.
      if (options.statusCode < 300) publicMethods = parsePublicHeader(options.headers.get('Public') ?? '');
      describe = await connection.request('DESCRIBE', target.url.href, { Accept: 'application/sdp' });
      const location = describe.headers.get('Location');
      if ([301, 302, 303, 305, 307].includes(describe.statusCode) && location !== undefined) {
        if (redirects + 1 > MAX_REDIRECTS) {
          throw new RtspError(RtspErrorCode.TOO_MANY_REDIRECTS, `more than ${MAX_REDIRECTS} redirects`);
        }
        connection.close();
        target = redirectTarget(target, location);
        this.#logger.info({ to: redactUrl(target.url) }, 'following redirect');
        continue;
      }
      break;
    }
    this.#target = target;
    if (describe.statusCode >= 300) throw statusError('DESCRIBE', describe);
    this.#keepaliveMethod = publicMethods.has('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';

    let sdp: SessionDescription;
    try {
      sdp = parseSdp(Buffer.from(describe.body).toString('utf8'));
    } catch (err) {
      throw new RtspError(RtspErrorCode.INVALID_SDP, 'the DESCRIBE answer is not a usable SDP', { cause: err });
    }
    this.#baseUrl = baseUrlFor(
      {
        ...optionalField('contentBase', describe.headers.get('Content-Base')),
        ...optionalField('contentLocation', describe.headers.get('Content-Location')),
        ...optionalField('sessionControl', sdp.control),
      },
      target.url.href,
    );
    if (this.#selected.length === 0) this.#select(sdp);

    await this.#setup(connection, mode, auto);
    await this.#play(connection);
  }

  async #open(target: RtspUrl): Promise<RtspConnection> {
    let resolved: { address: string } | undefined;
    try {
      const decision = await this.#options.beforeConnect?.({
        host: target.host,
        port: target.port,
        secure: target.secure,
      });
      if (typeof decision === 'object') resolved = decision;
    } catch (err) {
      if (err instanceof RtspError) throw err;
      throw new RtspError(RtspErrorCode.ADDRESS_REFUSED, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
    if (this.#isClosed()) throw new RtspError(RtspErrorCode.CLOSED, 'the session was closed');
    const connection = await RtspConnection.open({
      host: target.host,
      ...(resolved ? { address: resolved.address } : {}),
      port: target.port,
      secure: target.secure,
      ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      userAgent: this.#options.userAgent,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      authenticator: new Authenticator(target.credentials),
      logger: this.#logger,
      readBatchMs: this.#options.readBatchMs,
      onInterleaved: (channel, payload) => this.#demux.push(channel, payload),
      onFatal: (error) => {
        if (connection === this.#connection) this.#fail(error);
      },
    });
    if (this.#isClosed()) {
      connection.close();
      throw new RtspError(RtspErrorCode.CLOSED, 'the session was closed');
    }
    this.#retire(this.#connection);
    this.#connection = connection;
    return connection;
  }

  #select(sdp: SessionDescription): void {
    const unsupported: UnsupportedTrack[] = [];
    const selected: Selected[] = [];
    for (const media of sdp.medias) {
      const kind = media.type;
      if (isBackchannel(media, sdp)) {
        unsupported.push({ kind, reason: 'ONVIF backchannel (audio towards the camera)' });
        continue;
      }
      const format = resolveTrackFormat(media);
      if (format.codec === 'unsupported') {
        unsupported.push({ kind, ...optionalField('encoding', format.encoding), reason: format.reason });
        continue;
      }
      const trackKind = format.codec === 'h264' || format.codec === 'h265' ? 'video' : 'audio';
      const encoding = format.codec.toUpperCase();
      if (trackKind === 'audio' && !this.#options.audio) {
        unsupported.push({ kind, encoding, reason: 'audio is turned off for this camera' });
        continue;
      }
      if (selected.some((s) => s.track.kind === trackKind)) {
        unsupported.push({ kind, encoding, reason: `only the first ${trackKind} track is received` });
        continue;
      }
      try {
        const track = describeTrack(selected.length, format);
        selected.push({ track, format, control: resolveControlUrl(this.#baseUrl, media.control) });
      } catch (err) {
        unsupported.push({ kind, encoding, reason: `unusable codec configuration (${(err as Error).message})` });
      }
    }
    this.unsupportedTracks = unsupported;
    if (selected.length === 0) {
      const reasons = unsupported.map((u) => `${u.kind}: ${u.reason}`).join('; ');
      throw new RtspError(
        RtspErrorCode.NO_SUPPORTED_TRACKS,
        `the stream has no track camgate can receive${reasons === '' ? '' : ` (${reasons})`}`,
      );
    }
    this.#selected = selected;
    this.tracks = selected.map((s) => s.track);
  }

  async #setup(connection: RtspConnection, preferred: 'tcp' | 'udp', auto: boolean): Promise<void> {
    let mode = preferred;
    const legs: Leg[] = [];
    try {
      for (const [index, { control }] of this.#selected.entries()) {
        if (mode === 'tcp') {
          const channels: [number, number] = [index * 2, index * 2 + 1];
          const response = await connection.request('SETUP', control, {
            Transport: formatTransportHeader({
              protocol: 'RTP/AVP/TCP',
              lowerTransport: 'tcp',
              delivery: 'unicast',
              interleaved: channels,
            }),
          });
          if (response.statusCode >= 300) {
            // auto: a camera that refuses TCP (461, 400, another 4xx) gets UDP instead.
            if (
              auto &&
              index === 0 &&
              response.statusCode >= 400 &&
              response.statusCode < 500 &&
              response.statusCode !== 401
            ) {
              this.#logger.info({ status: response.statusCode }, 'camera refused TCP, trying UDP');
              mode = 'udp';
            } else {
              throw statusError('SETUP', response);
            }
          } else {
            this.#onSessionHeader(connection, response);
            const spec = transportOf(response);
            // Server-chosen channels are accepted (gortsplib#72).
            legs.push({ receiver: this.#receiverFor(index, false), control, channels: spec?.interleaved ?? channels });
            continue;
          }
        }
        const pair = await UdpPair.open(connection.remoteAddress ?? (this.#target as RtspUrl).host);
        const leg: Leg = { receiver: this.#receiverFor(index, true), control, udp: pair };
        legs.push(leg);
        const response = await connection.request('SETUP', control, {
          Transport: formatTransportHeader({
            protocol: 'RTP/AVP',
            lowerTransport: 'udp',
            delivery: 'unicast',
            clientPort: [pair.rtpPort, pair.rtcpPort],
          }),
        });
        if (response.statusCode >= 300) {
          if (response.statusCode === 461) {
            throw new RtspError(RtspErrorCode.UNSUPPORTED_TRANSPORT, 'the camera refuses both TCP and UDP transport');
          }
          throw statusError('SETUP', response);
        }
        this.#onSessionHeader(connection, response);
        const spec = transportOf(response);
        if (spec?.lowerTransport === 'tcp') {
          throw new RtspError(RtspErrorCode.UNSUPPORTED_TRANSPORT, 'the camera answered a UDP SETUP with TCP');
        }
        const remote = validAddress(spec?.source) ?? connection.remoteAddress ?? (this.#target as RtspUrl).host;
        // server_port missing or bogus: accept any port from the camera's address (gortsplib AnyPortEnable).
        pair.setRemote(remote, spec?.serverPort?.[0], spec?.serverPort?.[1]);
        const receiver = leg.receiver;
        pair.onRtp((data) => {
          const now = performance.now();
          this.#lastDataAt = now;
          receiver.pushRtp(data, now);
        });
        pair.onRtcp((data) => {
          const now = performance.now();
          this.#lastDataAt = now;
          receiver.pushRtcp(data, now);
        });
      }
    } catch (err) {
      for (const leg of legs) leg.udp?.close();
      throw err;
    }
    this.#legs = legs;
    this.#demux.clear();
    for (const leg of legs) if (leg.channels !== undefined) this.#demux.route(leg.receiver, leg.channels);
    this.transport = mode;
  }

  async #play(connection: RtspConnection): Promise<void> {
    // NAT punch: a first datagram from each client port opens the path back to us (gortsplib).
    for (const leg of this.#legs) {
      if (leg.udp === undefined) continue;
      const punch = new Uint8Array(12);
      writeRtpHeader(punch, 0, {
        marker: false,
        payloadType: leg.receiver.payloadType,
        sequenceNumber: 0,
        timestamp: 0,
        ssrc: this.#ssrc,
      });
      leg.udp.sendRtp(punch);
      leg.udp.sendRtcp(buildReceiverReport(this.#ssrc, [], this.#cname));
    }
    this.#clock.startMs = performance.now();
    this.#clock.wallStartMs = Date.now();
    this.#lastDataAt = this.#clock.startMs;
    // Parrot drones need the Range header (gortsplib); RTP before this answer is accepted.
    const response = await connection.request('PLAY', this.#baseUrl, { Range: 'npt=0.000-' });
    if (response.statusCode >= 300) throw statusError('PLAY', response);
    this.#playedAt = performance.now();
    this.#logger.info({ transport: this.transport, tracks: this.tracks.map((t) => t.codecString) }, 'playing');
  }

  #onSessionHeader(connection: RtspConnection, response: RtspResponse): void {
    const value = response.headers.get('Session');
    if (value === undefined) return;
    const session = parseSessionHeader(value);
    connection.sessionId = session.id;
    if (session.timeoutSeconds !== undefined) this.#sessionTimeoutS = session.timeoutSeconds;
  }

  #receiverFor(index: number, udp: boolean): TrackReceiver {
    const existing = this.#legs[index]?.receiver;
    if (existing !== undefined) {
      existing.restart();
      return existing;
    }
    const selected = this.#selected[index] as Selected;
    return new TrackReceiver(
      selected.track,
      selected.format,
      this.#clock,
      {
        onFrame: (frame) => this.emit('frame', frame),
        onTrackChange: (track) => {
          this.tracks = this.tracks.map((t) => (t.id === track.id ? track : t));
          this.emit('track-change', track);
        },
      },
      { reorder: udp },
    );
  }

  // ---------------------------------------------------------------- running

  #startTimers(): void {
    // Keepalive at min(timeout/2, timeout-5) s, never awaited.
    const timeout = this.#sessionTimeoutS;
    this.#keepaliveMs = Math.max(1, Math.min(timeout / 2, timeout - 5)) * 1000;
    const now = performance.now();
    this.#nextKeepaliveAt = now + this.#keepaliveMs;
    this.#nextReportAt = now + this.#options.receiverReportIntervalMs;
    sessionTicker.add(this.#tick);
  }

  /** The shared tick (every 500 ms): keepalive and receiver reports when due, then the watchdog. */
  #onTick(now: number): void {
    if (now >= this.#nextKeepaliveAt) {
      this.#nextKeepaliveAt = nextDue(this.#nextKeepaliveAt, this.#keepaliveMs, now);
      const connection = this.#connection;
      if (connection !== undefined && !connection.closed) connection.notify(this.#keepaliveMethod, this.#baseUrl);
    }
    if (this.transport === 'udp' && now >= this.#nextReportAt) {
      this.#nextReportAt = nextDue(this.#nextReportAt, this.#options.receiverReportIntervalMs, now);
      this.#sendReceiverReports();
    }
    this.#watchdog(now);
  }

  #sendReceiverReports(): void {
    const now = performance.now();
    for (const leg of this.#legs) {
      const block = leg.receiver.receptionReport(now);
      if (leg.udp !== undefined && block !== undefined)
        leg.udp.sendRtcp(buildReceiverReport(this.#ssrc, [block], this.#cname));
    }
  }

  #watchdog(now: number): void {
    if (
      this.transport === 'udp' &&
      this.#options.transport === 'auto' &&
      now - this.#playedAt >= this.#options.udpFallbackMs &&
      this.#legs.every((leg) => leg.receiver.lastPacketAt === undefined)
    ) {
      void this.#switchToTcp();
      return;
    }
    if (now - Math.max(this.#lastDataAt, this.#demux.lastDataAt) >= this.#options.readTimeoutMs) {
      this.#fail(
        new RtspError(RtspErrorCode.TIMEOUT, `no media from the camera for ${this.#options.readTimeoutMs / 1000} s`),
      );
    }
  }

  /** auto: UDP delivered nothing (firewall, NAT): reconnect over TCP, keeping tracks and timelines. */
  async #switchToTcp(): Promise<void> {
    if (this.#state !== 'playing') return;
    this.#state = 'connecting';
    this.#logger.warn({}, 'no UDP packets after PLAY, switching to TCP');
    this.#clearTimers();
    this.#retire(this.#connection);
    this.#connection = undefined;
    for (const leg of this.#legs) leg.udp?.close();
    try {
      await this.#establish('tcp', false);
    } catch (err) {
      const error = asRtspError(err);
      this.#fail(
        error.code === RtspErrorCode.CLOSED
          ? error
          : new RtspError(
              RtspErrorCode.UNSUPPORTED_TRANSPORT,
              `UDP delivered nothing and TCP failed: ${error.message}`,
              { cause: error },
            ),
      );
      return;
    }
    if (this.#isClosed()) return;
    this.#state = 'playing';
    this.#startTimers();
    this.emit('transport', 'tcp');
  }

  #fail(error: RtspError): void {
    if (this.#state === 'closed') return;
    const duringConnect = this.#state === 'connecting' && this.#playedAt === 0;
    this.#logger.warn({ code: error.code, error: error.message }, 'session failed');
    this.#release();
    this.#state = 'closed';
    // During connect(), the error surfaces as its rejection instead.
    if (!duringConnect && this.listenerCount('error') > 0) this.emit('error', error);
    this.#emitClose();
  }

  #retire(connection: RtspConnection | undefined): void {
    if (connection === undefined) return;
    this.#junkBytes += connection.junkBytes;
    connection.close();
  }

  /** A method, not a field read, so that TypeScript does not narrow the state across awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #clearTimers(): void {
    sessionTicker.remove(this.#tick);
  }

  /** Releases every socket and timer, then says `close` (once). */
  #shutdown(): void {
    this.#release();
    this.#state = 'closed';
    this.#emitClose();
  }

  #release(): void {
    this.#clearTimers();
    this.#retire(this.#connection);
    this.#connection = undefined;
    for (const leg of this.#legs) leg.udp?.close();
  }

  #emitClose(): void {
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    this.emit('close');
  }
}

/** The next time a periodic task is due: one period on, or one period from now after a stall (no bursts). */
function nextDue(due: number, periodMs: number, now: number): number {
  const next = due + periodMs;
  return next > now ? next : now + periodMs;
}

function statusError(method: string, response: RtspResponse): RtspError {
  const status = `${response.statusCode} ${response.reason}`.trim();
  switch (response.statusCode) {
    case 403:
      return new RtspError(RtspErrorCode.FORBIDDEN, `the camera refused ${method} (${status})`);
    case 404:
      return new RtspError(RtspErrorCode.NOT_FOUND, `no stream at this path (${method}: ${status})`);
    case 453:
    case 503:
      return new RtspError(
        RtspErrorCode.SESSION_LIMIT,
        `the camera has no session left for another client (${status})`,
      );
    case 461:
      return new RtspError(RtspErrorCode.UNSUPPORTED_TRANSPORT, `the camera refused the transport (${status})`);
    default:
      return new RtspError(RtspErrorCode.BAD_STATUS, `the camera answered ${method} with ${status}`);
  }
}

function transportOf(response: RtspResponse): TransportSpec | undefined {
  const value = response.headers.get('Transport');
  if (value === undefined) return undefined;
  try {
    return parseTransportHeader(value)[0];
  } catch {
    return undefined;
  }
}

/**
 * The URL a DESCRIBE redirect points to: RTSP only, never from rtsps down to
 * rtsp, and the credentials follow only to the same host (FFmpeg 9.0.1:
 * "clear authentication on cross-origin redirects").
 */
function redirectTarget(from: RtspUrl, location: string): RtspUrl {
  let next: RtspUrl;
  try {
    next = parseRtspUrl(resolveLocation(location, from.url));
  } catch (err) {
    throw new RtspError(RtspErrorCode.REDIRECT_REFUSED, 'the camera redirected to something that is not an RTSP URL', {
      cause: err,
    });
  }
  if (from.secure && !next.secure) {
    throw new RtspError(RtspErrorCode.REDIRECT_REFUSED, 'refusing a redirect from rtsps:// down to rtsp://');
  }
  if (next.credentials === undefined && from.credentials !== undefined && sameHost(from, next)) {
    return { ...next, credentials: from.credentials satisfies Credentials };
  }
  return next;
}

/**
 * `location` resolved against the current URL. Throws an RtspError of its own rather than Node's
 * TypeError, which carries the base URL in its `base` field, path and query secrets included
 * (`?password=`, Xiongmai `/user=admin&password=...`), into the error's cause and any log of it.
 */
function resolveLocation(location: string, base: URL): string {
  try {
    return new URL(location, base).href;
  } catch {
    throw new RtspError(RtspErrorCode.INVALID_URL, 'the redirect location cannot be parsed');
  }
}

function sameHost(a: RtspUrl, b: RtspUrl): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase();
}

function validAddress(value: string | undefined): string | undefined {
  return value !== undefined && /^[\d.]+$|^[0-9a-f:]+$/i.test(value) ? value : undefined;
}

function optionalField<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

function asRtspError(err: unknown): RtspError {
  if (err instanceof RtspError) return err;
  return new RtspError(RtspErrorCode.CONNECTION_FAILED, err instanceof Error ? err.message : String(err), {
    cause: err,
  });
}
