import { RtpError, RtpErrorCode } from '../errors.js';
import { packetizeNalUnits, type NalPacketFormat } from './nal-packetizer.js';
import { resolveMaxPayloadSize, type RtpPayload } from './rtp-payload.js';

/** RFC 7798 §4.4.2 and §4.4.3: payload header types of aggregation and fragmentation units. */
const AP = 48;
const FU = 49;
/** NAL unit types 48..63 are unspecified in H.265 and taken by RTP (48 AP, 49 FU, 50 PACI). */
const MAX_NAL_TYPE = 47;
/** Payload header + FU header (RFC 7798 §4.4.3; no DONL). */
const FU_HEADER_BYTES = 3;

export interface H265PacketizeOptions {
  /** Largest RTP payload in bytes (default 1400). NAL units larger than this are sent as FUs. */
  maxPayloadSize?: number;
  /** Put consecutive NAL units that fit together (VPS+SPS+PPS, SEI) into APs (default true). */
  aggregate?: boolean;
}

/** H.265 §7.3.1.2: forbidden_zero_bit(1) nal_unit_type(6) nuh_layer_id(6) nuh_temporal_id_plus1(3). */
const layerId = (nal: Uint8Array): number => (((nal[0] as number) & 0x01) << 5) | ((nal[1] as number) >>> 3);
const tid = (nal: Uint8Array): number => (nal[1] as number) & 0x07;

const H265_FORMAT: NalPacketFormat = {
  headerBytes: 2,
  fuHeaderBytes: FU_HEADER_BYTES,
  // RFC 7798 §4.4.2: F is set if any aggregated F is set; LayerId and TID are the lowest of the aggregated ones.
  writeAggregationHeader(out, nals) {
    let f = 0;
    let lowestLayerId = 0x3f;
    let lowestTid = 0x07;
    for (const nal of nals) {
      f |= (nal[0] as number) & 0x80;
      lowestLayerId = Math.min(lowestLayerId, layerId(nal));
      lowestTid = Math.min(lowestTid, tid(nal));
    }
    out[0] = f | (AP << 1) | (lowestLayerId >>> 5);
    out[1] = ((lowestLayerId & 0x1f) << 3) | lowestTid;
  },
  // RFC 7798 §4.4.3: the payload header keeps F, LayerId and TID; the FU header carries S, E and FuType.
  writeFragmentHeader(out, at, nal, start, end) {
    const b0 = nal[0] as number;
    out[at] = (b0 & 0x81) | (FU << 1);
    out[at + 1] = nal[1] as number;
    out[at + 2] = (start ? 0x80 : 0) | (end ? 0x40 : 0) | ((b0 >>> 1) & 0x3f);
  },
};

/**
 * Packetizes one H.265 access unit (its NAL units in decoding order, without
 * start codes or length prefixes) per RFC 7798 without DONL
 * (sprop-max-don-diff=0): single NAL unit packets, aggregation packets (type
 * 48) for consecutive NAL units that fit one payload together, and
 * fragmentation units (type 49) for NAL units larger than `maxPayloadSize`.
 * The last packet carries the marker bit (§4.1).
 */
export function packetizeH265(nals: readonly Uint8Array[], options: H265PacketizeOptions = {}): RtpPayload[] {
  const maxPayloadSize = resolveMaxPayloadSize(options.maxPayloadSize, FU_HEADER_BYTES + 1);
  if (nals.length === 0) throw invalid('an access unit has at least one NAL unit');
  for (const [index, nal] of nals.entries()) {
    if (nal.length < 2) throw invalid(`NAL unit ${index} is shorter than its 2-byte header`);
    const type = ((nal[0] as number) >>> 1) & 0x3f;
    if (type > MAX_NAL_TYPE) {
      throw invalid(`NAL unit ${index} has type ${type}, which RTP reserves (RFC 7798 §4.4)`);
    }
    // H.265 §7.4.2.2: nuh_temporal_id_plus1 is never 0; an AP header built from it would be invalid.
    if (tid(nal) === 0) throw invalid(`NAL unit ${index} has nuh_temporal_id_plus1 = 0`);
  }
  return packetizeNalUnits(nals, H265_FORMAT, maxPayloadSize, options.aggregate ?? true);
}

function invalid(message: string): RtpError {
  return new RtpError(RtpErrorCode.INVALID_ARGUMENT, message);
}
