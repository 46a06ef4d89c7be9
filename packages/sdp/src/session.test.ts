import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SdpError, SdpErrorCode } from './errors.js';
import {
  MAX_ATTRIBUTES_PER_SECTION,
  MAX_LINE_LENGTH,
  MAX_MEDIAS,
  MAX_PAYLOAD_TYPE,
  MAX_SDP_BYTES,
  MAX_WARNINGS,
} from './limits.js';
import { parseSdp, type SessionDescription } from './session.js';
import { summarizeFormat } from './test-fixtures.js';
import { resolveTrackFormat } from './track-format.js';

const H264_MEDIA = [
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0IAHvQCgC3I,aM48gA==',
  'a=control:trackID=1',
];
const H264_FORMAT = 'h264 pt96 90000 mode1 sps=6742001ef402802dc8 pps=68ce3c80';
const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';
const formats = (session: SessionDescription) =>
  session.medias.map((media) => summarizeFormat(resolveTrackFormat(media)));

describe('parseSdp: line structure', () => {
  const base = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=Camera', 't=0 0', ...H264_MEDIA];
  const cases: Array<[name: string, text: string]> = [
    ['CRLF', base.join('\r\n')],
    ['LF', base.join('\n')],
    ['CR only', base.join('\r')],
    ['mixed line endings', base.map((line, i) => line + (['\r\n', '\n', '\r'][i % 3] ?? '')).join('')],
    ['a byte order mark', '\uFEFF' + base.join('\r\n')],
    ['leading and trailing whitespace on lines', base.map((line) => `  ${line}\t `).join('\r\n')],
    ['blank lines everywhere', ['', ...base.flatMap((line) => [line, '', '   '])].join('\r\n')],
    ['lines without "=" (junk between lines)', base.flatMap((line) => [line, 'garbage line', '=x']).join('\r\n')],
    ['unknown line types', base.flatMap((line) => [line, 'x=unknown', 'y=1 2 3']).join('\r\n')],
    ['upper-case line types', base.map((line) => line.charAt(0).toUpperCase() + line.slice(1)).join('\r\n')],
    ['no final line break', base.join('\r\n')],
    ['no v= line (gortsplib#448)', base.slice(1).join('\r\n')],
    ['no o=, s= or t= line', ['v=0', ...H264_MEDIA].join('\r\n')],
    [
      'session attributes before s= (gortsplib "unordered global attributes")',
      ['v=0', 'a=control:*', 's=x', ...H264_MEDIA].join('\n'),
    ],
  ];
  for (const [name, text] of cases) {
    it(name, () => {
      const session = parseSdp(text);
      expect(formats(session)).toEqual([H264_FORMAT]);
      expect(session.medias[0]?.control).toBe('trackID=1');
    });
  }
});

