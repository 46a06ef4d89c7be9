import { RtpError, RtpErrorCode } from './errors.js';

/** RFC 3550 §5.1: V(2) P X CC(4) | M PT(7) | sequence(16) | timestamp(32) | SSRC(32). */
const FIXED_HEADER_BYTES = 12;
const EMPTY = new Uint8Array(0);

/**
 * A parsed RTP packet that refers to its datagram instead of copying it. It is
 * reusable: the receive path parses every packet into the same instance so the
 * hot path allocates nothing per packet.
 */
export class RtpPacket {
  /** The datagram or interleaved frame this packet was parsed from. */
  data: Uint8Array = EMPTY;
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  /** 32-bit RTP timestamp, unsigned. */
  timestamp = 0;
  /** Synchronization source, unsigned. */
  ssrc = 0;
  csrcCount = 0;
  /** Header extension profile (RFC 3550 §5.3.1), or -1 when the packet has none. */
  extensionProfile = -1;
  /** Payload bounds in `data`; padding is already excluded. */
  payloadStart = 0;
  payloadEnd = 0;

  /** The payload as a view on `data` (no copy). */
  get payload(): Uint8Array {
    return this.data.subarray(this.payloadStart, this.payloadEnd);
  }

  get payloadLength(): number {
    return this.payloadEnd - this.payloadStart;
  }
}

/**
 * Parses the RTP header of `data` into `into` (a fresh packet by default).
 * Throws {@link RtpError} for anything RFC 3550 does not allow; a zero-length
 * payload is valid (cameras and NAT punches send them).
 */
export function parseRtpPacket(data: Uint8Array, into: RtpPacket = new RtpPacket()): RtpPacket {
  if (data.length < FIXED_HEADER_BYTES) {
    throw new RtpError(RtpErrorCode.PACKET_TOO_SHORT, `RTP packet of ${data.length} bytes is shorter than its header`);
  }
  const b0 = data[0] as number;
  const b1 = data[1] as number;
  const version = b0 >>> 6;
  if (version !== 2) {
    throw new RtpError(RtpErrorCode.UNSUPPORTED_VERSION, `RTP version ${version} is not 2`);
  }
  const csrcCount = b0 & 0x0f;
  let offset = FIXED_HEADER_BYTES + csrcCount * 4;
  if (offset > data.length) {
    throw new RtpError(RtpErrorCode.PACKET_TOO_SHORT, `RTP packet too short for ${csrcCount} CSRC entries`);
  }

  let extensionProfile = -1;
  if ((b0 & 0x10) !== 0) {
    if (offset + 4 > data.length) {
      throw new RtpError(RtpErrorCode.INVALID_EXTENSION, 'RTP header extension is truncated');
    }
    extensionProfile = ((data[offset] as number) << 8) | (data[offset + 1] as number);
    const words = ((data[offset + 2] as number) << 8) | (data[offset + 3] as number);
    offset += 4 + words * 4;
    if (offset > data.length) {
      throw new RtpError(RtpErrorCode.INVALID_EXTENSION, `RTP header extension of ${words} words runs past the packet`);
    }
  }

  let end = data.length;
  if ((b0 & 0x20) !== 0) {
    const padding = end > offset ? (data[end - 1] as number) : 0;
    if (padding === 0 || padding > end - offset) {
      throw new RtpError(RtpErrorCode.INVALID_PADDING, `RTP padding of ${padding} bytes does not fit the payload`);
    }
    end -= padding;
  }

  into.data = data;
  into.marker = (b1 & 0x80) !== 0;
  into.payloadType = b1 & 0x7f;
  into.sequenceNumber = ((data[2] as number) << 8) | (data[3] as number);
  into.timestamp = readUint32(data, 4);
  into.ssrc = readUint32(data, 8);
  into.csrcCount = csrcCount;
  into.extensionProfile = extensionProfile;
  into.payloadStart = offset;
  into.payloadEnd = end;
  return into;
}

function readUint32(data: Uint8Array, at: number): number {
  return (
    (data[at] as number) * 0x1000000 +
    (((data[at + 1] as number) << 16) | ((data[at + 2] as number) << 8) | (data[at + 3] as number))
  );
}
