import { RtpError, RtpErrorCode } from '../errors.js';
import { resolveMaxPayloadSize, type RtpPayload } from './rtp-payload.js';

/** RFC 3640 §3.2.1: the AU-headers-length field before the AU headers, in bits. */
const AU_HEADERS_LENGTH_BYTES = 2;
/** The AU-headers-length field counts bits in 16 bits. */
const MAX_AU_HEADERS_BITS = 0xffff;
/** Widest AU-size, AU-Index and AU-Index-delta field written (they are sizes and counters, 32 bits is plenty). */
const MAX_FIELD_BITS = 32;
/** AAC frame length in samples, which is its duration in ticks of an RTP clock at the sampling rate (ISO 14496-3 §4.5.1.1). */
const DEFAULT_AU_DURATION = 1024;
const TIMESTAMP_MODULUS = 2 ** 32;

/** An AAC access unit (raw, no ADTS header) and its RTP timestamp. */
export interface AacAccessUnit {
  data: Uint8Array;
  timestamp: number;
}

export interface AacPacketizeOptions {
  /** Largest RTP payload in bytes (default 1400). An AU that does not fit alone is fragmented. */
  maxPayloadSize?: number;
  /** Bits of AU-size (fmtp sizeLength): 13 for AAC-hbr (default), 6 for AAC-lbr. */
  sizeLength?: number;
  /** Bits of the first AU-Index (fmtp indexLength): 3 for AAC-hbr (default), 2 for AAC-lbr. */
  indexLength?: number;
  /** Bits of each later AU-Index-delta (fmtp indexDeltaLength): 3 for AAC-hbr (default), 2 for AAC-lbr. */
  indexDeltaLength?: number;
  /** At most this many AUs in one packet (default: as many as fit). Bounds the latency a packet adds. */
  maxAusPerPacket?: number;
  /**
   * Ticks one AU lasts (default 1024: an AAC-LC frame at a clock rate equal to
   * the sampling rate). AUs are only put in one packet when each is exactly
   * this much later than the one before: the packet's timestamp is the first
   * AU's (RFC 3640 §3.1) and a receiver derives the others from it.
   */
  auDuration?: number;
}

interface AuHeaderLayout {
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}

/**
 * Packetizes AAC access units per RFC 3640 (mpeg4-generic) with bit-packed
 * AU headers (§3.2.1), AAC-hbr by default. Consecutive AUs share a packet
 * while they fit; the packet has the first AU's timestamp and every AU-Index
 * and AU-Index-delta is 0 (no interleaving). An AU that does not fit in one
 * payload is fragmented (§3.2.3.1): each fragment packet carries one AU header
 * with the size of the whole AU, the AU's timestamp, and the marker bit only
 * on the last fragment. Every packet of complete AUs has the marker bit set (§3.1).
 * Timestamps are returned as given.
 */
export function packetizeAac(
  aus: readonly AacAccessUnit[],
  options: AacPacketizeOptions = {},
): Array<RtpPayload & { timestamp: number }> {
  const layout: AuHeaderLayout = {
    sizeLength: fieldWidth('sizeLength', options.sizeLength ?? 13, 1),
    indexLength: fieldWidth('indexLength', options.indexLength ?? 3, 0),
    indexDeltaLength: fieldWidth('indexDeltaLength', options.indexDeltaLength ?? 3, 0),
  };
  // RFC 3640 §3.2.1: "If the AU-Index field is present in the first AU-header ..., then the
  // AU-Index-delta field MUST be present in any subsequent (non-first) AU-header."
  if (layout.indexLength > 0 && layout.indexDeltaLength === 0) {
    throw invalid('indexDeltaLength must be set when indexLength is (RFC 3640 §3.2.1)');
  }
  const firstHeaderBits = layout.sizeLength + layout.indexLength;
  const laterHeaderBits = layout.sizeLength + layout.indexDeltaLength;
  const firstOverhead = AU_HEADERS_LENGTH_BYTES + Math.ceil(firstHeaderBits / 8);
  const maxPayloadSize = resolveMaxPayloadSize(options.maxPayloadSize, firstOverhead + 1);
  const maxAusPerPacket = options.maxAusPerPacket ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(maxAusPerPacket) || maxAusPerPacket < 1) {
    throw invalid(`maxAusPerPacket ${maxAusPerPacket} is not a positive integer`);
  }
  const auDuration = options.auDuration ?? DEFAULT_AU_DURATION;
  if (!Number.isSafeInteger(auDuration) || auDuration < 1) {
    throw invalid(`auDuration ${auDuration} is not a positive integer`);
  }
  const maxAuSize = 2 ** layout.sizeLength - 1;
  for (const [index, au] of aus.entries()) {
    if (au.data.length === 0 || au.data.length > maxAuSize) {
      throw invalid(`AU ${index} of ${au.data.length} bytes does not fit a ${layout.sizeLength}-bit AU-size`);
    }
    if (!Number.isSafeInteger(au.timestamp) || au.timestamp < 0) {
      throw invalid(`AU ${index} has timestamp ${au.timestamp}, not a non-negative integer`);
    }
  }

  const packets: Array<RtpPayload & { timestamp: number }> = [];
  let i = 0;
  while (i < aus.length) {
    const first = aus[i] as AacAccessUnit;
    if (firstOverhead + first.data.length > maxPayloadSize) {
      fragment(first, layout, maxPayloadSize - firstOverhead, packets);
      i++;
      continue;
    }
    let headerBits = firstHeaderBits;
    let dataBytes = first.data.length;
    let end = i + 1;
    while (end < aus.length && end - i < maxAusPerPacket) {
      const next = aus[end] as AacAccessUnit;
      if (!follows(next.timestamp, first.timestamp, (end - i) * auDuration)) break;
      const bits = headerBits + laterHeaderBits;
      const bytes = dataBytes + next.data.length;
      if (bits > MAX_AU_HEADERS_BITS || AU_HEADERS_LENGTH_BYTES + Math.ceil(bits / 8) + bytes > maxPayloadSize) break;
      headerBits = bits;
      dataBytes = bytes;
      end++;
    }
    packets.push({
      payload: completeAusPayload(aus, i, end, layout, headerBits, dataBytes),
      marker: true,
      timestamp: first.timestamp,
    });
    i = end;
  }
  return packets;
}