describe('parseSdp: session-level lines cameras get wrong', () => {
  const cases: Array<[name: string, lines: string[], want: Partial<SessionDescription>]> = [
    ['Uniview origin without address type (mediamtx#5008)', ['o=- 1001 1 IN ', 'c=IN '], { origin: '- 1001 1 IN' }],
    [
      'Verint IP instead of IN (mediamtx#5292)',
      ['o=- 1329416390 1329416390 IP IP4 192.168.1.1'],
      { origin: '- 1329416390 1329416390 IP IP4 192.168.1.1' },
    ],
    [
      'hex session id (gortsplib#60)',
      ['o=jdoe 0xAC4EC96E 2890842807 IN IP4 10.47.16.5'],
      { origin: 'jdoe 0xAC4EC96E 2890842807 IN IP4 10.47.16.5' },
    ],
    [
      'decimal session id and address with port (mediamtx#2558)',
      ['o=- 1698210484.879535 1698210484.879535 IN IP4 46.242.10.231:12626'],
      {},
    ],
    [
      'negative session id (Y-CAM, mediamtx#2708)',
      ['o=- -1962418793961427 -1962418793961418 IN IP4 192.168.221.104'],
      {},
    ],
    [
      'user name with a space (Amcrest, mediamtx#127)',
      ['o=RTSP Session 0 0 IN IP4 0.0.0.0'],
      { origin: 'RTSP Session 0 0 IN IP4 0.0.0.0' },
    ],
    ['seven-field origin (TP-Link)', ['o=- 14665860 31787219 1 IN IP4 192.168.2.29'], {}],
    ['empty user name (ONVIF specification example)', ['o= 2890842807 IN IP4 192.168.0.1'], {}],
    ['FLIR t=now- (gortsplib#85)', ['t=now-'], {}],
    ['Hik c=IN c=IN IP4 (mediamtx#227)', ['c=IN c=IN IP4 0.0.0.0'], {}],
    ['Vurix IPV4 (mediamtx#2128)', ['o=- 1 1 IN IPV4 10.10.10.10', 'c=IN IPV4 0.0.0.0'], {}],
    ['Avigilon c=SM (gortsplib#501)', ['c=SM SM spk0_trackID2'], {}],
    ['fritzbox c=In (mediamtx#1119)', ['c=In IP4 0.0.0.0'], {}],
    [
      'session name, control and range',
      ['s=Media Server', 'a=control:*', 'a=range:npt=now-'],
      { sessionName: 'Media Server', control: '*', range: 'npt=now-' },
    ],
    [
      'attribute names in any case',
      ['a=Control: rtsp://cam/ ', 'a=RANGE:npt=0-'],
      { control: 'rtsp://cam/', range: 'npt=0-' },
    ],
  ];
  for (const [name, lines, want] of cases) {
    it(name, () => {
      const session = parseSdp(sdp('v=0', ...lines, ...H264_MEDIA));
      expect(formats(session)).toEqual([H264_FORMAT]);
      expect(session).toMatchObject(want);
    });
  }

  it('a blank session name (RFC 8866 §5.3 "s= ") is no name', () => {
    expect(parseSdp(sdp('v=0', 's= ', 's=second')).sessionName).toBeUndefined();
  });

  it('keeps session attributes as sent, names and values', () => {
    const session = parseSdp(sdp('v=0', 'a=source-filter: incl IN IP4 * 10.175.31.17', 'a=recvonly', 'a=Tool:x:y'));
    expect(session.attributes).toEqual([
      { name: 'source-filter', value: ' incl IN IP4 * 10.175.31.17' },
      { name: 'recvonly', value: undefined },
      { name: 'Tool', value: 'x:y' },
    ]);
  });

  it('an SDP without m= lines has no medias', () => {
    expect(parseSdp(sdp('v=0', 'o=jdoe 0xAC4EC96E 2890842807 IN IP4 10.47.16.5', 's=SDP Seminar', 't=0 0'))).toEqual({
      origin: 'jdoe 0xAC4EC96E 2890842807 IN IP4 10.47.16.5',
      sessionName: 'SDP Seminar',
      attributes: [],
      medias: [],
      warnings: [],
    });
  });
});

