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
export function collector<T>() {
  const units: T[] = [];
  const errors: string[] = [];
  return {
    units,
    errors,
    sink: {
      onUnit: (unit: T) => units.push(unit),
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
