import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { buildSenderReport, writeRtpHeader } from '@camgate/rtp';
import {
  MessageReader,
  REASON_PHRASES,
  RtspHeaders,
  formatTransportHeader,
  parseTransportHeader,
  serializeRequest,
  serializeResponse,
  type RtspRequest,
  type RtspResponse,
  type TransportSpec,
} from '@camgate/rtsp';
import { CLIP_NAMES, loadClip, type Clip, type ClipName } from '../clip/index.js';
import { CamsimError, CamsimErrorCode } from '../errors.js';
import { packetizeClip, type PacketizeOptions, type PacketizedFrame } from '../media/packetized-clip.js';
import { StreamPlayer } from '../media/stream-player.js';
import { writeSdp } from './sdp-writer.js';
import { ServerAuth, type CamsimAuthOptions } from './server-auth.js';

/** A response camsim sends, or a hook's replacement for it. */
export interface ResponseSpec {
  statusCode: number;
  reason?: string;
  /** Header lines in order; names written exactly as given (tests send `Cseq`, odd spacing, ...). */
  headers: Array<[string, string]>;
  body?: string | Uint8Array;
}

/** An RTP packet about to be sent; hooks may change any field. */
export interface OutgoingPacket {
  trackIndex: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
  keyframe: boolean;
  /** 1-based count of frames sent on this track in this session. */
  frameNumber: number;
  transport: 'tcp' | 'udp';
}

/** A frame that went out, for `CamsimHooks.frameSent`. */
export interface SentFrame {
  trackIndex: number;
  keyframe: boolean;
  /** RTP timestamp of the frame. */
  timestamp: number;
  packets: number;
  sentAt: number;
}

/** What a hook can do to the connection it runs on. */
export interface HookContext {
  /** Writes raw bytes on the TCP connection (junk, stray `$` frames, half messages). */
  writeRaw(data: Uint8Array): void;
  /** Sends a request to the client (servers may: OPTIONS, GET_PARAMETER, SET_PARAMETER, ANNOUNCE). */
  sendRequest(method: string, uri: string, headers?: Record<string, string>): void;
  /** Drops the connection. */
  close(): void;
  /** Number of the connection on this server, 1-based. */
  connectionNumber: number;
}

/** Scripted misbehaviour, to reproduce real cameras' quirks in tests. */
export interface CamsimHooks {
  /** Answer a request yourself; undefined lets camsim handle it; 'ignore' sends nothing. */
  request?(request: RtspRequest, ctx: HookContext): ResponseSpec | 'ignore' | undefined;
  /** Change camsim's response before it is sent ('ignore': send nothing). */
  response?(response: ResponseSpec, request: RtspRequest, ctx: HookContext): ResponseSpec | 'ignore';
  /** Change the SDP of a stream. */
  sdp?(sdp: string, path: string): string;
  /**
   * Change or drop ('drop') an RTP packet. Setting it costs an object per packet: load tests that
   * only need to know when frames leave use `frameSent`.
   */
  packet?(packet: OutgoingPacket, ctx: HookContext): 'drop' | undefined;
  /** A frame's packets were written (TCP) or sent (UDP): `sentAt` is performance.now() as the first write began. */
  frameSent?(frame: SentFrame, ctx: HookContext): void;
  /** PLAY was answered. */
  playing?(ctx: HookContext): void;
  /** An RTCP packet from a viewer over UDP (receiver reports, NAT punches). */
  rtcp?(data: Uint8Array): void;
  /** The client answered a request camsim sent (see HookContext.sendRequest). */
  clientResponse?(response: RtspResponse, ctx: HookContext): void;
}

