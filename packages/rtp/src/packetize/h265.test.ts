import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { packetizeH265, type H265PacketizeOptions } from './h265.js';
import { hex, reassembleH265 } from './test-reassemble.js';

// Two-byte NAL unit headers (H.265 §7.3.1.2), layer 0, TemporalId 0 (nuh_temporal_id_plus1 = 1).
const VPS = [0x40, 0x01, 0x0c];
const SPS = [0x42, 0x01, 0x01, 0x02];
const PPS = [0x44, 0x01, 0xc1];
const TRAIL_R = [0x02, 0x01, 0xd0, 0x0b];
/** A two-byte header followed by 1, 2, ..., n. */
const nal = (b0: number, b1: number, n: number): number[] => [b0, b1, ...Array.from({ length: n }, (_, i) => i + 1)];
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

type Packet = [payload: number[], marker: boolean];

describe('packetizeH265 (RFC 7798, no DONL)', () => {
  const cases: Array<[name: string, nals: number[][], options: H265PacketizeOptions, want: Packet[]]> = [
    ['a single NAL unit packet (§4.4.1)', [TRAIL_R], {}, [[TRAIL_R, true]]],
    [
      'AP of VPS, SPS and PPS: payload header type 48 (§4.4.2)',
      [VPS, SPS, PPS],
      {},
      [[[0x60, 0x01, 0, 3, ...VPS, 0, 4, ...SPS, 0, 3, ...PPS], true]],
    ],
    [
      'AP header: F if any F, the lowest LayerId and TID (§4.4.2)',
      [
        [0x02, 0x0b], // TRAIL_R, LayerId 1, TID+1 3
        [0x83, 0x02], // F set, LayerId 32 (high bit in byte 0), TID+1 2
      ],
      {},
      [[[0xe0, 0x0a, 0, 2, 0x02, 0x0b, 0, 2, 0x83, 0x02], true]],
    ],
    [
      'FU start, middle and end with the 3-byte header (§4.4.3)',
      [nal(0x26, 0x01, 10)], // IDR_W_RADL
      { maxPayloadSize: 6 },
      [
        [[0x62, 0x01, 0x93, 1, 2, 3], false],
        [[0x62, 0x01, 0x13, 4, 5, 6], false],
        [[0x62, 0x01, 0x13, 7, 8, 9], false],
        [[0x62, 0x01, 0x53, 10], true],
      ],
    ],
    [
      'FU payload header keeps F, LayerId and TID of the NAL unit (§4.4.3)',
      [nal(0x83, 0x0a, 3)], // F, type 1, LayerId 33, TID+1 2
      { maxPayloadSize: 4 },
      [
        [[0xe3, 0x0a, 0x81, 1], false],
        [[0xe3, 0x0a, 0x01, 2], false],
        [[0xe3, 0x0a, 0x41, 3], true],
      ],
    ],
    [
      'aggregation stops at maxPayloadSize: AP of VPS+SPS, then PPS alone, then FU',
      [VPS, SPS, PPS, nal(0x26, 0x01, 13)],
      { maxPayloadSize: 14 },
      [
        [[0x60, 0x01, 0, 3, ...VPS, 0, 4, ...SPS], false],
        [PPS, false],
        [[0x62, 0x01, 0x93, ...range(1, 11)], false],
        [[0x62, 0x01, 0x53, 12, 13], true],
      ],
    ],
    [
      'aggregate: false sends parameter sets as single NAL unit packets',
      [VPS, SPS, PPS],
      { aggregate: false },
      [
        [VPS, false],
        [SPS, false],
        [PPS, true],
      ],
    ],
  ];
  it.each(cases)('%s', (_name, nals, options, want) => {
    const packets = packetizeH265(
      nals.map((n) => Uint8Array.from(n)),
      options,
    );
    expect(packets.map((p): Packet => [[...p.payload], p.marker])).toEqual(want);
  });

  const bad: Array<[name: string, nals: number[][], options: H265PacketizeOptions]> = [
    ['an access unit without NAL units', [], {}],
    ['a NAL unit shorter than its header', [[0x02]], {}],
    ['an AP passed as a NAL unit (type 48)', [[0x60, 0x01, 0, 1, 0]], {}],
    ['an FU passed as a NAL unit (type 49)', [[0x62, 0x01, 0x93, 1]], {}],
    ['nuh_temporal_id_plus1 = 0', [[0x02, 0x00, 1]], {}],
    ['maxPayloadSize 3 (no room for a fragment)', [VPS], { maxPayloadSize: 3 }],
  ];
  it.each(bad)('rejects %s with RTP_INVALID_ARGUMENT', (_name, nals, options) => {
    expect(() =>
      packetizeH265(
        nals.map((n) => Uint8Array.from(n)),
        options,
      ),
    ).toThrow(expect.objectContaining({ code: RtpErrorCode.INVALID_ARGUMENT }));
  });

  it(
    'fuzz: payloads fit maxPayloadSize, only the last is marked, and reassembly gives the NAL units back',
    () => {
      const arbitraryNal = fc
        .tuple(
          fc.boolean(),
          fc.integer({ min: 0, max: 47 }),
          fc.integer({ min: 0, max: 63 }),
          fc.integer({ min: 1, max: 7 }),
          fc.uint8Array({ maxLength: 3000 }),
        )
        .map(([f, type, layer, tid, body]) =>
          Uint8Array.of((f ? 0x80 : 0) | (type << 1) | (layer >>> 5), ((layer & 0x1f) << 3) | tid, ...body),
        );
      fc.assert(
        fc.property(
          fc.array(arbitraryNal, { minLength: 1, maxLength: 8 }),
          fc.integer({ min: 4, max: 1500 }),
          fc.boolean(),
          (nals, maxPayloadSize, aggregate) => {
            const packets = packetizeH265(nals, { maxPayloadSize, aggregate });
            expect(packets.reduce((n, p) => Math.max(n, p.payload.length), 0)).toBeLessThanOrEqual(maxPayloadSize);
            expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
            expect(hex(reassembleH265(packets))).toEqual(hex(nals));
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
