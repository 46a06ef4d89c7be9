import { RtpError, RtpErrorCode } from '../errors.js';

/** RFC 3550 §5.1: the fixed header without CSRCs or extension is 12 bytes. */
export const RTP_HEADER_BYTES = 12;

/** The RFC 3550 §5.1 fixed-header fields a sender stamps on each packet. */
export interface RtpHeaderFields {
  marker: boolean;
  /** 0..127 */
  payloadType: number;
  /** 0..65535 */
  sequenceNumber: number;
  /** 32-bit RTP timestamp, unsigned. */
  timestamp: number;
  /** 32-bit synchronization source, unsigned. */
  ssrc: number;
}

/**
 * Writes the 12-byte fixed RTP header (V=2, no padding, no extension, no
 * CSRCs; RFC 3550 §5.1) at `offset`. Lets a server packetize a clip once and
 * stamp each session's sequence numbers, timestamps and SSRC into its own
 * buffer, e.g. after the 4-byte interleaved prefix of RFC 2326 §10.12.
 * Values outside their field are caller bugs and throw RTP_INVALID_ARGUMENT:
 * wrapping them silently would hide an arithmetic mistake.
 */
export function writeRtpHeader(target: Uint8Array, offset: number, fields: RtpHeaderFields): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + RTP_HEADER_BYTES > target.length) {
    throw invalid(`no room for a 12-byte RTP header at offset ${offset} of ${target.length} bytes`);
  }
  checkField('payload type', fields.payloadType, 0x7f);
  checkField('sequence number', fields.sequenceNumber, 0xffff);
  checkField('timestamp', fields.timestamp, 0xffffffff);
  checkField('SSRC', fields.ssrc, 0xffffffff);
  target[offset] = 0x80;
  target[offset + 1] = (fields.marker ? 0x80 : 0) | fields.payloadType;
  target[offset + 2] = fields.sequenceNumber >>> 8;
  target[offset + 3] = fields.sequenceNumber & 0xff;
  writeUint32(target, offset + 4, fields.timestamp);
  writeUint32(target, offset + 8, fields.ssrc);
}

/** Header and payload in one new buffer (one allocation, the payload copied once). */
export function buildRtpPacket(fields: RtpHeaderFields, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(RTP_HEADER_BYTES + payload.length);
  writeRtpHeader(packet, 0, fields);
  packet.set(payload, RTP_HEADER_BYTES);
  return packet;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw invalid(`RTP ${name} ${value} is outside 0..${max}`);
  }
}

function writeUint32(target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = (value >>> 16) & 0xff;
  target[at + 2] = (value >>> 8) & 0xff;
  target[at + 3] = value & 0xff;
}

function invalid(message: string): RtpError {
  return new RtpError(RtpErrorCode.INVALID_ARGUMENT, message);
}
