import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { collector, rtp } from '../test-rtp.js';
import { AacDepacketizer, MAX_AAC_ACCESS_UNIT_BYTES, type Rfc3640Parameters } from './aac-depacketizer.js';
import type { AudioUnit } from './audio-unit.js';

const HBR: Rfc3640Parameters = {
  sizeLength: 13,
  indexLength: 3,
  indexDeltaLength: 3,
  ctsDeltaLength: 0,
  dtsDeltaLength: 0,
  randomAccessIndication: false,
  streamStateIndication: 0,
  auxiliaryDataSizeLength: 0,
  frameLength: 1024,
};

/** AU-headers-length + 13/3 AU headers (size << 3) + data, for AAC-hbr. */
function hbr(units: number[][], sizes = units.map((u) => u.length)): number[] {
  const headers = sizes.flatMap((size) => [(size << 3) >> 8, (size << 3) & 0xff]);
  const bits = sizes.length * 16;
  return [bits >> 8, bits & 0xff, ...headers, ...units.flat()];
}

function setup(params: Rfc3640Parameters = HBR) {
  const c = collector<AudioUnit>();
  const d = new AacDepacketizer(params, c.sink);
  let seq = 0;
  const send = (ts: number, payload: number[], marker = true) =>
    d.push(rtp({ seq: seq++, ts, marker, pt: 97 }, payload));
  const units = () => c.units.map((u) => [u.timestamp, [...u.data]]);
  return { c, send, units, skip: () => seq++ };
}

const AU1 = [0x21, 0x10, 0x04, 0x60];
const AU2 = [0x21, 0x10, 0x05, 0x61, 0x8c];
const AU3 = [0x21, 0x1a];

describe('AacDepacketizer (RFC 3640)', () => {
  it('delivers one AU per packet', () => {
    const t = setup();
    t.send(1000, hbr([AU1]));
    expect(t.units()).toEqual([[1000, AU1]]);
  });

  it('splits three AUs in one packet, each 1024 samples later', () => {
    const t = setup();
    t.send(2 ** 32 - 1024, hbr([AU1, AU2, AU3]));
    expect(t.units()).toEqual([
      [2 ** 32 - 1024, AU1],
      [0, AU2],
      [1024, AU3],
    ]);
  });

  it('reassembles an AU fragmented over two packets (§3.2.3)', () => {
    const big = Array.from({ length: 300 }, (_, i) => i & 0xff);
    const t = setup();
    t.send(5000, hbr([big.slice(0, 200)], [300]), false);
    t.send(5000, hbr([big.slice(200)], [300]), true);
    expect(t.units()).toEqual([[5000, big]]);
  });

  it('drops a fragmented AU cut by loss', () => {
    const big = Array.from({ length: 300 }, (_, i) => i & 0xff);
    const t = setup();
    t.send(5000, hbr([big.slice(0, 200)], [300]), false);
    t.skip();
    t.send(6024, hbr([AU1]));
    expect(t.units()).toEqual([[6024, AU1]]);
    expect(t.c.errors).toEqual([RtpErrorCode.INCOMPLETE_FRAGMENT, RtpErrorCode.PACKET_LOSS]);
  });

  it('strips ADTS headers around AUs (Reolink)', () => {
    const adts = [0xff, 0xf1, 0x50, 0x80, 0x01, 0x7f, 0xfc]; // frame length 11 = 7 + 4
    const t = setup();
    t.send(0, hbr([[...adts, ...AU1]]));
    expect(t.units()).toEqual([[0, AU1]]);
  });

  it('reads AAC-lbr headers (sizeLength 6, indexLength 2)', () => {
    const t = setup({ ...HBR, sizeLength: 6, indexLength: 2, indexDeltaLength: 2 });
    // Two 8-bit AU headers: size 4 / size 5, then 16 bits of header length.
    t.send(0, [0x00, 0x10, 4 << 2, 5 << 2, ...AU1, ...AU2]);
    expect(t.units()).toEqual([
      [0, AU1],
      [1024, AU2],
    ]);
  });

  it('handles CTS/DTS flags, RAP and stream-state bits in the AU header', () => {
    // sizeLength 13, indexLength 3, CTS-delta 4 (flag present), DTS-delta 4 (flag 0), RAP 1: 13+3+1+4+1+1 = 23 bits
    const t = setup({ ...HBR, ctsDeltaLength: 4, dtsDeltaLength: 4, randomAccessIndication: true });
    const header = (4 << 10) | (0 << 7) | (1 << 6) | (0b0011 << 2) | (0 << 1) | 1; // size, index, CTS flag+delta, DTS flag, RAP
    const bits = 23;
    t.send(0, [0, bits, (header >> 15) & 0xff, (header >> 7) & 0xff, (header << 1) & 0xff, ...AU1]);
    expect(t.units()).toEqual([[0, AU1]]);
  });

  it('uses constantSize when the AU header is empty', () => {
    const t = setup({ ...HBR, sizeLength: 0, indexLength: 0, indexDeltaLength: 0, constantSize: 4 });
    t.send(0, [...AU1, ...AU1]);
    expect(t.units()).toEqual([
      [0, AU1],
      [1024, AU1],
    ]);
  });

  it.each([
    ['a 1-byte payload', [0x00]],
    ['an AU-headers-length past the end', [0x00, 0x40, 0x00]],
    ['an AU size past the end of a multi-AU packet', [0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 1, 2]],
    ['a truncated AU header', [0x00, 0x0a, 0x00, 0x20]],
  ])('rejects %s with RTP_INVALID_AUDIO_PAYLOAD (B07)', (_name, payload) => {
    const t = setup();
    t.send(0, payload);
    t.send(1024, hbr([AU1]));
    expect(t.c.errors).toEqual([RtpErrorCode.INVALID_AUDIO_PAYLOAD]);
    expect(t.units()).toEqual([[1024, AU1]]);
  });

  it('rejects an AU over the size limit, announced in a 16-bit size field', () => {
    const t = setup({ ...HBR, sizeLength: 16, indexLength: 0, indexDeltaLength: 0 });
    const size = MAX_AAC_ACCESS_UNIT_BYTES + 1;
    t.send(0, [0x00, 0x10, size >> 8, size & 0xff, 1, 2, 3]);
    expect(t.c.errors).toEqual([RtpErrorCode.INVALID_AUDIO_PAYLOAD]);
  });

  it('fuzz: random payloads never throw and units stay within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ payload: fc.uint8Array({ maxLength: 80 }), marker: fc.boolean() }), { maxLength: 30 }),
        fc.constantFrom(
          HBR,
          { ...HBR, sizeLength: 6, indexLength: 2, indexDeltaLength: 2 },
          { ...HBR, auxiliaryDataSizeLength: 8, ctsDeltaLength: 3 },
        ),
        (steps, params) => {
          const c = collector<AudioUnit>();
          const d = new AacDepacketizer(params, c.sink);
          steps.forEach((s, seq) => d.push(rtp({ seq, ts: seq * 1024, marker: s.marker }, s.payload)));
          for (const unit of c.units) expect(unit.data.length).toBeLessThanOrEqual(MAX_AAC_ACCESS_UNIT_BYTES);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
