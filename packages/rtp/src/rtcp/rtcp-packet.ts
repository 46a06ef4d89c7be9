import { RtpError, RtpErrorCode } from '../errors.js';
import { ntpMiddle32, ntpToUnixMs } from './ntp.js';

/** RTCP packet types, RFC 3550 §12.1. */
export const RtcpPacketType = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204 } as const;

export interface SenderReport {
  ssrc: number;
  /** Sender's wall clock at `rtpTimestamp`, in ms since the Unix epoch. */
  ntpMs: number;
  /** Middle 32 bits of the NTP timestamp, echoed as LSR in receiver reports. */
  ntpMiddle: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface RtcpCompound {
  senderReports: SenderReport[];
  /** SSRCs that said goodbye. */
  byes: number[];
}

/**
 * Parses a compound RTCP packet (RFC 3550 §6.1), keeping what a receiver uses:
 * sender reports (for wall-clock mapping) and BYE. Unknown packet types are
 * skipped. Tolerant of a last packet whose length field overshoots the
 * datagram when its fixed fields are present (Hanwha, gortsplib ca3a1443);
 * anything else malformed throws RtpError RTP_INVALID_RTCP.
 */
export function parseRtcpCompound(data: Uint8Array): RtcpCompound {
  const result: RtcpCompound = { senderReports: [], byes: [] };
  let offset = 0;
  while (offset + 4 <= data.length) {
    const b0 = data[offset] as number;
    if (b0 >>> 6 !== 2) throw invalid(`RTCP version ${b0 >>> 6} is not 2`);
    const count = b0 & 0x1f;
    const type = data[offset + 1] as number;
    const declared = ((((data[offset + 2] as number) << 8) | (data[offset + 3] as number)) + 1) * 4;
    const end = Math.min(offset + declared, data.length);
    if (type === RtcpPacketType.SR) {
      if (offset + 28 > end) throw invalid('RTCP sender report is truncated');
      const view = new DataView(data.buffer, data.byteOffset + offset, 28);
      const seconds = view.getUint32(8);
      const fraction = view.getUint32(12);
      result.senderReports.push({
        ssrc: view.getUint32(4),
        ntpMs: ntpToUnixMs(seconds, fraction),
        ntpMiddle: ntpMiddle32(seconds, fraction),
        rtpTimestamp: view.getUint32(16),
        packetCount: view.getUint32(20),
        octetCount: view.getUint32(24),
      });
    } else if (type === RtcpPacketType.BYE) {
      for (let i = 0; i < count && offset + 8 + i * 4 <= end; i++) {
        result.byes.push(new DataView(data.buffer, data.byteOffset + offset + 4 + i * 4, 4).getUint32(0));
      }
    }
    offset += declared;
  }
  if (offset === 0) throw invalid(`RTCP packet of ${data.length} bytes is too short`);
  return result;
}

function invalid(message: string): RtpError {
  return new RtpError(RtpErrorCode.INVALID_RTCP, message);
}
