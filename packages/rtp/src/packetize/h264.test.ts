import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { packetizeH264, type H264PacketizeOptions } from './h264.js';
import { hex, reassembleH264 } from './test-reassemble.js';

const SPS = [0x67, 0x42, 0x00, 0x1f];
const PPS = [0x68, 0xce, 0x3c, 0x80];
const SEI = [0x06, 0x05, 0x01, 0xaa]; // NRI 0
const IDR = [0x65, 0x88, 0x84, 0x00, 0x33];
const P_SLICE = [0x41, 0x9a, 0x02]; // NRI 2
/** `first` followed by 1, 2, ..., n. */
const nal = (first: number, n: number): number[] => [first, ...Array.from({ length: n }, (_, i) => i + 1)];
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

type Packet = [payload: number[], marker: boolean];

describe('packetizeH264 (RFC 6184, packetization-mode=1)', () => {
  const cases: Array<[name: string, nals: number[][], options: H264PacketizeOptions, want: Packet[]]> = [
    ['a single NAL unit packet (§5.6)', [P_SLICE], {}, [[P_SLICE, true]]],
    [
      'STAP-A of SPS, PPS and IDR that fit together (§5.7.1)',
      [SPS, PPS, IDR],
      {},
      [[[0x78, 0, 4, ...SPS, 0, 4, ...PPS, 0, 5, ...IDR], true]],
    ],
    ['STAP-A header: the highest NRI (§5.3)', [SEI, P_SLICE], {}, [[[0x58, 0, 4, ...SEI, 0, 3, ...P_SLICE], true]]],
    [
      'STAP-A header: F set when any aggregated F is set (§5.3)',
      [
        [0x86, 0x05],
        [0x01, 0x9a],
      ],
      {},
      [[[0x98, 0, 2, 0x86, 0x05, 0, 2, 0x01, 0x9a], true]],
    ],
    [
      'aggregation stops at maxPayloadSize: STAP-A, a single SEI, FU-A',
      [SPS, PPS, SEI, nal(0x65, 19)],
      { maxPayloadSize: 13 },
      [
        [[0x78, 0, 4, ...SPS, 0, 4, ...PPS], false],
        [SEI, false],
        [[0x7c, 0x85, ...range(1, 11)], false],
        [[0x7c, 0x45, ...range(12, 19)], true],
      ],
    ],
    [
      'FU-A start, middle and end fragments (§5.8)',
      [nal(0x65, 10)],
      { maxPayloadSize: 5 },
      [
        [[0x7c, 0x85, 1, 2, 3], false],
        [[0x7c, 0x05, 4, 5, 6], false],
        [[0x7c, 0x05, 7, 8, 9], false],
        [[0x7c, 0x45, 10], true],
      ],
    ],
    [
      'FU-A indicator keeps F and NRI 0',
      [nal(0x81, 4)],
      { maxPayloadSize: 4 },
      [
        [[0x9c, 0x81, 1, 2], false],
        [[0x9c, 0x41, 3, 4], true],
      ],
    ],
    ['a NAL unit of exactly maxPayloadSize goes alone', [nal(0x41, 2)], { maxPayloadSize: 3 }, [[[0x41, 1, 2], true]]],
    [
      'one byte more is fragmented, one byte per fragment at the smallest maxPayloadSize',
      [nal(0x41, 3)],
      { maxPayloadSize: 3 },
      [
        [[0x5c, 0x81, 1], false],
        [[0x5c, 0x01, 2], false],
        [[0x5c, 0x41, 3], true],
      ],
    ],
    [
      'aggregate: false sends parameter sets as single NAL unit packets',
      [SPS, PPS, IDR],
      { aggregate: false },
      [
        [SPS, false],
        [PPS, false],
        [IDR, true],
      ],
    ],
  ];
  it.each(cases)('%s', (_name, nals, options, want) => {
    const packets = packetizeH264(
      nals.map((n) => Uint8Array.from(n)),
      options,
    );
    expect(packets.map((p): Packet => [[...p.payload], p.marker])).toEqual(want);
  });

  it('sends single NAL units without copying them', () => {
    const idr = Uint8Array.from(IDR);
    expect(packetizeH264([idr], { aggregate: false })[0]!.payload).toBe(idr);
  });

  const bad: Array<[name: string, nals: number[][], options: H264PacketizeOptions]> = [
    ['an access unit without NAL units', [], {}],
    ['an empty NAL unit', [SPS, []], {}],
    ['NAL unit type 0', [[0x60, 1]], {}],
    ['a STAP-A passed as a NAL unit (type 24)', [[0x78, 0, 1, 0x09]], {}],
    ['NAL unit type 31', [[0x7f]], {}],
    ['maxPayloadSize 2 (no room for a fragment)', [SPS], { maxPayloadSize: 2 }],
    ['maxPayloadSize past one UDP datagram', [SPS], { maxPayloadSize: 65_496 }],
    ['a fractional maxPayloadSize', [SPS], { maxPayloadSize: 100.5 }],
  ];
  it.each(bad)('rejects %s with RTP_INVALID_ARGUMENT', (_name, nals, options) => {
    expect(() =>
      packetizeH264(
        nals.map((n) => Uint8Array.from(n)),
        options,
      ),
    ).toThrow(expect.objectContaining({ code: RtpErrorCode.INVALID_ARGUMENT }));
  });

  it(
    'fuzz: payloads fit maxPayloadSize, only the last is marked, and reassembly gives the NAL units back',
    () => {
      const arbitraryNal = fc
        .tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 23 }), fc.uint8Array({ maxLength: 3000 }))
        .map(([fNri, type, body]) => Uint8Array.of((fNri << 5) | type, ...body));
      fc.assert(
        fc.property(
          fc.array(arbitraryNal, { minLength: 1, maxLength: 8 }),
          fc.integer({ min: 3, max: 1500 }),
          fc.boolean(),
          (nals, maxPayloadSize, aggregate) => {
            const packets = packetizeH264(nals, { maxPayloadSize, aggregate });
            expect(packets.reduce((n, p) => Math.max(n, p.payload.length), 0)).toBeLessThanOrEqual(maxPayloadSize);
            expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
            if (!aggregate) expect(packets.some((p) => ((p.payload[0] as number) & 0x1f) === 24)).toBe(false);
            expect(hex(reassembleH264(packets))).toEqual(hex(nals));
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
