import { RtcpPacketType } from './rtcp-packet.js';
import type { ReportBlock } from './reception-stats.js';

/** At most 31 report blocks fit one RR (5-bit count, RFC 3550 §6.4.2). */
const MAX_REPORT_BLOCKS = 31;

/**
 * A compound RTCP packet with a receiver report (RFC 3550 §6.4.2) and the
 * SDES CNAME every compound packet must carry (§6.1).
 */
export function buildReceiverReport(senderSsrc: number, blocks: readonly ReportBlock[], cname: string): Uint8Array {
  const reports = blocks.slice(0, MAX_REPORT_BLOCKS);
  const rrLength = 8 + reports.length * 24;
  const cnameBytes = new TextEncoder().encode(cname.slice(0, 255));
  // SDES chunk: SSRC, CNAME item (type 1, length, text), null terminator, padded to 32 bits.
  const chunkLength = Math.ceil((4 + 2 + cnameBytes.length + 1) / 4) * 4;
  const sdesLength = 4 + chunkLength;
  const out = new Uint8Array(rrLength + sdesLength);
  const view = new DataView(out.buffer);

  view.setUint8(0, 0x80 | reports.length);
  view.setUint8(1, RtcpPacketType.RR);
  view.setUint16(2, rrLength / 4 - 1);
  view.setUint32(4, senderSsrc);
  reports.forEach((block, i) => {
    const at = 8 + i * 24;
    view.setUint32(at, block.ssrc);
    view.setUint32(at + 4, ((block.fractionLost & 0xff) << 24) | (block.cumulativeLost & 0xffffff));
    view.setUint32(at + 8, block.extendedHighestSequence);
    view.setUint32(at + 12, block.jitter);
    view.setUint32(at + 16, block.lastSenderReport);
    view.setUint32(at + 20, block.delaySinceLastSenderReport);
  });

  const sdes = rrLength;
  view.setUint8(sdes, 0x81);
  view.setUint8(sdes + 1, RtcpPacketType.SDES);
  view.setUint16(sdes + 2, sdesLength / 4 - 1);
  view.setUint32(sdes + 4, senderSsrc);
  view.setUint8(sdes + 8, 1); // CNAME
  view.setUint8(sdes + 9, cnameBytes.length);
  out.set(cnameBytes, sdes + 10);
  return out;
}