describe('parseSdp: media sections', () => {
  it('ignores s= and i= repeated inside media sections (RtspServer, go2rtc WebRTC#417)', () => {
    const session = parseSdp(
      sdp('v=0', 's=RtspServer', 'm=video 0 RTP/AVP 96', 's=Other', 'i=live', ...H264_MEDIA.slice(1)),
    );
    expect(session.sessionName).toBe('RtspServer');
    expect(formats(session)).toEqual([H264_FORMAT]);
  });

  const mLines: Array<
    [name: string, line: string, want: { type: string; port: number; protocol: string; payloadTypes: number[] }]
  > = [
    ['RTSP port 0', 'm=video 0 RTP/AVP 96', { type: 'video', port: 0, protocol: 'RTP/AVP', payloadTypes: [96] }],
    [
      'a real port with a count',
      'm=audio 49170/2 RTP/AVP 0 8',
      { type: 'audio', port: 49170, protocol: 'RTP/AVP', payloadTypes: [0, 8] },
    ],
    [
      'a port that is not a number becomes 0',
      'm=video abc RTP/AVP 96',
      { type: 'video', port: 0, protocol: 'RTP/AVP', payloadTypes: [96] },
    ],
    [
      'a port above 65535 becomes 0',
      'm=video 70000 RTP/AVP 96',
      { type: 'video', port: 0, protocol: 'RTP/AVP', payloadTypes: [96] },
    ],
    [
      'TCP profile (gortsplib "no timing")',
      'm=video 0 RTP/AVP/TCP 96',
      { type: 'video', port: 0, protocol: 'RTP/AVP/TCP', payloadTypes: [96] },
    ],
    [
      'MP2T/AVP (mediamtx#120)',
      'm=video 8048 MP2T/AVP 33',
      { type: 'video', port: 8048, protocol: 'MP2T/AVP', payloadTypes: [33] },
    ],
    [
      'media type in capitals',
      'm=VIDEO 0 RTP/AVP 96',
      { type: 'video', port: 0, protocol: 'RTP/AVP', payloadTypes: [96] },
    ],
    [
      'TP-Link application/TP-LINK with a non-numeric format',
      'm=application/TP-LINK 0 RTP/AVP smart/1/90000',
      { type: 'application/tp-link', port: 0, protocol: 'RTP/AVP', payloadTypes: [] },
    ],
    [
      'LIVE555 m=vana (go2rtc#1278)',
      'm=vana 0 RTP/AVP 108',
      { type: 'vana', port: 0, protocol: 'RTP/AVP', payloadTypes: [108] },
    ],
    [
      'UDP Technology m=metadata (gortsplib#474)',
      'm=metadata 0 RTP/AVP 98',
      { type: 'metadata', port: 0, protocol: 'RTP/AVP', payloadTypes: [98] },
    ],
    [
      'payload type 300 is ignored (B13)',
      'm=video 0 RTP/AVP 300 96',
      { type: 'video', port: 0, protocol: 'RTP/AVP', payloadTypes: [96] },
    ],
    [
      'duplicate payload types are listed once',
      'm=audio 0 RTP/AVP 0 8 0',
      { type: 'audio', port: 0, protocol: 'RTP/AVP', payloadTypes: [0, 8] },
    ],
    [
      'trailing tab and space (VStarcam)',
      'm=audio 0 RTP/AVP 8\t ',
      { type: 'audio', port: 0, protocol: 'RTP/AVP', payloadTypes: [8] },
    ],
    ['no formats', 'm=video 0 RTP/AVP', { type: 'video', port: 0, protocol: 'RTP/AVP', payloadTypes: [] }],
  ];
  for (const [name, line, want] of mLines) {
    it(`m= line: ${name}`, () => {
      const [media] = parseSdp(sdp('v=0', line)).medias;
      expect(media).toMatchObject(want);
      expect(media?.error).toBeUndefined();
    });
  }

  it('a malformed m= line breaks only its own section, which keeps its index', () => {
    const session = parseSdp(
      sdp('v=0', 'm=video', 'a=control:broken', ...H264_MEDIA, 'm=audio 0', 'm=', 'm=audio 0 RTP/AVP 8'),
    );
    expect(session.medias.map((media) => [media.index, media.type, media.error !== undefined])).toEqual([
      [0, 'video', true],
      [1, 'video', false],
      [2, 'audio', true],
      [3, '', true],
      [4, 'audio', false],
    ]);
    expect(session.medias[0]?.control).toBe('broken');
    expect(formats(session)).toEqual([
      'unsupported pt- -',
      H264_FORMAT,
      'unsupported pt- -',
      'unsupported pt- -',
      'pcma pt8 8000/1',
    ]);
  });

  it('reads rtpmap, fmtp, control and direction in any case, first one wins', () => {
    const [media] = parseSdp(
      sdp(
        'v=0',
        'm=audio 0 RTP/AVP 0 97',
        'a=RTPMAP:0 PCMA/8000',
        'a=rtpmap:0 PCMU/8000',
        'a=FmTp:97 config=1190; mode=AAC-hbr',
        'a=fmtp:97 config=0000',
        'a=fmtp:96',
        'a=Control: track1 ',
        'a=control:track2',
        'a=SENDONLY',
        'a=recvonly',
        'a=rtpmap:bad',
        'a=fmtp:x y',
      ),
    ).medias;
    expect(media?.rtpmaps).toEqual(new Map([[0, { encoding: 'PCMA', clockRate: 8000 }]]));
    expect(media?.fmtps).toEqual(
      new Map([
        [
          97,
          new Map([
            ['config', '1190'],
            ['mode', 'AAC-hbr'],
          ]),
        ],
        [96, new Map()],
      ]),
    );
    expect(media?.control).toBe('track1');
    expect(media?.direction).toBe('sendonly');
    expect(media?.attributes).toHaveLength(11);
  });

  it('a media inherits the session direction unless it has its own (RFC 8866 §6.7)', () => {
    const session = parseSdp(sdp('v=0', 'a=recvonly', 'm=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 0', 'a=sendonly'));
    expect(session.direction).toBe('recvonly');
    expect(session.medias.map((media) => media.direction)).toEqual(['recvonly', 'sendonly']);
    expect(session.attributes).toEqual([{ name: 'recvonly', value: undefined }]);
  });

  it('moves an H.264 fmtp written into the next section back to its video (go2rtc WebRTC#419)', () => {
    const session = parseSdp(
      sdp(
        'v=0',
        'm=video 0 RTP/AVP 96',
        'a=rtpmap:96 H264/90000',
        'm=audio 0 RTP/AVP 8',
        'a=rtpmap:0 pcma/8000/1',
        H264_MEDIA[2]!,
      ),
    );
    expect(formats(session)).toEqual([H264_FORMAT, 'pcma pt8 8000/1']);
    expect(session.medias[1]?.fmtps.size).toBe(0);
    expect(session.warnings).toEqual(['fmtp of payload type 96 moved from media 1 to media 0']);
  });

  it('leaves a stray fmtp alone when two sections could own it', () => {
    const video = ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000'];
    const session = parseSdp(sdp('v=0', ...video, ...video, 'm=audio 0 RTP/AVP 8', H264_MEDIA[2]!));
    expect(session.medias.map((media) => media.fmtps.size)).toEqual([0, 0, 1]);
  });
});

