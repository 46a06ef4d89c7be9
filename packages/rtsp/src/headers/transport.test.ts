import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { fuzzInputs, hasControlOrSpace } from './test-fuzz.js';
import {
  formatTransportHeader,
  MAX_TRANSPORT_HEADER_LENGTH,
  MAX_TRANSPORT_SPECS,
  parseTransportHeader,
  type TransportSpec,
} from './transport.js';

const invalidHeader = expect.objectContaining({ code: RtspErrorCode.INVALID_HEADER });

/** Real and edge-case Transport replies; the first two were captured from GStreamer's RTSP server 1.x. */
const cases: Array<[name: string, value: string, want: TransportSpec[]]> = [
  [
    'GStreamer TCP reply (captured)',
    'RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=0485AF52;mode="PLAY"',
    [
      {
        protocol: 'RTP/AVP/TCP',
        lowerTransport: 'tcp',
        delivery: 'unicast',
        interleaved: [0, 1],
        ssrc: 0x0485af52,
        mode: 'PLAY',
      },
    ],
  ],
  [
    'GStreamer UDP reply (captured)',
    'RTP/AVP;unicast;client_port=50000-50001;server_port=55598-55599;ssrc=3C52B381;mode="PLAY"',
    [
      {
        protocol: 'RTP/AVP',
        lowerTransport: 'udp',
        delivery: 'unicast',
        clientPort: [50000, 50001],
        serverPort: [55598, 55599],
        ssrc: 0x3c52b381,
        mode: 'PLAY',
      },
    ],
  ],
  [
    'Escam Q6: interleaved without /TCP means TCP (go2rtc)',
    'RTP/AVP;unicast;interleaved=0-1',
    [{ protocol: 'RTP/AVP', lowerTransport: 'tcp', delivery: 'unicast', interleaved: [0, 1] }],
  ],
  [
    'server changed the interleaved channels (gortsplib#72)',
    'RTP/AVP/TCP;unicast;interleaved=8-9',
    [{ protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', delivery: 'unicast', interleaved: [8, 9] }],
  ],
  [
    'single ports mean N-(N+1) (gortsplib)',
    'RTP/AVP/UDP;unicast;server_port=8052;client_port=14186;ssrc=0B6020AD;mode=PLAY',
    [
      {
        protocol: 'RTP/AVP/UDP',
        lowerTransport: 'udp',
        delivery: 'unicast',
        serverPort: [8052, 8053],
        clientPort: [14186, 14187],
        ssrc: 0x0b6020ad,
        mode: 'PLAY',
      },
    ],
  ],
  [
    'server_port=0 is unknown (gortsplib 363871d6)',
    'RTP/AVP;unicast;client_port=5000-5001;server_port=0',
    [{ protocol: 'RTP/AVP', lowerTransport: 'udp', delivery: 'unicast', clientPort: [5000, 5001] }],
  ],
  [
    'server_port=0-1 is unknown (gortsplib ba7f9aff)',
    'RTP/AVP;unicast;client_port=5000-5001;server_port=0-1',
    [{ protocol: 'RTP/AVP', lowerTransport: 'udp', delivery: 'unicast', clientPort: [5000, 5001] }],
  ],
  [
    'Hikvision ssrc with a leading space and odd digit count',
    'RTP/AVP/UDP;unicast;client_port=14186;server_port=8052;ssrc= 4317f;mode=play',
    [
      {
        protocol: 'RTP/AVP/UDP',
        lowerTransport: 'udp',
        delivery: 'unicast',
        clientPort: [14186, 14187],
        serverPort: [8052, 8053],
        ssrc: 0x4317f,
        mode: 'PLAY',
      },
    ],
  ],
  [
    'Dahua ssrc padded with spaces',
    'RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=     D93FF',
    [{ protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', delivery: 'unicast', interleaved: [0, 1], ssrc: 0xd93ff }],
  ],
  [
    '20-hex-digit ssrc: low 32 bits (B16)',
    'RTP/AVP/TCP;interleaved=0-1;ssrc=0123456789ABCDEF0123',
    [{ protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', interleaved: [0, 1], ssrc: 0xcdef0123 }],
  ],
  [
    '10-digit ssrc (gortsplib "invalid ssrc" case): low 32 bits',
    'RTP/AVP;unicast;client_port=14236;source=172.16.8.2;server_port=56002;ssrc=1449463210',
    [
      {
        protocol: 'RTP/AVP',
        lowerTransport: 'udp',
        delivery: 'unicast',
        clientPort: [14236, 14237],
        source: '172.16.8.2',
        serverPort: [56002, 56003],
        ssrc: 0x49463210,
      },
    ],
  ],
  [
    'ssrc longer than 20 digits or not hex: dropped',
    'RTP/AVP/TCP;interleaved=0-1;ssrc=0123456789ABCDEF01234, RTP/AVP/TCP;interleaved=2-3;ssrc=xyz',
    [
      { protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', interleaved: [0, 1] },
      { protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', interleaved: [2, 3] },
    ],
  ],
  [
    'parameters in any case and order, with spaces',
    ' RTP/AVP/TCP ; Interleaved = 2 - 3 ; UNICAST ; Mode = play ; X-Dynamic-Rate=1',
    [{ protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', interleaved: [2, 3], delivery: 'unicast', mode: 'PLAY' }],
  ],
  [
    'protocol not first (gortsplib "unsorted")',
    'client_port=3456-3457;RTP/AVP;mode="PLAY";unicast',
    [{ protocol: 'RTP/AVP', lowerTransport: 'udp', clientPort: [3456, 3457], mode: 'PLAY', delivery: 'unicast' }],
  ],
  [
    'several specs',
    'RTP/AVP;unicast;client_port=3456-3457;mode="PLAY", RTP/AVP/TCP;unicast;interleaved=0-1',
    [
      { protocol: 'RTP/AVP', lowerTransport: 'udp', delivery: 'unicast', clientPort: [3456, 3457], mode: 'PLAY' },
      { protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', delivery: 'unicast', interleaved: [0, 1] },
    ],
  ],
  [
    'interleaved=300 makes only that spec invalid (B16)',
    'RTP/AVP/TCP;unicast;interleaved=300, RTP/AVP/TCP;unicast;interleaved=0-1',
    [{ protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', delivery: 'unicast', interleaved: [0, 1] }],
  ],
  [
    'single interleaved channel, highest usable pair',
    'RTP/AVP/TCP;interleaved=254',
    [{ protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', interleaved: [254, 255] }],
  ],
  [
    'multicast',
    'RTP/AVP;multicast;destination=225.219.201.15;port=7000-7001;ttl=127',
    [
      {
        protocol: 'RTP/AVP',
        lowerTransport: 'udp',
        delivery: 'multicast',
        destination: '225.219.201.15',
        port: [7000, 7001],
        ttl: 127,
      },
    ],
  ],
  [
    'empty source is absent (gortsplib)',
    'RTP/AVP/UDP;unicast;source=;client_port=32560-32561;server_port=3046-3047;ssrc=45dcb578',
    [
      {
        protocol: 'RTP/AVP/UDP',
        lowerTransport: 'udp',
        delivery: 'unicast',
        clientPort: [32560, 32561],
        serverPort: [3046, 3047],
        ssrc: 0x45dcb578,
      },
    ],
  ],
  [
    'malformed optional parameters are dropped, the spec kept',
    'RTP/AVP;unicast;client_port=aa-14187;server_port=70000;ttl=aa;source=a b;mode=;destination=x"y',
    [{ protocol: 'RTP/AVP', lowerTransport: 'udp', delivery: 'unicast' }],
  ],
  [
    'SAVP profile and IPv6 source',
    'RTP/SAVP;unicast;client_port=5000-5001;source=fe80::1',
    [{ protocol: 'RTP/SAVP', lowerTransport: 'udp', delivery: 'unicast', clientPort: [5000, 5001], source: 'fe80::1' }],
  ],
  [
    'explicit /UDP wins over interleaved',
    'RTP/AVP/UDP;interleaved=0-1',
    [{ protocol: 'RTP/AVP/UDP', lowerTransport: 'udp', interleaved: [0, 1] }],
  ],
];

describe('parseTransportHeader', () => {
  it.each(cases)('%s', (_name, value, want) => {
    expect(parseTransportHeader(value)).toEqual(want);
  });

  it.each([
    ['empty', ''],
    ['no protocol (gortsplib)', 'aasd'],
    ['interleaved=300 (B16)', 'RTP/AVP/TCP;unicast;interleaved=300'],
    ['interleaved above 255', 'RTP/AVP/TCP;interleaved=255-256'],
    ['single interleaved 255 has no pair', 'RTP/AVP/TCP;interleaved=255'],
    ['non-numeric interleaved (gortsplib)', 'RTP/AVP;unicast;interleaved=aa-14187'],
    ['empty interleaved', 'RTP/AVP/TCP;interleaved='],
    ['not RTP', 'RAW/RAW/UDP;unicast;client_port=5000-5001'],
    ['oversized', `RTP/AVP;unicast;${'x'.repeat(MAX_TRANSPORT_HEADER_LENGTH)}`],
  ])('rejects %s with RTSP_INVALID_HEADER', (_name, value) => {
    expect(() => parseTransportHeader(value)).toThrow(invalidHeader);
  });

  it(`keeps at most ${MAX_TRANSPORT_SPECS} specs`, () => {
    const header = Array.from({ length: 20 }, (_, i) => `RTP/AVP/TCP;interleaved=${2 * i}-${2 * i + 1}`).join(',');
    expect(parseTransportHeader(header)).toHaveLength(MAX_TRANSPORT_SPECS);
  });

  it('fuzz: returns valid, re-formattable specs or throws RTSP_INVALID_HEADER', { timeout: fuzzTimeout() }, () => {
    const seeds = cases.map(([, value]) => value);
    fc.assert(
      fc.property(fuzzInputs(seeds, 600), (value) => {
        let specs: TransportSpec[];
        try {
          specs = parseTransportHeader(value);
        } catch (err) {
          expect(isCodedError(err, RtspErrorCode.INVALID_HEADER)).toBe(true);
          return;
        }
        expect(value.length).toBeLessThanOrEqual(MAX_TRANSPORT_HEADER_LENGTH);
        expect(specs.length).toBeGreaterThan(0);
        expect(specs.length).toBeLessThanOrEqual(MAX_TRANSPORT_SPECS);
        for (const spec of specs) expectValidSpec(spec);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

function expectValidSpec(spec: TransportSpec): void {
  expect(spec.protocol).toMatch(/^RTP\/[A-Z0-9]{1,16}(\/(TCP|UDP))?$/i);
  expect(['tcp', 'udp']).toContain(spec.lowerTransport);
  if (spec.interleaved !== undefined) expectRange(spec.interleaved, 0, 255);
  for (const ports of [spec.clientPort, spec.serverPort, spec.port]) if (ports) expectRange(ports, 1, 65535);
  if (spec.ssrc !== undefined) expectInteger(spec.ssrc, 0, 0xffff_ffff);
  if (spec.ttl !== undefined) expectInteger(spec.ttl, 0, 255);
  if (spec.mode !== undefined) expect(spec.mode).toMatch(/^[A-Z_]{1,32}$/);
  for (const address of [spec.source, spec.destination]) {
    if (address !== undefined) expect(hasControlOrSpace(address) || address === '').toBe(false);
  }
  // Whatever we parsed can be written back without injecting anything into a request.
  expect(hasControlOrSpace(formatTransportHeader(spec))).toBe(false);
}

function expectRange(range: [number, number], min: number, max: number): void {
  for (const n of range) expectInteger(n, min, max);
}

function expectInteger(n: number, min: number, max: number): void {
  expect(Number.isInteger(n) && n >= min && n <= max).toBe(true);
}

describe('formatTransportHeader', () => {
  const formatCases: Array<[name: string, spec: TransportSpec, want: string]> = [
    [
      'TCP interleaved',
      { protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', delivery: 'unicast', interleaved: [0, 1] },
      'RTP/AVP/TCP;unicast;interleaved=0-1',
    ],
    [
      'UDP unicast',
      { protocol: 'RTP/AVP', lowerTransport: 'udp', delivery: 'unicast', clientPort: [50000, 50001] },
      'RTP/AVP;unicast;client_port=50000-50001',
    ],
    [
      'lowerTransport decides the suffix',
      { protocol: 'RTP/AVP', lowerTransport: 'tcp', interleaved: [2, 3] },
      'RTP/AVP/TCP;interleaved=2-3',
    ],
    ['UDP is written without /UDP', { protocol: 'RTP/AVP/UDP', lowerTransport: 'udp' }, 'RTP/AVP'],
    [
      'every field, in RFC order',
      {
        protocol: 'RTP/AVP',
        lowerTransport: 'udp',
        delivery: 'multicast',
        destination: '225.0.0.1',
        source: '10.0.0.2',
        ttl: 16,
        port: [7000, 7001],
        clientPort: [5000, 5001],
        serverPort: [6000, 6001],
        ssrc: 0x0485af52,
        mode: 'PLAY',
      },
      'RTP/AVP;multicast;destination=225.0.0.1;source=10.0.0.2;ttl=16;port=7000-7001;client_port=5000-5001;server_port=6000-6001;ssrc=0485AF52;mode=PLAY',
    ],
  ];
  it.each(formatCases)('%s', (_name, spec, want) => {
    expect(formatTransportHeader(spec)).toBe(want);
  });

  it.each<[string, TransportSpec]>([
    ['CRLF in the protocol', { protocol: 'RTP/AVP\r\nX-Injected: 1', lowerTransport: 'udp' }],
    ['interleaved channel 256', { protocol: 'RTP/AVP/TCP', lowerTransport: 'tcp', interleaved: [255, 256] }],
    ['port 0', { protocol: 'RTP/AVP', lowerTransport: 'udp', clientPort: [0, 1] }],
    ['fractional port', { protocol: 'RTP/AVP', lowerTransport: 'udp', clientPort: [5000.5, 5001] }],
    ['CRLF in the mode', { protocol: 'RTP/AVP', lowerTransport: 'udp', mode: 'PLAY\r\n' }],
    ['space in the source', { protocol: 'RTP/AVP', lowerTransport: 'udp', source: '1.2.3.4 x' }],
    ['ssrc over 32 bits', { protocol: 'RTP/AVP', lowerTransport: 'udp', ssrc: 2 ** 32 }],
    ['ttl over 255', { protocol: 'RTP/AVP', lowerTransport: 'udp', ttl: 256 }],
  ])('refuses %s', (_name, spec) => {
    expect(() => formatTransportHeader(spec)).toThrow(invalidHeader);
  });

  it('round-trips through parseTransportHeader', { timeout: fuzzTimeout() }, () => {
    const pair = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));
    const ipv4 = fc.ipV4();
    const specs = fc
      .record(
        {
          profile: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'RTP/AVPF'),
          lowerTransport: fc.constantFrom('udp' as const, 'tcp' as const),
          delivery: fc.constantFrom('unicast' as const, 'multicast' as const),
          interleaved: pair(0, 255),
          clientPort: pair(1, 65535),
          serverPort: pair(1, 65535),
          port: pair(1, 65535),
          source: ipv4,
          destination: ipv4,
          ssrc: fc.integer({ min: 0, max: 0xffff_ffff }),
          mode: fc.constantFrom('PLAY', 'RECORD'),
          ttl: fc.integer({ min: 0, max: 255 }),
        },
        { requiredKeys: ['profile', 'lowerTransport'] },
      )
      .map(({ profile, ...rest }): TransportSpec => {
        const spec: TransportSpec = { ...rest, protocol: rest.lowerTransport === 'tcp' ? `${profile}/TCP` : profile };
        // Interleaved on a suffix-less UDP spec reads back as TCP (the Escam rule): not a round trip.
        if (spec.lowerTransport === 'udp') delete spec.interleaved;
        return spec;
      });
    fc.assert(
      fc.property(specs, (spec) => {
        expect(parseTransportHeader(formatTransportHeader(spec))).toEqual([spec]);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});
