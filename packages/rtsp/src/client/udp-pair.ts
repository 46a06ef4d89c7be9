import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { RtspError, RtspErrorCode } from '../errors.js';

/** Client ports are drawn from 10000-65535 (gortsplib); an even RTP port, RTCP on the next (RFC 3550 §11). */
const PORT_MIN = 10_000;
const PORT_MAX = 65_534;
const BIND_ATTEMPTS = 32;
/** 4 MiB receive buffer: a 4K keyframe burst is ~1000 datagrams; the kernel may clamp it (rmem_max). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export type DatagramHandler = (data: Uint8Array) => void;

/**
 * The UDP socket pair of one track (RFC 2326 §12.39 client_port). Accepts
 * datagrams of any size up to 64 KiB (gortsplib drops those over 1472 bytes;
 * Tapo sends 10000-byte packets: go2rtc), only from the camera's address and,
 * when the camera announced them, its ports (RTP injected from elsewhere is
 * dropped: F08).
 */
export class UdpPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** Datagrams dropped because they came from elsewhere. */
  foreignDatagrams = 0;
  readonly #rtp: Socket;
  readonly #rtcp: Socket;
  #remoteAddress: string | undefined;
  #remoteRtpPort: number | undefined;
  #remoteRtcpPort: number | undefined;
  #closed = false;

  private constructor(rtp: Socket, rtcp: Socket, port: number) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.rtpPort = port;
    this.rtcpPort = port + 1;
  }

  /** Binds a free even/odd port pair for the camera's address family. */
  static async open(remoteAddress: string): Promise<UdpPair> {
    const type = isIPv6(remoteAddress) && !remoteAddress.startsWith('::ffff:') ? 'udp6' : 'udp4';
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      const port = PORT_MIN + 2 * Math.floor(Math.random() * ((PORT_MAX - PORT_MIN) / 2));
      const rtp = await bind(type, port);
      if (rtp === undefined) continue;
      const rtcp = await bind(type, port + 1);
      if (rtcp === undefined) {
        rtp.close();
        continue;
      }
      return new UdpPair(rtp, rtcp, port);
    }
    throw new RtspError(RtspErrorCode.UNSUPPORTED_TRANSPORT, 'no free UDP port pair for RTP');
  }

  /** The camera's address and (when announced) ports; datagrams from elsewhere are dropped. */
  setRemote(address: string, rtpPort: number | undefined, rtcpPort: number | undefined): void {
    this.#remoteAddress = normalize(address);
    this.#remoteRtpPort = rtpPort;
    this.#remoteRtcpPort = rtcpPort;
  }

  onRtp(handler: DatagramHandler): void {
    this.#rtp.on('message', (data: Buffer, from: RemoteInfo) => {
      if (this.#accepts(from, this.#remoteRtpPort)) handler(data);
    });
  }

  onRtcp(handler: DatagramHandler): void {
    this.#rtcp.on('message', (data: Buffer, from: RemoteInfo) => {
      if (this.#accepts(from, this.#remoteRtcpPort)) handler(data);
    });
  }

  sendRtp(data: Uint8Array): void {
    this.#send(this.#rtp, data, this.#remoteRtpPort);
  }

  sendRtcp(data: Uint8Array): void {
    this.#send(this.#rtcp, data, this.#remoteRtcpPort);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rtp.close();
    this.#rtcp.close();
  }

  #accepts(from: RemoteInfo, port: number | undefined): boolean {
    const ok = normalize(from.address) === this.#remoteAddress && (port === undefined || from.port === port);
    if (!ok) this.foreignDatagrams++;
    return ok;
  }

  #send(socket: Socket, data: Uint8Array, port: number | undefined): void {
    if (this.#closed || port === undefined || this.#remoteAddress === undefined) return;
    socket.send(data, port, this.#remoteAddress, () => undefined);
  }
}

function bind(type: 'udp4' | 'udp6', port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, recvBufferSize: RECEIVE_BUFFER_BYTES });
    const onError = () => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', onError);
    socket.bind(port, () => {
      socket.off('error', onError);
      // Later errors (ICMP port unreachable on send) must not crash the process.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/** `::ffff:10.0.0.5` and `10.0.0.5` are the same camera. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
