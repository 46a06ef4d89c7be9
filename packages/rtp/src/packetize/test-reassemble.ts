// Reference depacketizers for the packetizer tests: small and strict, written
// straight from the RFCs so that a packetizer bug cannot hide behind a matching one.
import { assert } from 'vitest';
import type { AacAccessUnit } from './aac.js';
import type { RtpPayload } from './rtp-payload.js';

/** Hex of each unit: compares large byte arrays far faster than a deep equality of Uint8Arrays. */
export const hex = (units: readonly Uint8Array[]): string[] => units.map((u) => Buffer.from(u).toString('hex'));

/** A cheap assertion for per-packet checks (fuzz runs make hundreds of thousands). */
function check(condition: boolean, message: string): void {
  if (!condition) assert.fail(message);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Splits an aggregation packet body into its 16-bit-size-prefixed units. */
function splitAggregated(body: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let at = 0;
  while (at < body.length) {
    check(at + 2 <= body.length, 'aggregation unit size is truncated');
    const size = ((body[at] as number) << 8) | (body[at + 1] as number);
    check(size > 0 && at + 2 + size <= body.length, `aggregation unit of ${size} bytes does not fit`);
    units.push(body.subarray(at + 2, at + 2 + size));
    at += 2 + size;
  }
  check(units.length >= 2, 'an aggregation packet carries at least two NAL units');
  return units;
}

interface NalSyntax {
  headerBytes: number;
  aggregationType: number;
  fragmentationType: number;
  type(payload: Uint8Array): number;
  /** The NAL unit header a fragmentation unit stands for. */
  fragmentedHeader(payload: Uint8Array): Uint8Array;
}

const H264: NalSyntax = {
  headerBytes: 1,
  aggregationType: 24,
  fragmentationType: 28,
  type: (p) => (p[0] as number) & 0x1f,
  fragmentedHeader: (p) => Uint8Array.of(((p[0] as number) & 0xe0) | ((p[1] as number) & 0x1f)),
};

const H265: NalSyntax = {
  headerBytes: 2,
  aggregationType: 48,
  fragmentationType: 49,
  type: (p) => ((p[0] as number) >>> 1) & 0x3f,
  fragmentedHeader: (p) => Uint8Array.of(((p[0] as number) & 0x81) | (((p[2] as number) & 0x3f) << 1), p[1] as number),
};

function reassembleNalUnits(payloads: readonly RtpPayload[], syntax: NalSyntax): Uint8Array[] {
  const nals: Uint8Array[] = [];
  let fragments: Uint8Array[] | undefined;
  const fuHeaderAt = syntax.headerBytes;
  for (const { payload } of payloads) {
    const type = syntax.type(payload);
    if (type === syntax.fragmentationType) {
      const fuHeader = payload[fuHeaderAt] as number;
      const start = (fuHeader & 0x80) !== 0;
      const end = (fuHeader & 0x40) !== 0;
      check(!(start && end), 'one fragment may not be both start and end');
      check(start === (fragments === undefined), 'the start bit is set exactly on the first fragment');
      check(payload.length > fuHeaderAt + 1, 'a fragment carries at least one byte');
      fragments ??= [syntax.fragmentedHeader(payload)];
      fragments.push(payload.subarray(fuHeaderAt + 1));
      if (end) {
        nals.push(concat(fragments));
        fragments = undefined;
      }
      continue;
    }
    check(fragments === undefined, 'a fragmented NAL unit is finished before the next packet');
    if (type === syntax.aggregationType) nals.push(...splitAggregated(payload.subarray(syntax.headerBytes)));
    else nals.push(payload);
  }
  check(fragments === undefined, 'the last fragment has the end bit');
  return nals;
}

export const reassembleH264 = (payloads: readonly RtpPayload[]): Uint8Array[] => reassembleNalUnits(payloads, H264);
export const reassembleH265 = (payloads: readonly RtpPayload[]): Uint8Array[] => reassembleNalUnits(payloads, H265);

function readBits(data: Uint8Array, bit: number, width: number): number {
  let value = 0;
  for (let k = 0; k < width; k++, bit++) value = value * 2 + (((data[bit >>> 3] as number) >>> (7 - (bit & 7))) & 1);
  return value;
}

/** RFC 3640 §3.2: AU headers, then the AUs or one fragment; AU timestamps follow the packet's by `auDuration`. */
export function reassembleAac(
  packets: ReadonlyArray<RtpPayload & { timestamp: number }>,
  layout: { sizeLength: number; indexLength: number; indexDeltaLength: number },
  auDuration = 1024,
): AacAccessUnit[] {
  const aus: AacAccessUnit[] = [];
  let fragment: { size: number; received: number; parts: Uint8Array[]; timestamp: number } | undefined;
  for (const { payload, marker, timestamp } of packets) {
    const headerBits = ((payload[0] as number) << 8) | (payload[1] as number);
    const sizes: number[] = [];
    let bit = 16;
    while (bit < 16 + headerBits) {
      sizes.push(readBits(payload, bit, layout.sizeLength));
      bit += layout.sizeLength;
      const indexWidth = sizes.length === 1 ? layout.indexLength : layout.indexDeltaLength;
      check(readBits(payload, bit, indexWidth) === 0, 'AU-Index and AU-Index-delta are 0');
      bit += indexWidth;
    }
    check(bit === 16 + headerBits, 'AU-headers-length covers whole AU headers');
    let at = 2 + Math.ceil(headerBits / 8);
    const body = payload.length - at;
    const total = sizes.reduce((n, s) => n + s, 0);
    if (fragment !== undefined || (sizes.length === 1 && total > body)) {
      // A fragment: one AU header with the whole AU's size (§3.2.1.1).
      check(sizes.length === 1, 'a fragment packet has one AU header');
      fragment ??= { size: total, received: 0, parts: [], timestamp };
      check(total === fragment.size && timestamp === fragment.timestamp, 'fragments agree on AU size and timestamp');
      fragment.parts.push(payload.subarray(at));
      fragment.received += body;
      check(fragment.received <= fragment.size, 'fragments add up to at most the AU size');
      check(marker === (fragment.received === fragment.size), 'the marker is set exactly on the last fragment');
      if (marker) {
        aus.push({ data: concat(fragment.parts), timestamp });
        fragment = undefined;
      }
      continue;
    }
    check(marker, 'packets of complete AUs are marked');
    check(total === body, 'AU sizes add up to the payload');
    for (const [k, size] of sizes.entries()) {
      aus.push({ data: payload.subarray(at, at + size), timestamp: (timestamp + k * auDuration) % 2 ** 32 });
      at += size;
    }
  }
  check(fragment === undefined, 'the last fragment was marked');
  return aus;
}
