import { parseRtpPacket, type RtpPacket } from './rtp-packet.js';

export interface TestPacketFields {
  seq: number;
  ts: number;
  marker?: boolean;
  pt?: number;
  ssrc?: number;
}

/** Builds and parses an RTP packet (12-byte header + payload) for tests. */
export function rtp(fields: TestPacketFields, payload: readonly number[] | Uint8Array): RtpPacket {
  const data = new Uint8Array(12 + payload.length);
  const view = new DataView(data.buffer);
  view.setUint8(0, 0x80);
  view.setUint8(1, (fields.marker === true ? 0x80 : 0) | (fields.pt ?? 96));
  view.setUint16(2, fields.seq & 0xffff);
  view.setUint32(4, fields.ts >>> 0);
  view.setUint32(8, fields.ssrc ?? 0x11223344);
  data.set(payload, 12);
  return parseRtpPacket(data);
}

/** Collects what a depacketizer emits. */
export function collector<T extends { data: Uint8Array; nals?: Uint8Array[] }>() {
  const units: T[] = [];
  const errors: string[] = [];
  return {
    units,
    errors,
    sink: {
      // A unit's bytes are the depacketizer's again once onUnit returns (its slab, the packet): keep a copy.
      onUnit: (unit: T) => units.push(copyOf(unit)),
      onError: (code: string) => errors.push(code),
    },
  };
}

/** Length-prefixed bytes of the given NAL units (the expected output format). */
export function lengthPrefixed(...nals: ReadonlyArray<readonly number[]>): number[] {
  return nals.flatMap((nal) => [
    (nal.length >>> 24) & 0xff,
    (nal.length >>> 16) & 0xff,
    (nal.length >>> 8) & 0xff,
    nal.length & 0xff,
    ...nal,
  ]);
}

/** The unit with its bytes copied, and for video its NAL unit views rebuilt on the copy. */
function copyOf<T extends { data: Uint8Array; nals?: Uint8Array[] }>(unit: T): T {
  const data = unit.data.slice();
  if (unit.nals === undefined) return { ...unit, data };
  const base = unit.data.byteOffset;
  const nals = unit.nals.map((nal) => {
    const at = nal.byteOffset - base;
    const inside = nal.buffer === unit.data.buffer && at >= 0 && at + nal.length <= data.length;
    return inside ? data.subarray(at, at + nal.length) : nal.slice();
  });
  return { ...unit, data, nals };
}
