import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { packetizeAac, type AacAccessUnit, type AacPacketizeOptions } from './aac.js';
import { hex, reassembleAac } from './test-reassemble.js';

/** n bytes counting up from `first`. */
const bytes = (n: number, first = 1): number[] => Array.from({ length: n }, (_, i) => (first + i) & 0xff);
const A = [0x21, 0x10, 0x05];
const B = [0x21, 0x11];
const C = [0x21, 0x12, 0x34, 0x56];
const LBR: AacPacketizeOptions = { sizeLength: 6, indexLength: 2, indexDeltaLength: 2 };

type Au = [data: number[], timestamp: number];
type Packet = [payload: number[], marker: boolean, timestamp: number];

describe('packetizeAac (RFC 3640 mpeg4-generic)', () => {
  const cases: Array<[name: string, aus: Au[], options: AacPacketizeOptions, want: Packet[]]> = [
    // AAC-hbr (§3.3.6): 16-bit AU headers, AU-size(13) AU-Index(3).
    ['AAC-hbr, one AU', [[A, 1000]], {}, [[[0x00, 0x10, 0x00, 0x18, ...A], true, 1000]]],
    [
      'AAC-hbr, three consecutive AUs in one packet',
      [
        [A, 0],
        [B, 1024],
        [C, 2048],
      ],
      {},
      [[[0x00, 0x30, 0x00, 0x18, 0x00, 0x10, 0x00, 0x20, ...A, ...B, ...C], true, 0]],
    ],
    [
      'AAC-hbr, the largest AU (8191 bytes) uses all 13 size bits',
      [[bytes(8191), 7]],
      { maxPayloadSize: 8195 },
      [[[0x00, 0x10, 0xff, 0xf8, ...bytes(8191)], true, 7]],
    ],
    [
      'AAC-hbr, a fragmented AU: every fragment has the whole AU size, marker on the last (§3.2.3.1)',
      [[bytes(10), 5000]],
      { maxPayloadSize: 8 },
      [
        [[0x00, 0x10, 0x00, 0x50, 1, 2, 3, 4], false, 5000],
        [[0x00, 0x10, 0x00, 0x50, 5, 6, 7, 8], false, 5000],
        [[0x00, 0x10, 0x00, 0x50, 9, 10], true, 5000],
      ],
    ],
    [
      'AAC-hbr, packets are filled up to maxPayloadSize',
      [
        [bytes(500), 0],
        [bytes(500, 2), 1024],
        [bytes(500, 3), 2048],
      ],
      {},
      [
        [[0x00, 0x20, 0x0f, 0xa0, 0x0f, 0xa0, ...bytes(500), ...bytes(500, 2)], true, 0],
        [[0x00, 0x10, 0x0f, 0xa0, ...bytes(500, 3)], true, 2048],
      ],
    ],
    // AAC-lbr (§3.3.5): 8-bit AU headers, AU-size(6) AU-Index(2).
    ['AAC-lbr, one AU', [[A, 0]], LBR, [[[0x00, 0x08, 0x0c, ...A], true, 0]]],
    [
      'AAC-lbr, three consecutive AUs in one packet',
      [
        [A, 90],
        [B, 1114],
        [C, 2138],
      ],
      LBR,
      [[[0x00, 0x18, 0x0c, 0x08, 0x10, ...A, ...B, ...C], true, 90]],
    ],
    [
      'AAC-lbr, a fragmented AU',
      [[bytes(10), 0]],
      { ...LBR, maxPayloadSize: 7 },
      [
        [[0x00, 0x08, 0x28, 1, 2, 3, 4], false, 0],
        [[0x00, 0x08, 0x28, 5, 6, 7, 8], false, 0],
        [[0x00, 0x08, 0x28, 9, 10], true, 0],
      ],
    ],
    [
      'AU headers that do not end on a byte boundary are padded (13-bit sizes, no index)',
      [
        [A, 0],
        [B, 1024],
      ],
      { indexLength: 0, indexDeltaLength: 0 },
      // 0000000000011 0000000000010 000000
      [[[0x00, 0x1a, 0x00, 0x18, 0x00, 0x80, ...A, ...B], true, 0]],
    ],
    [
      'a gap in the timestamps starts a new packet',
      [
        [A, 0],
        [B, 1024],
        [C, 4096],
      ],
      {},
      [
        [[0x00, 0x20, 0x00, 0x18, 0x00, 0x10, ...A, ...B], true, 0],
        [[0x00, 0x10, 0x00, 0x20, ...C], true, 4096],
      ],
    ],
    [
      'consecutive across the 32-bit timestamp wrap',
      [
        [A, 2 ** 32 - 1024],
        [B, 0],
      ],
      {},
      [[[0x00, 0x20, 0x00, 0x18, 0x00, 0x10, ...A, ...B], true, 2 ** 32 - 1024]],
    ],
    [
      'maxAusPerPacket bounds the AUs in one packet',
      [
        [A, 0],
        [B, 1024],
        [C, 2048],
      ],
      { maxAusPerPacket: 2 },
      [
        [[0x00, 0x20, 0x00, 0x18, 0x00, 0x10, ...A, ...B], true, 0],
        [[0x00, 0x10, 0x00, 0x20, ...C], true, 2048],
      ],
    ],
    [
      'auDuration 960 (AAC with 960-sample frames)',
      [
        [A, 0],
        [B, 960],
      ],
      { auDuration: 960 },
      [[[0x00, 0x20, 0x00, 0x18, 0x00, 0x10, ...A, ...B], true, 0]],
    ],
    ['no AUs, no packets', [], {}, []],
  ];
  it.each(cases)('%s', (_name, aus, options, want) => {
    const packets = packetizeAac(
      aus.map(([data, timestamp]) => ({ data: Uint8Array.from(data), timestamp })),
      options,
    );
    expect(packets.map((p): Packet => [[...p.payload], p.marker, p.timestamp])).toEqual(want);
  });

  const bad: Array<[name: string, aus: Au[], options: AacPacketizeOptions]> = [
    ['an empty AU', [[[], 0]], {}],
    ['an AU larger than a 13-bit AU-size', [[bytes(8192), 0]], {}],
    ['an AU larger than a 6-bit AU-size (AAC-lbr)', [[bytes(64), 0]], LBR],
    ['a negative timestamp', [[A, -1]], {}],
    ['a fractional timestamp', [[A, 0.5]], {}],
    ['sizeLength 0 (constantSize is not supported)', [[A, 0]], { sizeLength: 0 }],
    ['sizeLength 33', [[A, 0]], { sizeLength: 33 }],
    ['indexLength without indexDeltaLength (§3.2.1)', [[A, 0]], { indexLength: 3, indexDeltaLength: 0 }],
    ['maxPayloadSize with no room for one AU byte', [[A, 0]], { maxPayloadSize: 4 }],
    ['maxAusPerPacket 0', [[A, 0]], { maxAusPerPacket: 0 }],
    ['auDuration 0', [[A, 0]], { auDuration: 0 }],
  ];
  it.each(bad)('rejects %s with RTP_INVALID_ARGUMENT', (_name, aus, options) => {
    expect(() =>
      packetizeAac(
        aus.map(([data, timestamp]) => ({ data: Uint8Array.from(data), timestamp })),
        options,
      ),
    ).toThrow(expect.objectContaining({ code: RtpErrorCode.INVALID_ARGUMENT }));
  });

  it(
    'fuzz: payloads fit maxPayloadSize and reassembly gives the AUs and their timestamps back',
    () => {
      const layouts = [
        { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 },
        { sizeLength: 6, indexLength: 2, indexDeltaLength: 2 },
        { sizeLength: 13, indexLength: 0, indexDeltaLength: 0 },
        { sizeLength: 16, indexLength: 5, indexDeltaLength: 1 },
      ];
      const scenario = fc.constantFrom(...layouts).chain((layout) =>
        fc.record({
          layout: fc.constant(layout),
          // Runs of consecutive AUs separated by gaps, starting anywhere in the 32-bit range.
          aus: fc.record({
            start: fc.nat({ max: 0xffffffff }),
            units: fc.array(
              fc.record({
                size: fc.integer({ min: 1, max: Math.min(2 ** layout.sizeLength - 1, 2500) }),
                gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
              }),
              { maxLength: 12 },
            ),
          }),
          maxPayloadSize: fc.integer({ min: 6, max: 1500 }),
          maxAusPerPacket: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        }),
      );
      fc.assert(
        fc.property(scenario, ({ layout, aus: { start, units }, maxPayloadSize, maxAusPerPacket }) => {
          let timestamp = start;
          const aus: AacAccessUnit[] = units.map(({ size, gap }, i) => {
            timestamp = (timestamp + (i === 0 ? 0 : 1024 + gap)) % 2 ** 32;
            return { data: Uint8Array.from(bytes(size, i)), timestamp };
          });
          const options = { ...layout, maxPayloadSize, ...(maxAusPerPacket === undefined ? {} : { maxAusPerPacket }) };
          const packets = packetizeAac(aus, options);
          expect(packets.reduce((n, p) => Math.max(n, p.payload.length), 0)).toBeLessThanOrEqual(maxPayloadSize);
          const back = reassembleAac(packets, layout);
          expect(hex(back.map((au) => au.data))).toEqual(hex(aus.map((au) => au.data)));
          expect(back.map((au) => au.timestamp)).toEqual(aus.map((au) => au.timestamp));
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
