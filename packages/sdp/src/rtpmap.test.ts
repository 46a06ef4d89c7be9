import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CHANNELS, MAX_CLOCK_RATE, MAX_PAYLOAD_TYPE } from './limits.js';
import { parsePayloadType, parseRtpMap, staticRtpMap, type RtpMap } from './rtpmap.js';

describe('parseRtpMap (RFC 8866 §6.6)', () => {
  const cases: Array<[name: string, value: string, want: { payloadType: number; rtpmap: RtpMap } | undefined]> = [
    ['H.264', '96 H264/90000', { payloadType: 96, rtpmap: { encoding: 'H264', clockRate: 90000 } }],
    [
      'encoding case kept as sent',
      '0 pcma/8000/1',
      { payloadType: 0, rtpmap: { encoding: 'pcma', clockRate: 8000, channels: 1 } },
    ],
    [
      'AAC with channels',
      '97 MPEG4-GENERIC/48000/2',
      { payloadType: 97, rtpmap: { encoding: 'MPEG4-GENERIC', clockRate: 48000, channels: 2 } },
    ],
    ['trailing slash', '96 H264/90000/', { payloadType: 96, rtpmap: { encoding: 'H264', clockRate: 90000 } }],
    [
      'trailing space (mediamtx#2473)',
      '96 H265/90000 ',
      { payloadType: 96, rtpmap: { encoding: 'H265', clockRate: 90000 } },
    ],
    ['missing clock rate', '96 H264', { payloadType: 96, rtpmap: { encoding: 'H264', clockRate: 0 } }],
    [
      'several spaces after the payload type',
      '96   H264/90000',
      { payloadType: 96, rtpmap: { encoding: 'H264', clockRate: 90000 } },
    ],
    [
      'clock rate 0 (mediamtx#4476)',
      '96 H264/0',
      { payloadType: 96, rtpmap: { encoding: 'H264', clockRate: 0, invalid: 'clock rate "0" is not in 1..1000000' } },
    ],
    [
      'space before the slash and clock 0 (BZBGEAR, gortsplib#1068)',
      '123 META /0',
      { payloadType: 123, rtpmap: { encoding: 'META', clockRate: 0, invalid: 'clock rate "0" is not in 1..1000000' } },
    ],
    [
      'clock rate above 1 MHz',
      '96 H264/2000000',
      {
        payloadType: 96,
        rtpmap: { encoding: 'H264', clockRate: 0, invalid: 'clock rate "2000000" is not in 1..1000000' },
      },
    ],
    [
      'clock rate not a number',
      '96 H264/90k',
      { payloadType: 96, rtpmap: { encoding: 'H264', clockRate: 0, invalid: 'clock rate "90k" is not in 1..1000000' } },
    ],
    [
      'channels 0',
      '97 PCMA/8000/0',
      { payloadType: 97, rtpmap: { encoding: 'PCMA', clockRate: 8000, invalid: 'channel count "0" is not in 1..8' } },
    ],
    [
      'metadata with a third field (LIVE555, go2rtc#1278)',
      '107 vnd.onvif.metadata/90000/500',
      {
        payloadType: 107,
        rtpmap: { encoding: 'vnd.onvif.metadata', clockRate: 90000, invalid: 'channel count "500" is not in 1..8' },
      },
    ],
    ['payload type 300 (B13)', '300 H264/90000', undefined],
    ['negative payload type', '-1 H264/90000', undefined],
    ['no encoding', '96', undefined],
    ['empty encoding', '96 /90000', undefined],
    ['empty', '', undefined],
  ];
  for (const [name, value, want] of cases) {
    it(name, () => {
      expect(parseRtpMap(value)).toEqual(want);
    });
  }

  it(
    'fuzz: never throws and keeps every value within its limits',
    () => {
      const part = fc.oneof(fc.string({ maxLength: 8 }), fc.nat({ max: 2_000_000 }).map(String));
      fc.assert(
        fc.property(fc.tuple(part, part, part, part), fc.constantFrom(' ', '/', '  '), ([a, b, c, d], sep) => {
          const parsed = parseRtpMap(`${a} ${b}/${c}${sep}${d}`);
          if (parsed === undefined) return;
          expect(parsed.payloadType).toBeGreaterThanOrEqual(0);
          expect(parsed.payloadType).toBeLessThanOrEqual(MAX_PAYLOAD_TYPE);
          const { clockRate, channels, invalid } = parsed.rtpmap;
          expect(clockRate === 0 || (clockRate >= 1 && clockRate <= MAX_CLOCK_RATE)).toBe(true);
          if (channels !== undefined) expect(channels >= 1 && channels <= MAX_CHANNELS).toBe(true);
          if (invalid === undefined) expect(clockRate === 0 || Number.isInteger(clockRate)).toBe(true);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});

describe('parsePayloadType', () => {
  it.each([
    ['0', 0],
    ['127', 127],
    ['035', 35],
    ['128', undefined],
    ['1000', undefined],
    ['', undefined],
    ['9a', undefined],
    ['smart/1/90000', undefined],
  ])('%j -> %j', (text, want) => {
    expect(parsePayloadType(text)).toBe(want);
  });
});

describe('staticRtpMap (RFC 3551 §6)', () => {
  it.each([
    [0, { encoding: 'PCMU', clockRate: 8000, channels: 1 }],
    [8, { encoding: 'PCMA', clockRate: 8000, channels: 1 }],
    [10, { encoding: 'L16', clockRate: 44100, channels: 2 }],
    [14, { encoding: 'MPA', clockRate: 90000 }],
    [26, { encoding: 'JPEG', clockRate: 90000 }],
    [33, { encoding: 'MP2T', clockRate: 90000 }],
    [35, undefined],
    [96, undefined],
  ])('payload type %i', (payloadType, want) => {
    expect(staticRtpMap(payloadType)).toEqual(want);
  });

  it('returns a copy that callers may change', () => {
    const first = staticRtpMap(0)!;
    first.clockRate = 1;
    expect(staticRtpMap(0)?.clockRate).toBe(8000);
  });
});