describe('parseSdp: limits (B13)', () => {
  it(`refuses text over ${MAX_SDP_BYTES} bytes as SDP_TOO_LARGE`, () => {
    const big = sdp('v=0', ...H264_MEDIA) + 'a=x:'.padEnd(MAX_SDP_BYTES, 'y');
    expect(() => parseSdp(big)).toThrow(expect.objectContaining({ code: SdpErrorCode.TOO_LARGE }));
    // Measured in UTF-8 bytes: 50,000 three-byte characters are 150,000 bytes.
    expect(() => parseSdp('v=0\na=x:' + '€'.repeat(50_000))).toThrow(
      expect.objectContaining({ code: SdpErrorCode.TOO_LARGE }),
    );
    expect(parseSdp(sdp('v=0', 'a=x:' + 'y'.repeat(MAX_LINE_LENGTH - 10))).attributes).toHaveLength(1);
  });

  it(`keeps ${MAX_MEDIAS} media sections of 5000 and says so`, () => {
    const medias = Array.from({ length: 5000 }, (_, i) => `m=audio 0 RTP/AVP 0${i < 100 ? `\r\na=control:t${i}` : ''}`);
    const session = parseSdp(sdp('v=0', ...medias));
    expect(session.medias).toHaveLength(MAX_MEDIAS);
    expect(session.medias.at(-1)).toMatchObject({ index: MAX_MEDIAS - 1, control: `t${MAX_MEDIAS - 1}` });
    expect(session.warnings).toContain(`more than ${MAX_MEDIAS} media sections; the rest are ignored`);
  });

  it(`keeps ${MAX_ATTRIBUTES_PER_SECTION} attributes per section`, () => {
    const many = Array.from({ length: 1000 }, (_, i) => `a=x-${i}:${i}`);
    const session = parseSdp(sdp('v=0', ...many, 'm=video 0 RTP/AVP 96', ...many, 'a=rtpmap:96 H264/90000'));
    expect(session.attributes).toHaveLength(MAX_ATTRIBUTES_PER_SECTION);
    expect(session.medias[0]?.attributes).toHaveLength(MAX_ATTRIBUTES_PER_SECTION);
    // The rtpmap came after the limit: PT 96 has no rtpmap.
    expect(formats(session)).toEqual(['unsupported pt96 -']);
    expect(session.warnings).toHaveLength(2);
  });

  it(`skips lines longer than ${MAX_LINE_LENGTH} characters`, () => {
    const long = 'a=fmtp:96 sprop-parameter-sets=' + 'A'.repeat(MAX_LINE_LENGTH);
    const session = parseSdp(sdp('v=0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', long));
    expect(session.medias[0]?.fmtps.size).toBe(0);
    expect(formats(session)).toEqual(['h264 pt96 90000 mode0 sps=- pps=-']);
    expect(session.warnings).toEqual([`line 4 is longer than ${MAX_LINE_LENGTH} characters and was skipped`]);
  });

  it(`keeps at most ${MAX_WARNINGS} warnings and counts the rest`, () => {
    const session = parseSdp(sdp('v=0', ...Array.from({ length: 100 }, () => 'junk')));
    expect(session.warnings).toHaveLength(MAX_WARNINGS + 1);
    expect(session.warnings?.at(-1)).toBe(`${100 - MAX_WARNINGS} more warnings were dropped`);
  });
});