/** True when `timestamp` is `distance` ticks after `base`, modulo 2^32 (callers may pass wrapped timestamps). */
function follows(timestamp: number, base: number, distance: number): boolean {
  return (((timestamp - base - distance) % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS === 0;
}

function completeAusPayload(
  aus: readonly AacAccessUnit[],
  from: number,
  to: number,
  layout: AuHeaderLayout,
  headerBits: number,
  dataBytes: number,
): Uint8Array {
  const headerBytes = Math.ceil(headerBits / 8);
  const out = new Uint8Array(AU_HEADERS_LENGTH_BYTES + headerBytes + dataBytes);
  out[0] = headerBits >>> 8;
  out[1] = headerBits & 0xff;
  let bit = AU_HEADERS_LENGTH_BYTES * 8;
  let at = AU_HEADERS_LENGTH_BYTES + headerBytes;
  for (let k = from; k < to; k++) {
    const data = (aus[k] as AacAccessUnit).data;
    bit = writeBits(out, bit, data.length, layout.sizeLength);
    // AU-Index 0 for the first AU, AU-Index-delta 0 for the next: consecutive, not interleaved (§3.2.1.1).
    bit = writeBits(out, bit, 0, k === from ? layout.indexLength : layout.indexDeltaLength);
    out.set(data, at);
    at += data.length;
  }
  return out;
}

function fragment(
  au: AacAccessUnit,
  layout: AuHeaderLayout,
  chunk: number,
  packets: Array<RtpPayload & { timestamp: number }>,
): void {
  const headerBits = layout.sizeLength + layout.indexLength;
  const prefix = AU_HEADERS_LENGTH_BYTES + Math.ceil(headerBits / 8);
  for (let from = 0; from < au.data.length; from += chunk) {
    const part = au.data.subarray(from, Math.min(from + chunk, au.data.length));
    const out = new Uint8Array(prefix + part.length);
    out[0] = headerBits >>> 8;
    out[1] = headerBits & 0xff;
    // §3.2.1.1: "When the AU-size is associated with an AU fragment, the AU size indicates
    // the size of the entire AU and not the size of the fragment."
    writeBits(out, AU_HEADERS_LENGTH_BYTES * 8, au.data.length, layout.sizeLength);
    out.set(part, prefix);
    packets.push({ payload: out, marker: from + part.length === au.data.length, timestamp: au.timestamp });
  }
}

/** Writes `value` MSB-first as `width` bits at bit position `bit` of zeroed `out`; returns the next position. */
function writeBits(out: Uint8Array, bit: number, value: number, width: number): number {
  for (let k = width - 1; k >= 0; k--, bit++) {
    if (Math.floor(value / 2 ** k) % 2 === 1) out[bit >>> 3] = (out[bit >>> 3] as number) | (0x80 >>> (bit & 7));
  }
  return bit;
}

function fieldWidth(name: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum || value > MAX_FIELD_BITS) {
    throw invalid(`${name} ${value} is outside ${minimum}..${MAX_FIELD_BITS}`);
  }
  return value;
}

function invalid(message: string): RtpError {
  return new RtpError(RtpErrorCode.INVALID_ARGUMENT, message);
}