export interface CamsimServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** TCP port (default 0: a free one). */
  port?: number;
  /** Mount path -> bundled clip (default /h264-aac, /h265-aac, /h264-pcma, /h264-pcmu, /h264-l16). */
  streams?: Record<string, ClipName>;
  /** Pre-loaded clips by name (tests substitute altered clips). */
  clips?: Partial<Record<ClipName, Clip>>;
  auth?: CamsimAuthOptions;
  /** Transports offered; a refused one gets 461 Unsupported Transport. */
  transports?: { tcp?: boolean; udp?: boolean };
  packetize?: PacketizeOptions;
  /** Leave parameter sets out of the SDP (cameras that send them only in-band). */
  omitParameterSets?: boolean;
  /** Announced session timeout in seconds (default 60). Sessions without requests for this long are closed. */
  sessionTimeout?: number;
  /** RTCP sender reports every this many ms (default 1000; 0: none). */
  senderReportIntervalMs?: number;
  /** Sessions beyond this answer 453 Not Enough Bandwidth (Hikvision, WIWACAM). */
  maxSessions?: number;
  /** First RTP timestamp of every track (default random); tests start near 2^32 (F09). */
  initialTimestamp?: number;
  /** First sequence number (default random); tests start near 65535 (F10). */
  initialSequence?: number;
  /** Interleaved channels to use instead of the requested ones (gortsplib#72: servers pick their own). */
  interleavedChannels?: (requested: [number, number], trackIndex: number) => [number, number];
  hooks?: CamsimHooks;
}

const DEFAULT_STREAMS: Record<string, ClipName> = {
  '/h264-aac': 'h264-aac',
  '/h265-aac': 'h265-aac',
  '/h264-pcma': 'h264-pcma',
  '/h264-pcmu': 'h264-pcmu',
  '/h264-l16': 'h264-l16',
};
const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
/** 8 MiB queued on a viewer's socket: beyond it, frames are dropped for that viewer only (slow reader). */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

interface SessionTrack {
  trackIndex: number;
  control: string;
  transport:
    { kind: 'tcp'; channels: [number, number] } | { kind: 'udp'; address: string; rtpPort: number; rtcpPort: number };
  ssrc: number;
  sequence: number;
  timestampBase: number;
  packets: number;
  octets: number;
  lastRtpTime: number;
  frameNumber: number;
}

/**
 * A simulated IP camera: an RTSP/1.0 server (RFC 2326) that loops bundled
 * H.264/H.265 + AAC/PCMA/PCMU/L16 clips in real time over TCP interleaved or UDP, with
 * RTCP sender reports, Basic/Digest authentication and hooks for scripted
 * misbehaviour. Clips are packetized once; each viewer costs a 12-byte header
 * per packet.
 */
export class CamsimServer {
  readonly host: string;
  readonly #tcp: Server;
  readonly #udpRtp: UdpSocket;
  readonly #udpRtcp: UdpSocket;
  readonly #options: CamsimServerOptions;
  readonly #streams = new Map<string, { player: StreamPlayer; sdpTracks: ReturnType<typeof packetizeClip> }>();
  readonly #sessions = new Map<string, ServerSessionState>();
  readonly #connections = new Set<Socket>();
  readonly #auth: ServerAuth | undefined;
  #connectionCount = 0;
  #closed = false;

  private constructor(options: CamsimServerOptions, tcp: Server, udpRtp: UdpSocket, udpRtcp: UdpSocket) {
    this.#options = options;
    this.host = options.host ?? '127.0.0.1';
    this.#tcp = tcp;
    this.#udpRtp = udpRtp;
    this.#udpRtcp = udpRtcp;
    this.#auth = options.auth === undefined ? undefined : new ServerAuth(options.auth);
  }