describe('parseSdp: no SDP at all', () => {
  const cases: Array<[name: string, text: string]> = [
    ['empty', ''],
    ['whitespace', ' \r\n\t\n'],
    [
      'an HTML error page',
      '<!DOCTYPE html>\n<html><head><title>401 Unauthorized</title></head>\n<body>a=b</body></html>\n',
    ],
    ['binary junk', '\u0000\u0001\u00ff\u00fe$\u0000\u0010\u0080\u0000'],
    ['an RTSP response instead of its body', 'RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 0\r\n\r\n'],
    ['only attributes', 'a=control:*\r\ns=no version\r\n'],
  ];
  for (const [name, text] of cases) {
    it(`${name}: SDP_INVALID`, () => {
      expect(() => parseSdp(text)).toThrow(expect.objectContaining({ code: SdpErrorCode.INVALID }));
    });
  }
});

describe('parseSdp: fuzz', () => {
  const sdpLine = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc
      .tuple(fc.constantFrom('v', 'o', 's', 'c', 't', 'm', 'a', 'b', 'i', 'x', 'M', 'A'), fc.string({ maxLength: 40 }))
      .map(([t, v]) => `${t}=${v}`),
    fc
      .tuple(
        fc.constantFrom('video', 'audio', 'application', 'x'),
        fc.array(fc.integer({ min: -5, max: 400 }), { maxLength: 5 }),
      )
      .map(([t, pts]) => `m=${t} 0 RTP/AVP ${pts.join(' ')}`),
    fc
      .tuple(
        fc.constantFrom('rtpmap', 'fmtp', 'control', 'sendonly', 'RTPMAP'),
        fc.integer({ min: -1, max: 200 }),
        fc.string({ maxLength: 30 }),
      )
      .map(([n, pt, v]) => `a=${n}:${pt} ${v}`),
  );

  it(
    'fuzz: random text returns a bounded description or throws SdpError, and resolves without throwing',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.array(sdpLine, { maxLength: 40 }).map((lines) => lines.join('\r\n')),
          ),
          (text) => {
            let session: SessionDescription;
            try {
              session = parseSdp(text);
            } catch (err) {
              expect(err).toBeInstanceOf(SdpError);
              return;
            }
            expect(session.medias.length).toBeLessThanOrEqual(MAX_MEDIAS);
            expect(session.attributes.length).toBeLessThanOrEqual(MAX_ATTRIBUTES_PER_SECTION);
            expect(session.warnings?.length).toBeLessThanOrEqual(MAX_WARNINGS + 1);
            session.medias.forEach((media, index) => {
              expect(media.index).toBe(index);
              expect(media.type).toBe(media.type.toLowerCase());
              expect(media.attributes.length).toBeLessThanOrEqual(MAX_ATTRIBUTES_PER_SECTION);
              for (const pt of [...media.payloadTypes, ...media.rtpmaps.keys(), ...media.fmtps.keys()]) {
                expect(pt >= 0 && pt <= MAX_PAYLOAD_TYPE && Number.isInteger(pt)).toBe(true);
              }
              resolveTrackFormat(media);
            });
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
