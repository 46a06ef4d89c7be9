import { RtcpPacketType } from './rtcp-packet.js';
import { unixMsToNtp } from './ntp.js';

export interface SenderReportFields {
  ssrc: number;
  /** Sender's wall clock, ms since the Unix epoch. */
  wallclockMs: number;
  /** RTP timestamp corresponding to `wallclockMs`. */
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  cname: string;
}

/** A compound RTCP packet: sender report without report blocks (RFC 3550 §6.4.1) + SDES CNAME (§6.5). */
export function buildSenderReport(fields: SenderReportFields): Uint8Array {
  const cname = new TextEncoder().encode(fields.cname.slice(0, 255));
  const chunkLength = Math.ceil((4 + 2 + cname.length + 1) / 4) * 4;
  const out = new Uint8Array(28 + 4 + chunkLength);
  const view = new DataView(out.buffer);
  const [seconds, fraction] = unixMsToNtp(fields.wallclockMs);
  view.setUint8(0, 0x80);
  view.setUint8(1, RtcpPacketType.SR);
  view.setUint16(2, 6);
  view.setUint32(4, fields.ssrc);
  view.setUint32(8, seconds);
  view.setUint32(12, fraction);
  view.setUint32(16, fields.rtpTimestamp >>> 0);
  view.setUint32(20, fields.packetCount >>> 0);
  view.setUint32(24, fields.octetCount >>> 0);
  view.setUint8(28, 0x81);
  view.setUint8(29, RtcpPacketType.SDES);
  view.setUint16(30, (4 + chunkLength) / 4 - 1);
  view.setUint32(32, fields.ssrc);
  view.setUint8(36, 1);
  view.setUint8(37, cname.length);
  out.set(cname, 38);
  return out;
}