  /** Loads the clips and listens. */
  static async start(options: CamsimServerOptions = {}): Promise<CamsimServer> {
    const host = options.host ?? '127.0.0.1';
    const streams = options.streams ?? DEFAULT_STREAMS;
    const clips = new Map<ClipName, Clip>();
    for (const name of new Set(Object.values(streams))) {
      if (!CLIP_NAMES.includes(name)) throw new CamsimError(CamsimErrorCode.INVALID_CONFIG, `unknown clip ${name}`);
      clips.set(name, options.clips?.[name] ?? (await loadClip(name)));
    }
    const udpType = host.includes(':') ? 'udp6' : 'udp4';
    const [udpRtp, udpRtcp] = await bindUdpPair(udpType, host);
    const tcp = createServer();
    const server = new CamsimServer(options, tcp, udpRtp, udpRtcp);
    for (const [path, name] of Object.entries(streams)) {
      const tracks = packetizeClip(clips.get(name) as Clip, options.packetize);
      server.#streams.set(normalizePath(path), { player: new StreamPlayer(tracks), sdpTracks: tracks });
    }
    tcp.on('connection', (socket) => server.#onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(options.port ?? 0, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    udpRtcp.on('message', (data: Buffer) => options.hooks?.rtcp?.(data));
    return server;
  }

  get port(): number {
    const address = this.#tcp.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Number of RTSP sessions (SETUP done, not torn down). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** rtsp:// URL of a mount, optionally with credentials (percent-encoded). */
  url(path = '/h264-aac', credentials?: { username: string; password: string }): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    const userinfo =
      credentials === undefined
        ? ''
        : `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`;
    return `rtsp://${userinfo}${host}:${this.port}${normalizePath(path)}`;
  }

  /** Stops listening and drops every connection, session, timer and socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const session of [...this.#sessions.values()]) session.destroy();
    for (const { player } of this.#streams.values()) player.stop();
    for (const socket of this.#connections) socket.destroy();
    this.#udpRtp.close();
    this.#udpRtcp.close();
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
  }

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#connections.add(socket);
    socket.setNoDelay(true);
    const connectionNumber = ++this.#connectionCount;
    const sessions = new Set<ServerSessionState>();
    const ctx: HookContext = {
      connectionNumber,
      writeRaw: (data) => {
        if (!socket.destroyed) socket.write(data);
      },
      sendRequest: (method, uri, headers = {}) => {
        if (socket.destroyed) return;
        const h = new RtspHeaders({ CSeq: String(1000 + connectionNumber), ...headers });
        socket.write(serializeRequest({ method, uri, headers: h }));
      },
      close: () => socket.destroy(),
    };
    const reader = new MessageReader({
      onRequest: (request) => this.#onRequest(request, socket, ctx, sessions),
      onResponse: (response) => this.#options.hooks?.clientResponse?.(response, ctx),
      onInterleaved: () => undefined, // RTCP from the viewer
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.feed(chunk);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#connections.delete(socket);
      for (const session of sessions) session.destroy();
    });
  }

  #onRequest(request: RtspRequest, socket: Socket, ctx: HookContext, sessions: Set<ServerSessionState>): void {
    // Any request naming a session keeps it alive, whoever answers it.
    this.#sessionOf(request);
    const hooked = this.#options.hooks?.request?.(request, ctx);
    if (hooked === 'ignore') return;
    const response = hooked ?? this.#handle(request, socket, ctx, sessions);
    const cseq = request.headers.get('CSeq');
    if (cseq !== undefined && !response.headers.some(([name]) => name.toLowerCase() === 'cseq')) {
      response.headers.unshift(['CSeq', cseq]);
    }
    const final = this.#options.hooks?.response?.(response, request, ctx) ?? response;
    if (final === 'ignore' || socket.destroyed) return;
    const headers = new RtspHeaders(final.headers);
    const body = typeof final.body === 'string' ? Buffer.from(final.body) : final.body;
    socket.write(
      serializeResponse({
        statusCode: final.statusCode,
        reason: final.reason ?? REASON_PHRASES[final.statusCode] ?? '',
        headers,
        ...(body === undefined ? {} : { body }),
      }),
    );
    if (request.method === 'PLAY' && final.statusCode === 200) this.#options.hooks?.playing?.(ctx);
  }

  #handle(request: RtspRequest, socket: Socket, ctx: HookContext, sessions: Set<ServerSessionState>): ResponseSpec {
    const status = (statusCode: number, headers: Array<[string, string]> = []): ResponseSpec => ({
      statusCode,
      headers,
    });
    if (request.method === 'OPTIONS') return status(200, [['Public', PUBLIC]]);
    if (this.#auth !== undefined && !this.#auth.verify(request)) {
      return status(
        401,
        this.#auth.challenges().map((value) => ['WWW-Authenticate', value]),
      );
    }
    const session = this.#sessionOf(request);
    switch (request.method) {
      case 'DESCRIBE': {
        const path = pathOf(request.uri);
        const stream = path === undefined ? undefined : this.#streams.get(path);
        if (stream === undefined) return status(404);
        const base = `${request.uri.replace(/\/+$/, '')}/`;
        let sdp = writeSdp(stream.sdpTracks, {
          address: this.host,
          ...(this.#options.omitParameterSets === undefined
            ? {}
            : { omitParameterSets: this.#options.omitParameterSets }),
        });
        sdp = this.#options.hooks?.sdp?.(sdp, path as string) ?? sdp;
        return {
          statusCode: 200,
          headers: [
            ['Content-Base', base],
            ['Content-Type', 'application/sdp'],
          ],
          body: sdp,
        };
      }
      case 'SETUP':
        return this.#setup(request, socket, ctx, sessions, session);
      case 'PLAY': {
        if (session === undefined) return status(454);
        session.play();
        const rtpInfo = session.tracks
          .map((t) => `url=${t.control};seq=${t.sequence};rtptime=${(t.timestampBase + t.lastRtpTime) >>> 0}`)
          .join(',');
        return status(200, [
          ['Session', session.id],
          ['Range', 'npt=0.000-'],
          ['RTP-Info', rtpInfo],
        ]);
      }
      case 'PAUSE':
        if (session === undefined) return status(454);
        session.pause();
        return status(200, [['Session', session.id]]);
      case 'TEARDOWN':
        session?.destroy();
        return status(200);
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        session?.touch();
        return status(200, session === undefined ? [] : [['Session', session.id]]);
      default:
        return status(501);
    }
  }

  #sessionOf(request: RtspRequest): ServerSessionState | undefined {
    const id = request.headers.get('Session')?.split(';')[0]?.trim();
    const session = id === undefined ? undefined : this.#sessions.get(id);
    session?.touch();
    return session;
  }

  #setup(
    request: RtspRequest,
    socket: Socket,
    ctx: HookContext,
    sessions: Set<ServerSessionState>,
    existing: ServerSessionState | undefined,
  ): ResponseSpec {
    const match = /^(.*?)\/trackID=(\d+)$/.exec(request.uri);
    const path = match === null ? undefined : pathOf(match[1] as string);
    const stream = path === undefined ? undefined : this.#streams.get(path);
    const trackIndex = Number(match?.[2]);
    if (stream === undefined || !Number.isInteger(trackIndex) || trackIndex >= stream.player.tracks.length) {
      return { statusCode: 404, headers: [] };
    }
    let spec: TransportSpec | undefined;
    try {
      spec = parseTransportHeader(request.headers.get('Transport') ?? '').find((s) => s.delivery !== 'multicast');
    } catch {
      spec = undefined;
    }
    const transports = this.#options.transports ?? {};
    if (
      spec === undefined ||
      (spec.lowerTransport === 'tcp' && transports.tcp === false) ||
      (spec.lowerTransport === 'udp' && (transports.udp === false || spec.clientPort === undefined))
    ) {
      return { statusCode: 461, headers: [] };
    }
    if (
      existing === undefined &&
      this.#options.maxSessions !== undefined &&
      this.#sessions.size >= this.#options.maxSessions
    ) {
      return { statusCode: 453, headers: [] };
    }
    const session =
      existing ??
      new ServerSessionState(stream.player, socket, ctx, this.#udpRtp, this.#udpRtcp, this.#options, (s) => {
        this.#sessions.delete(s.id);
        sessions.delete(s);
      });
    if (existing === undefined) {
      this.#sessions.set(session.id, session);
      sessions.add(session);
    }
    let reply: TransportSpec;
    if (spec.lowerTransport === 'tcp') {
      const requested = spec.interleaved ?? [trackIndex * 2, trackIndex * 2 + 1];
      const channels = this.#options.interleavedChannels?.(requested, trackIndex) ?? requested;
      session.addTrack(trackIndex, request.uri, { kind: 'tcp', channels });
      reply = { protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', delivery: 'unicast', interleaved: channels };
    } else {
      const clientPort = spec.clientPort as [number, number];
      const address = (socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      session.addTrack(trackIndex, request.uri, {
        kind: 'udp',
        address,
        rtpPort: clientPort[0],
        rtcpPort: clientPort[1],
      });
      reply = {
        protocol: 'RTP/AVP',
        lowerTransport: 'udp',
        delivery: 'unicast',
        clientPort,
        serverPort: [udpPort(this.#udpRtp), udpPort(this.#udpRtcp)],
      };
    }
    const track = session.tracks.at(-1) as SessionTrack;
    const transport = `${formatTransportHeader(reply)};ssrc=${track.ssrc.toString(16).toUpperCase().padStart(8, '0')}`;
    const timeout = this.#options.sessionTimeout ?? 60;
    return {
      statusCode: 200,
      headers: [
        ['Transport', transport],
        ['Session', `${session.id};timeout=${timeout}`],
      ],
    };
  }
}

/** One viewer's RTSP session: its tracks, their RTP numbering, and delivery. */
class ServerSessionState {
  readonly id = randomBytes(6).toString('hex').toUpperCase();
  tracks: SessionTrack[] = [];
  readonly #player: StreamPlayer;
  readonly #socket: Socket;
  readonly #ctx: HookContext;
  readonly #udpRtp: UdpSocket;
  readonly #udpRtcp: UdpSocket;
  readonly #options: CamsimServerOptions;
  readonly #onDestroy: (session: ServerSessionState) => void;
  readonly #subscriber = { onFrame: (i: number, f: PacketizedFrame, t: number) => this.#send(i, f, t) };
  #playing = false;
  #destroyed = false;
  #lastRequestAt = performance.now();
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(
    player: StreamPlayer,
    socket: Socket,
    ctx: HookContext,
    udpRtp: UdpSocket,
    udpRtcp: UdpSocket,
    options: CamsimServerOptions,
    onDestroy: (session: ServerSessionState) => void,
  ) {
    this.#player = player;
    this.#socket = socket;
    this.#ctx = ctx;
    this.#udpRtp = udpRtp;
    this.#udpRtcp = udpRtcp;
    this.#options = options;
    this.#onDestroy = onDestroy;
    const timeoutMs = (options.sessionTimeout ?? 60) * 1000;
    // A camera drops sessions whose client stopped sending keepalives.
    this.#timers.push(
      setInterval(
        () => {
          if (performance.now() - this.#lastRequestAt > timeoutMs) this.destroy();
        },
        Math.min(1000, timeoutMs / 2),
      ),
    );
  }

  touch(): void {
    this.#lastRequestAt = performance.now();
  }

  addTrack(trackIndex: number, control: string, transport: SessionTrack['transport']): void {
    const random = randomBytes(10);
    this.tracks = this.tracks.filter((t) => t.trackIndex !== trackIndex);
    this.tracks.push({
      trackIndex,
      control,
      transport,
      ssrc: random.readUInt32BE(0),
      sequence: this.#options.initialSequence ?? random.readUInt16BE(4),
      timestampBase: this.#options.initialTimestamp ?? random.readUInt32BE(6),
      packets: 0,
      octets: 0,
      lastRtpTime: 0,
      frameNumber: 0,
    });
  }

  play(): void {
    if (this.#playing || this.#destroyed) return;
    this.#playing = true;
    this.#player.subscribe(this.#subscriber);
    const interval = this.#options.senderReportIntervalMs ?? 1000;
    if (interval > 0) {
      // The first report goes out at once, with the first frames and before the PLAY answer (like Reolink).
      this.#sendSenderReports();
      this.#timers.push(setInterval(() => this.#sendSenderReports(), interval));
    }
  }

  pause(): void {
    if (!this.#playing) return;
    this.#playing = false;
    this.#player.unsubscribe(this.#subscriber);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.pause();
    for (const timer of this.#timers) clearInterval(timer);
    this.#onDestroy(this);
  }

  #send(trackIndex: number, frame: PacketizedFrame, rtpTime: number): void {
    const track = this.tracks.find((t) => t.trackIndex === trackIndex);
    if (track === undefined || this.#socket.destroyed) return;
    track.lastRtpTime = rtpTime;
    track.frameNumber++;
    const tcp = track.transport.kind === 'tcp';
    if (tcp && this.#socket.writableLength > MAX_QUEUED_BYTES) return; // slow viewer: drop this frame for it alone
    const hooks = this.#options.hooks;
    const payloadType = this.#player.tracks[trackIndex]?.payloadType ?? 96;
    const timestamp = (track.timestampBase + rtpTime) >>> 0;
    // Before the write: on loopback a reader on another core may have the frame before write() returns.
    const sentAt = performance.now();
    if (track.transport.kind === 'tcp' && hooks?.packet === undefined) {
      this.#sendFrameTcp(track, track.transport.channels[0], frame, payloadType, timestamp);
    } else {
      this.#sendPackets(track, frame, payloadType, timestamp);
    }
    hooks?.frameSent?.(
      { trackIndex, keyframe: frame.keyframe, timestamp, packets: frame.packets.length, sentAt },
      this.#ctx,
    );
  }

  /**
   * A frame's packets interleaved (RFC 2326 §10.12) into one buffer and one write: what a camera
   * serving many viewers should cost, so that load tests measure the viewer, not the camera.
   */
  #sendFrameTcp(track: SessionTrack, channel: number, frame: PacketizedFrame, payloadType: number, timestamp: number) {
    let size = 0;
    for (const packet of frame.packets) size += 16 + packet.payload.length;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (const packet of frame.packets) {
      const length = 12 + packet.payload.length;
      out[at] = 0x24;
      out[at + 1] = channel;
      out.writeUInt16BE(length, at + 2);
      writeRtpHeader(out, at + 4, {
        marker: packet.marker,
        payloadType,
        sequenceNumber: track.sequence,
        timestamp,
        ssrc: track.ssrc,
      });
      out.set(packet.payload, at + 16);
      at += 4 + length;
      track.sequence = (track.sequence + 1) & 0xffff;
      track.packets++;
      track.octets += packet.payload.length;
    }
    this.#socket.write(out);
  }

  /** Packet by packet, through the `packet` hook (tests that change or drop packets), or over UDP. */
  #sendPackets(track: SessionTrack, frame: PacketizedFrame, payloadType: number, timestamp: number): void {
    const hooks = this.#options.hooks;
    const tcp = track.transport.kind === 'tcp';
    if (tcp) this.#socket.cork();
    for (const packet of frame.packets) {
      const out: OutgoingPacket = {
        trackIndex: track.trackIndex,
        marker: packet.marker,
        payloadType,
        sequenceNumber: track.sequence,
        timestamp,
        ssrc: track.ssrc,
        payload: packet.payload,
        keyframe: frame.keyframe,
        frameNumber: track.frameNumber,
        transport: track.transport.kind,
      };
      track.sequence = (track.sequence + 1) & 0xffff;
      if (hooks?.packet?.(out, this.#ctx) === 'drop') continue;
      const header = Buffer.allocUnsafe(tcp ? 16 : 12);
      writeRtpHeader(header, tcp ? 4 : 0, out);
      track.packets++;
      track.octets += out.payload.length;
      if (track.transport.kind === 'tcp') {
        const length = 12 + out.payload.length;
        header[0] = 0x24;
        header[1] = track.transport.channels[0];
        header.writeUInt16BE(length, 2);
        this.#socket.write(header);
        this.#socket.write(out.payload);
      } else {
        this.#udpRtp.send([header, out.payload], track.transport.rtpPort, track.transport.address);
      }
    }
    if (tcp) this.#socket.uncork();
  }

  #sendSenderReports(): void {
    for (const track of this.tracks) {
      if (track.packets === 0) continue;
      const report = buildSenderReport({
        ssrc: track.ssrc,
        wallclockMs: Date.now(),
        rtpTimestamp: (track.timestampBase + track.lastRtpTime) >>> 0,
        packetCount: track.packets,
        octetCount: track.octets,
        cname: 'camsim',
      });
      if (track.transport.kind === 'tcp') {
        if (this.#socket.destroyed) continue;
        const header = Buffer.from([0x24, track.transport.channels[1], report.length >> 8, report.length & 0xff]);
        this.#socket.write(Buffer.concat([header, report]));
      } else {
        this.#udpRtcp.send(report, track.transport.rtcpPort, track.transport.address);
      }
    }
  }
}

function pathOf(uri: string): string | undefined {
  try {
    return normalizePath(new URL(uri).pathname);
  } catch {
    return undefined;
  }
}

function normalizePath(path: string): string {
  const trimmed = `/${path.replace(/^\/+/, '').replace(/\/+$/, '')}`;
  return trimmed;
}

function udpPort(socket: UdpSocket): number {
  return socket.address().port;
}

/** An even/odd UDP port pair for the server side (RFC 3550 §11). */
async function bindUdpPair(type: 'udp4' | 'udp6', host: string): Promise<[UdpSocket, UdpSocket]> {
  for (let attempt = 0; attempt < 32; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 20_000);
    const rtp = await bindUdp(type, host, port);
    if (rtp === undefined) continue;
    const rtcp = await bindUdp(type, host, port + 1);
    if (rtcp !== undefined) return [rtp, rtcp];
    rtp.close();
  }
  throw new CamsimError(CamsimErrorCode.INVALID_CONFIG, 'no free UDP port pair');
}

function bindUdp(type: 'udp4' | 'udp6', host: string, port: number): Promise<UdpSocket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(type);
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
