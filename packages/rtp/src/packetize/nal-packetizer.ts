import type { RtpPayload } from './rtp-payload.js';

/** Bytes of the 16-bit size before each NAL unit in an aggregation packet (RFC 6184 §5.7.1, RFC 7798 §4.4.2). */
const AGGREGATION_SIZE_BYTES = 2;

/** What differs between H.264 (RFC 6184) and H.265 (RFC 7798) packetization. */
export interface NalPacketFormat {
  /** NAL unit header: 1 byte (H.264) or 2 (H.265); aggregation packets start with one of the same size. */
  readonly headerBytes: number;
  /** Bytes before each fragment: FU indicator + FU header (H.264: 2) or payload header + FU header (H.265: 3). */
  readonly fuHeaderBytes: number;
  /** Writes the aggregation packet's payload header for `nals` at `out[0]`. */
  writeAggregationHeader(out: Uint8Array, nals: readonly Uint8Array[]): void;
  /** Writes the fragmentation-unit headers of `nal` at `out[at]`. */
  writeFragmentHeader(out: Uint8Array, at: number, nal: Uint8Array, start: boolean, end: boolean): void;
}

/**
 * The packetization shared by RFC 6184 (non-interleaved mode) and RFC 7798
 * (without DONL), over one access unit's NAL units in decoding order:
 * consecutive NAL units that fit together go into one aggregation packet,
 * a NAL unit larger than `maxPayloadSize` is fragmented, any other is sent
 * alone. Fragments are filled to `maxPayloadSize` in order, the last carrying
 * the rest, which is how GStreamer and FFmpeg split them too. The marker bit
 * is set on the access unit's last packet (RFC 6184 §5.1, RFC 7798 §4.1).
 *
 * Single NAL unit payloads are the caller's NAL units themselves (no copy);
 * all fragments of one NAL unit share one new buffer. Treat payloads as read-only.
 */
export function packetizeNalUnits(
  nals: readonly Uint8Array[],
  format: NalPacketFormat,
  maxPayloadSize: number,
  aggregate: boolean,
): RtpPayload[] {
  const packets: RtpPayload[] = [];
  let i = 0;
  while (i < nals.length) {
    if (aggregate) {
      const end = aggregationEnd(nals, i, format.headerBytes, maxPayloadSize);
      // An aggregation packet carries at least two NAL units (RFC 7798 §4.4.2); one goes alone.
      if (end - i >= 2) {
        packets.push({ payload: aggregatePacket(nals.slice(i, end), format), marker: false });
        i = end;
        continue;
      }
    }
    const nal = nals[i] as Uint8Array;
    if (nal.length <= maxPayloadSize) {
      packets.push({ payload: nal, marker: false });
    } else {
      fragment(nal, format, maxPayloadSize, packets);
    }
    i++;
  }
  const last = packets[packets.length - 1];
  if (last !== undefined) last.marker = true;
  return packets;
}

/** One past the last NAL unit, from `start`, that fits in an aggregation packet with the ones before it. */
function aggregationEnd(nals: readonly Uint8Array[], start: number, headerBytes: number, max: number): number {
  let size = headerBytes;
  let end = start;
  while (end < nals.length) {
    const next = size + AGGREGATION_SIZE_BYTES + (nals[end] as Uint8Array).length;
    if (next > max) break;
    size = next;
    end++;
  }
  return end;
}

function aggregatePacket(nals: readonly Uint8Array[], format: NalPacketFormat): Uint8Array {
  let size = format.headerBytes;
  for (const nal of nals) size += AGGREGATION_SIZE_BYTES + nal.length;
  const out = new Uint8Array(size);
  format.writeAggregationHeader(out, nals);
  let at = format.headerBytes;
  for (const nal of nals) {
    out[at] = nal.length >>> 8;
    out[at + 1] = nal.length & 0xff;
    out.set(nal, at + AGGREGATION_SIZE_BYTES);
    at += AGGREGATION_SIZE_BYTES + nal.length;
  }
  return out;
}

/**
 * Fragments carry the NAL unit without its header, which the FU headers
 * encode instead (RFC 6184 §5.8, RFC 7798 §4.4.3). The NAL unit is larger
 * than `max`, so there are always at least two: one fragment with both the
 * start and end bits set is not allowed.
 */
function fragment(nal: Uint8Array, format: NalPacketFormat, max: number, packets: RtpPayload[]): void {
  const body = nal.subarray(format.headerBytes);
  const chunk = max - format.fuHeaderBytes;
  const count = Math.ceil(body.length / chunk);
  const buffer = new Uint8Array(body.length + count * format.fuHeaderBytes);
  for (let k = 0; k < count; k++) {
    const from = k * chunk;
    const part = body.subarray(from, Math.min(from + chunk, body.length));
    const at = from + k * format.fuHeaderBytes;
    format.writeFragmentHeader(buffer, at, nal, k === 0, k === count - 1);
    buffer.set(part, at + format.fuHeaderBytes);
    packets.push({ payload: buffer.subarray(at, at + format.fuHeaderBytes + part.length), marker: false });
  }
}
