import { describe, expect, it } from 'vitest';
import { isBackchannel } from './backchannel.js';
import { parseSdp } from './session.js';
import { readFixture } from './test-fixtures.js';

const backchannels = (text: string) => {
  const session = parseSdp(text);
  return session.medias.map((media) => isBackchannel(media, session));
};

describe('isBackchannel', () => {
  const fixtures: Array<[name: string, fixture: string, want: boolean[]]> = [
    ['ONVIF Streaming Specification example', 'onvif-spec-backchannel.sdp', [false, false, true]],
    ['Dahua C5A: PCMA backchannel (frigate#16026)', 'dahua-h265-pcma-backchannel.sdp', [false, false, true]],
    [
      'Dahua ONVIF URL: 20-codec backchannel (gortsplib#479)',
      'dahua-onvif-backchannel-20pt.sdp',
      [false, false, false, true],
    ],
    ['Reolink BC Streaming Media (go2rtc tests)', 'reolink-backchannel.sdp', [false, false, true]],
    ['Uniview (go2rtc#1426)', 'uniview-backchannel.sdp', [false, false, true, false]],
    ['Avigilon speaker before the video (gortsplib#501)', 'avigilon-backchannel-truncated.sdp', [false, true, false]],
    ['D-Link CV-RTSPHandler marks its video sendonly (go2rtc#771)', 'dlink-cv-rtsphandler.sdp', [false, false]],
    ['Hikvision: everything recvonly', 'hikvision-ds2cd2032.sdp', [false, false]],
    ['GStreamer: no direction at all', 'gstreamer-h264aac.sdp', [false, false]],
  ];
  for (const [name, fixture, want] of fixtures) {
    it(name, () => {
      expect(backchannels(readFixture(fixture))).toEqual(want);
    });
  }

  const cases: Array<[name: string, lines: string[], want: boolean[]]> = [
    [
      'every section sendonly: a camera that marks its own streams wrongly, no backchannel (gortsplib)',
      ['m=video 0 RTP/AVP 96', 'a=sendonly', 'm=audio 0 RTP/AVP 0', 'a=sendonly'],
      [false, false],
    ],
    [
      'session-level sendonly applies to every section',
      ['a=sendonly', 'm=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 0'],
      [false, false],
    ],
    [
      'session-level recvonly and a sendonly section',
      ['a=recvonly', 'm=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 0', 'a=sendonly'],
      [false, true],
    ],
    ['direction in capitals', ['m=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 0', 'a=SENDONLY'], [false, true]],
    [
      'sendrecv and inactive are not backchannels',
      ['m=video 0 RTP/AVP 96', 'a=sendrecv', 'm=audio 0 RTP/AVP 0', 'a=inactive'],
      [false, false],
    ],
    [
      'D-Link origin with a real-looking backchannel',
      ['o=CV-RTSPHandler 1 0 IN IP4 10.0.0.1', 'm=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 0', 'a=sendonly'],
      [false, false],
    ],
  ];
  for (const [name, lines, want] of cases) {
    it(name, () => {
      expect(backchannels(['v=0', ...lines].join('\r\n'))).toEqual(want);
    });
  }
});
