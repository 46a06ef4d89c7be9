import { RtpError, RtpErrorCode } from '../errors.js';
import { packetizeNalUnits, type NalPacketFormat } from './nal-packetizer.js';
import { resolveMaxPayloadSize, type RtpPayload } from './rtp-payload.js';

/** RFC 6184 §5.2 table 1: payload structure types. */
const STAP_A = 24;
const FU_A = 28;
/** NAL unit types 1..23 are H.264 NAL units; 0 and 24..31 mean something else (or nothing) in RTP. */
const MAX_NAL_TYPE = 23;
/** FU indicator + FU header (RFC 6184 §5.8). */
const FU_A_HEADER_BYTES = 2;

export interface H264PacketizeOptions {
  /** Largest RTP payload in bytes (default 1400). NAL units larger than this are sent as FU-A. */
  maxPayloadSize?: number;
  /** Put consecutive NAL units that fit together (SPS+PPS, SEI) into STAP-A packets (default true). */
  aggregate?: boolean;
}

const H264_FORMAT: NalPacketFormat = {
  headerBytes: 1,
  fuHeaderBytes: FU_A_HEADER_BYTES,
  // RFC 6184 §5.3: F is set if any aggregated F is set; NRI is the maximum of theirs.
  writeAggregationHeader(out, nals) {
    let f = 0;
    let nri = 0;
    for (const nal of nals) {
      const header = nal[0] as number;
      f |= header & 0x80;
      nri = Math.max(nri, header & 0x60);
    }
    out[0] = f | nri | STAP_A;
  },
  // RFC 6184 §5.8: the FU indicator keeps F and NRI; the FU header carries S, E, R=0 and the type.
  writeFragmentHeader(out, at, nal, start, end) {
    const header = nal[0] as number;
    out[at] = (header & 0xe0) | FU_A;
    out[at + 1] = (start ? 0x80 : 0) | (end ? 0x40 : 0) | (header & 0x1f);
  },
};

/**
 * Packetizes one H.264 access unit (its NAL units in decoding order, without
 * start codes or length prefixes) per RFC 6184 in non-interleaved mode
 * (packetization-mode=1): single NAL unit packets, STAP-A for consecutive NAL
 * units that fit one payload together, FU-A for NAL units larger than
 * `maxPayloadSize`. The last packet carries the marker bit (§5.1). The result
 * is session-independent: stamp headers with {@link writeRtpHeader}, every
 * packet with the access unit's timestamp.
 */
export function packetizeH264(nals: readonly Uint8Array[], options: H264PacketizeOptions = {}): RtpPayload[] {
  const maxPayloadSize = resolveMaxPayloadSize(options.maxPayloadSize, FU_A_HEADER_BYTES + 1);
  if (nals.length === 0) throw invalid('an access unit has at least one NAL unit');
  for (const [index, nal] of nals.entries()) {
    if (nal.length === 0) throw invalid(`NAL unit ${index} is empty`);
    const type = (nal[0] as number) & 0x1f;
    if (type === 0 || type > MAX_NAL_TYPE) {
      throw invalid(`NAL unit ${index} has type ${type}, which is not an H.264 NAL unit type (RFC 6184 §5.2)`);
    }
  }
  return packetizeNalUnits(nals, H264_FORMAT, maxPayloadSize, options.aggregate ?? true);
}

function invalid(message: string): RtpError {
  return new RtpError(RtpErrorCode.INVALID_ARGUMENT, message);
}
