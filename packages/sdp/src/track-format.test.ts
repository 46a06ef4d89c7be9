import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SdpAttribute } from './attribute.js';
import { parseFmtpParameters } from './fmtp.js';
import { MAX_CHANNELS, MAX_CLOCK_RATE } from './limits.js';
import type { MediaDescription } from './media.js';
import { parseSdp } from './session.js';
import { summarizeFormat } from './test-fixtures.js';
import { resolveTrackFormat, type TrackFormat } from './track-format.js';

/** The first media of an SDP made of these lines. */
const media = (...lines: string[]): MediaDescription => parseSdp(['v=0', ...lines].join('\r\n')).medias[0]!;
const resolve = (...lines: string[]) => resolveTrackFormat(media(...lines));

describe('resolveTrackFormat: encodings', () => {
  const cases: Array<[name: string, lines: string[], want: string]> = [
    ['static PCMU without rtpmap (Foscam)', ['m=audio 0 RTP/AVP 0'], 'pcmu pt0 8000/1'],
    ['static PCMA without rtpmap', ['m=audio 0 RTP/AVP 8'], 'pcma pt8 8000/1'],
    ['static MPA (Wisenet, mediamtx#3583)', ['m=audio 0 RTP/AVP 14'], 'unsupported pt14 MPA'],
    ['static JPEG (go2rtc#1278)', ['m=video 0 RTP/AVP 26'], 'unsupported pt26 JPEG'],
    ['static L16 stereo (RFC 3551 table 4: 44.1 kHz)', ['m=audio 0 RTP/AVP 10'], 'l16 pt10 44100/2'],
    ['static L16 mono', ['m=audio 0 RTP/AVP 11'], 'l16 pt11 44100/1'],
    [
      'encoding names in any case',
      ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 h264/90000'],
      'h264 pt96 90000 mode0 sps=- pps=-',
    ],
    ['H.264 without a clock rate', ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264'], 'h264 pt96 90000 mode0 sps=- pps=-'],
    [
      'H.264 with a trailing slash',
      ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000/'],
      'h264 pt96 90000 mode0 sps=- pps=-',
    ],
    ['H.265', ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H265/90000'], 'h265 pt96 90000 vps=- sps=- pps=-'],
    [
      'Bosch H.264 on payload type 35 (gortsplib#632)',
      [
        'm=video 0 RTP/AVP 35',
        'a=rtpmap:35 H264/90000',
        'a=fmtp:35 packetization-mode=1;sprop-parameter-sets=Z01AKY2NYDwBE/LgLcBDQECA,aO44gA==',
      ],
      'h264 pt35 90000 mode1 sps=674d40298d8d603c0113f2e02dc043404080 pps=68ee3880',
    ],
    ['PCMA at 16 kHz', ['m=audio 0 RTP/AVP 104', 'a=rtpmap:104 PCMA/16000'], 'pcma pt104 16000/1'],
    ['PCMU stereo', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 PCMU/8000/2'], 'pcmu pt97 8000/2'],
    ['PCMA without a clock rate', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 pcma'], 'pcma pt97 8000/1'],
    [
      'Opus mono in the rtpmap is 48000/2 (RFC 7587 §7, go2rtc#1506)',
      ['m=audio 0 RTP/AVP 111', 'a=rtpmap:111 OPUS/48000/1'],
      'opus pt111 48000/2',
    ],
    ['Opus stereo', ['m=audio 0 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2'], 'opus pt111 48000/2'],
    ['Opus at a wrong clock rate', ['m=audio 0 RTP/AVP 111', 'a=rtpmap:111 opus/16000'], 'opus pt111 48000/2'],
    [
      'AAC with mixed-case encoding name',
      [
        'm=audio 0 RTP/AVP 96',
        'a=rtpmap:96 mpeg4-generic/48000/1',
        'a=fmtp:96 mode=AAC-hbr; config=1188; SizeLength=13; IndexLength=3; IndexDeltaLength=3;',
      ],
      'aac pt96 48000/1 config=1188 13/3/3',
    ],
    [
      'MP4A-LATM',
      ['m=audio 0 RTP/AVP 96', 'a=rtpmap:96 MP4A-LATM/44100/2', 'a=fmtp:96 cpresent=0;config=400024203fc0'],
      'aac-latm pt96 44100 cpresent=false config=400024203fc0',
    ],
    ['Hikvision PCM/48000 (little-endian)', ['m=audio 0 RTP/AVP 11', 'a=rtpmap:11 PCM/48000'], 'unsupported pt11 PCM'],
    ['L16 (RFC 3551 §4.5.11)', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 L16/16000'], 'l16 pt97 16000/1'],
    ['L16 stereo', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 L16/8000/2'], 'l16 pt97 8000/2'],
    ['L16 without a clock rate', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 L16'], 'unsupported pt97 L16'],
    ['L24', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 L24/48000/2'], 'unsupported pt97 L24'],
    ['G.726', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 G726-32/8000'], 'unsupported pt97 G726-32'],
    ['MPEG-4 video (FLIR)', ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 MP4V-ES/90000'], 'unsupported pt96 MP4V-ES'],
    [
      'ONVIF metadata',
      ['m=application 0 RTP/AVP 107', 'a=rtpmap:107 vnd.onvif.metadata/90000'],
      'unsupported pt107 vnd.onvif.metadata',
    ],
    [
      'TP-Link smart track without a payload type',
      ['m=application/TP-LINK 0 RTP/AVP smart/1/90000', 'a=rtpmap:95 TP-LINK/90000'],
      'unsupported pt- -',
    ],
    ['a dynamic payload type without rtpmap (Avigilon, gortsplib#501)', ['m=video 0 RTP/AVP 96'], 'unsupported pt96 -'],
    ['clock rate 0 (mediamtx#4476)', ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/0'], 'unsupported pt96 H264'],
    ['channels 0 (B13)', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 PCMA/8000/0'], 'unsupported pt97 PCMA'],
    ['channels 9', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 opus/48000/9'], 'unsupported pt97 opus'],
    ['an unknown encoding without clock rate', ['m=audio 0 RTP/AVP 97', 'a=rtpmap:97 FOO'], 'unsupported pt97 FOO'],
  ];
  for (const [name, lines, want] of cases) {
    it(name, () => {
      expect(summarizeFormat(resolve(...lines))).toBe(want);
    });
  }

  it('says why a track is unsupported', () => {
    const reason = (...lines: string[]) => (resolve(...lines) as Extract<TrackFormat, { codec: 'unsupported' }>).reason;
    expect(reason('m=audio 0 RTP/AVP 11', 'a=rtpmap:11 PCM/48000')).toMatch(/little-endian/);
    expect(reason('m=audio 0 RTP/AVP 97', 'a=rtpmap:97 L24/48000/1')).toMatch(/L24.*browsers/);
    expect(reason('m=audio 0 RTP/AVP 97', 'a=rtpmap:97 G726-32/8000')).toMatch(/G726-32/);
    expect(reason('m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/0')).toMatch(/clock rate "0"/);
    expect(reason('m=audio 0 RTP/AVP 97', 'a=rtpmap:97 PCMA/8000/0')).toMatch(/channel count "0"/);
    expect(reason('m=video 0 RTP/AVP 96')).toMatch(/no rtpmap/);
    expect(reason('m=audio 0 RTP/AVP 97', 'a=rtpmap:97 MPEG4-GENERIC/16000')).toBe('AAC config is missing');
  });
});

describe('resolveTrackFormat: choosing the payload type', () => {
  it('takes the first usable payload type in m= line order (FLIR, gortsplib#85)', () => {
    const format = resolve(
      'm=video 0 RTP/AVP 96 111 112',
      'a=rtpmap:96 MP4V-ES/90000',
      'a=rtpmap:111 H264/90000',
      'a=fmtp:111 packetization-mode=1',
      'a=rtpmap:112 H264/90000',
    );
    expect(summarizeFormat(format)).toBe('h264 pt111 90000 mode1 sps=- pps=-');
  });

  it("returns the first payload type's reason when none is usable", () => {
    expect(resolve('m=video 0 RTP/AVP 96 97', 'a=rtpmap:96 MP4V-ES/90000', 'a=rtpmap:97 JPEG/90000')).toEqual({
      codec: 'unsupported',
      payloadType: 96,
      encoding: 'MP4V-ES',
      reason: 'encoding "MP4V-ES" is not supported',
    });
  });

  it('returns the section error for a broken m= line', () => {
    expect(resolve('m=video 0')).toEqual({
      codec: 'unsupported',
      reason: expect.stringContaining('malformed m= line'),
    });
  });

  it('uses a single fmtp written for another payload type (Hikvision, mediacommon#144)', () => {
    const format = resolve(
      'm=audio 0 RTP/AVP 104',
      'a=rtpmap:104 MPEG4-GENERIC/16000',
      'a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408',
    );
    expect(summarizeFormat(format)).toBe('aac pt104 16000/- config=1408 13/3/3');
  });

  it('does not borrow an fmtp when the section lists several payload types or has several fmtps', () => {
    const aac = 'a=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408';
    expect(summarizeFormat(resolve('m=audio 0 RTP/AVP 104 105', 'a=rtpmap:104 MPEG4-GENERIC/16000', aac))).toBe(
      'unsupported pt104 MPEG4-GENERIC',
    );
    expect(
      summarizeFormat(resolve('m=audio 0 RTP/AVP 104', 'a=rtpmap:104 MPEG4-GENERIC/16000', aac, 'a=fmtp:98 x=1')),
    ).toBe('unsupported pt104 MPEG4-GENERIC');
  });

  it('uses a single rtpmap written for another dynamic payload type', () => {
    expect(summarizeFormat(resolve('m=audio 0 RTP/AVP 97', 'a=rtpmap:96 PCMU/8000'))).toBe('pcmu pt97 8000/1');
  });

  it('prefers the static table over a mismatched rtpmap (go2rtc WebRTC#419: m= 8, rtpmap:0 pcma)', () => {
    expect(summarizeFormat(resolve('m=audio 0 RTP/AVP 8', 'a=rtpmap:0 pcma/8000/1'))).toBe('pcma pt8 8000/1');
    expect(summarizeFormat(resolve('m=audio 0 RTP/AVP 0', 'a=rtpmap:8 PCMA/8000'))).toBe('pcmu pt0 8000/1');
  });
});

describe('resolveTrackFormat: fuzz', () => {
  const text = fc.string({ maxLength: 30 });
  const fmtp = fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'packetization-mode',
          'sprop-parameter-sets',
          'sprop-vps',
          'sprop-sps',
          'sprop-pps',
          'sprop-max-don-diff',
          'tx-mode',
          'mode',
          'config',
          'sizelength',
          'indexlength',
          'constantsize',
          'cpresent',
          'object',
          'streamtype',
          'randomaccessindication',
        ),
        fc.oneof(
          text,
          fc.nat({ max: 100 }).map(String),
          fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString('base64')),
          fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
        ),
      ),
      { maxLength: 6 },
    )
    .map((pairs) => parseFmtpParameters(pairs.map(([k, v]) => `${k}=${v}`).join(';')));
  const encoding = fc.oneof(
    text,
    fc.constantFrom('H264', 'h265', 'MPEG4-GENERIC', 'MP4A-LATM', 'PCMA', 'pcmu', 'OPUS', 'L16', 'PCM'),
  );
  const pt = fc.integer({ min: 0, max: 127 });
  const mediaArbitrary: fc.Arbitrary<MediaDescription> = fc.record({
    index: fc.nat({ max: 63 }),
    type: fc.constantFrom('video', 'audio', 'application'),
    port: fc.constant(0),
    protocol: fc.constant('RTP/AVP'),
    payloadTypes: fc.uniqueArray(pt, { maxLength: 4 }),
    rtpmaps: fc
      .array(
        fc.tuple(
          pt,
          fc.record(
            {
              encoding,
              clockRate: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: MAX_CLOCK_RATE })),
              channels: fc.integer({ min: 1, max: MAX_CHANNELS }),
              invalid: fc.constant('clock rate "0" is not in 1..1000000'),
            },
            { requiredKeys: ['encoding', 'clockRate'] },
          ),
        ),
        { maxLength: 4 },
      )
      .map((entries) => new Map(entries)),
    fmtps: fc.array(fc.tuple(pt, fmtp), { maxLength: 3 }).map((entries) => new Map(entries)),
    attributes: fc.constant<SdpAttribute[]>([]),
  });

  it(
    'fuzz: never throws, and a supported format has a valid clock rate and channel count',
    () => {
      fc.assert(
        fc.property(mediaArbitrary, (m) => {
          const format = resolveTrackFormat(m);
          if (format.codec === 'unsupported') {
            expect(format.reason).not.toBe('');
            return;
          }
          expect(format.clockRate >= 1 && format.clockRate <= MAX_CLOCK_RATE).toBe(true);
          expect(m.payloadTypes).toContain(format.payloadType);
          const channels = 'channels' in format ? format.channels : undefined;
          if (channels !== undefined) expect(channels >= 1 && channels <= MAX_CHANNELS).toBe(true);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
