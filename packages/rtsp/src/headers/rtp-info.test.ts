import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtspErrorCode } from '../errors.js';
import { MAX_RTP_INFO_ENTRIES, MAX_RTP_INFO_LENGTH, parseRtpInfo, type RtpInfoEntry } from './rtp-info.js';
import { fuzzInputs, hasControlOrSpace } from './test-fuzz.js';

const cases: Array<[name: string, value: string, want: RtpInfoEntry[]]> = [
  [
    'GStreamer, two tracks (captured)',
    'url=rtsp://127.0.0.1:46601/h264aac/stream=0;seq=4546;rtptime=3554423083, url=rtsp://127.0.0.1:46601/h264aac/stream=1;seq=28280;rtptime=2376872231',
    [
      { url: 'rtsp://127.0.0.1:46601/h264aac/stream=0', seq: 4546, rtptime: 3554423083 },
      { url: 'rtsp://127.0.0.1:46601/h264aac/stream=1', seq: 28280, rtptime: 2376872231 },
    ],
  ],
  [
    'no spaces between entries (scrypted log)',
    'url=rtsp://192.168.2.236:554/profile1/track1;seq=56350;rtptime=1173786446,url=rtsp://192.168.2.236:554/profile1/track2;seq=26367;rtptime=530583461',
    [
      { url: 'rtsp://192.168.2.236:554/profile1/track1', seq: 56350, rtptime: 1173786446 },
      { url: 'rtsp://192.168.2.236:554/profile1/track2', seq: 26367, rtptime: 530583461 },
    ],
  ],
  [
    'Hikvision suspicious seq=0 is parsed as sent (retina)',
    'url=rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1;seq=0;rtptime=0',
    [{ url: 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1', seq: 0, rtptime: 0 }],
  ],
  [
    'Dahua: commas inside the URL are not split',
    'url=rtsp://cam/cam/realmonitor?channel=1,2&subtype=0/trackID=0;seq=1;rtptime=2',
    [{ url: 'rtsp://cam/cam/realmonitor?channel=1,2&subtype=0/trackID=0', seq: 1, rtptime: 2 }],
  ],
  [
    'semicolons inside the URL are kept',
    'url=rtsp://cam/x;y=1/track1;seq=7',
    [{ url: 'rtsp://cam/x;y=1/track1', seq: 7 }],
  ],
  [
    'spaces, any case, any order, quoted URL',
    ' URL = "rtsp://cam/track1" ; RTPTIME = 5 ; Seq = 6 ,seq=8;url=trackID=2',
    [
      { url: 'rtsp://cam/track1', rtptime: 5, seq: 6 },
      { url: 'trackID=2', seq: 8 },
    ],
  ],
  [
    'missing and malformed fields are dropped',
    'url=rtsp://cam/t1, url=rtsp://cam/t2;seq=70000;rtptime=-1, url=rtsp://cam/t3;seq=x;rtptime=4294967296',
    [{ url: 'rtsp://cam/t1' }, { url: 'rtsp://cam/t2' }, { url: 'rtsp://cam/t3' }],
  ],
  [
    'Reolink-style ssrc (RFC 7826)',
    'url=rtsp://cam/h264Preview_01_main/trackID=1;seq=1;rtptime=0;ssrc=6B8B4567',
    [{ url: 'rtsp://cam/h264Preview_01_main/trackID=1', seq: 1, rtptime: 0, ssrc: 0x6b8b4567 }],
  ],
  ['largest values', 'url=x;seq=65535;rtptime=4294967295', [{ url: 'x', seq: 65535, rtptime: 4294967295 }]],
  ['entries without a url are skipped', 'seq=1;rtptime=2, url=rtsp://cam/t;seq=3', [{ url: 'rtsp://cam/t', seq: 3 }]],
  ['url with a space is skipped', 'url=rtsp://cam/a b;seq=1', []],
  ['empty', '', []],
];

describe('parseRtpInfo', () => {
  it.each(cases)('%s', (_name, value, want) => {
    expect(parseRtpInfo(value)).toEqual(want);
  });

  it('rejects an oversized header with RTSP_INVALID_HEADER', () => {
    expect(() => parseRtpInfo(`url=${'x'.repeat(MAX_RTP_INFO_LENGTH)}`)).toThrow(
      expect.objectContaining({ code: RtspErrorCode.INVALID_HEADER }),
    );
  });

  it(`keeps at most ${MAX_RTP_INFO_ENTRIES} entries`, () => {
    const value = Array.from({ length: 50 }, (_, i) => `url=t${i};seq=${i}`).join(',');
    expect(parseRtpInfo(value)).toHaveLength(MAX_RTP_INFO_ENTRIES);
  });

  it('fuzz: returns valid entries or throws RTSP_INVALID_HEADER', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(fuzzInputs(cases.map(([, value]) => value)), (value) => {
        let entries: RtpInfoEntry[];
        try {
          entries = parseRtpInfo(value);
        } catch (err) {
          expect(isCodedError(err, RtspErrorCode.INVALID_HEADER)).toBe(true);
          return;
        }
        expect(entries.length).toBeLessThanOrEqual(MAX_RTP_INFO_ENTRIES);
        for (const { url, seq, rtptime, ssrc } of entries) {
          expect(url.length > 0 && url.length <= 2048 && !hasControlOrSpace(url)).toBe(true);
          if (seq !== undefined) expect(Number.isInteger(seq) && seq >= 0 && seq <= 0xffff).toBe(true);
          if (rtptime !== undefined)
            expect(Number.isInteger(rtptime) && rtptime >= 0 && rtptime <= 0xffff_ffff).toBe(true);
          if (ssrc !== undefined) expect(Number.isInteger(ssrc) && ssrc >= 0 && ssrc <= 0xffff_ffff).toBe(true);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
