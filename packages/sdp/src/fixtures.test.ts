import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBackchannel } from './backchannel.js';
import { SdpError } from './errors.js';
import { parseSdp, type SessionDescription } from './session.js';
import { fixtureNames, readFixture, readTestdataReadme, summarizeFormat } from './test-fixtures.js';
import { resolveTrackFormat } from './track-format.js';

// Trailing zero bytes are trailing_zero_8bits, not part of the NAL unit (H.264 §B.1); Dahua sends them.
const hex = (base64: string) =>
  Buffer.from(base64, 'base64')
    .toString('hex')
    .replace(/(00)+$/, '');
const h264 = (pt: number, mode: number, sps?: string, pps?: string) =>
  `h264 pt${pt} 90000 mode${mode} sps=${sps === undefined ? '-' : hex(sps)} pps=${pps === undefined ? '-' : hex(pps)}`;
const h265 = (pt: number, vps: string, sps: string, pps: string) =>
  `h265 pt${pt} 90000 vps=${hex(vps)} sps=${hex(sps)} pps=${hex(pps)}`;
const METADATA = 'unsupported pt107 vnd.onvif.metadata';
const BACKCHANNEL = ' (backchannel)';

/** `<type> <control>: <format>`, one per media section. */
function summarize(session: SessionDescription): string[] {
  return session.medias.map(
    (media) =>
      `${media.type} ${media.control ?? '-'}: ${summarizeFormat(resolveTrackFormat(media))}${isBackchannel(media, session) ? BACKCHANNEL : ''}`,
  );
}

/** Every fixture in testdata/ (README.md there says where each comes from) and what it must parse into. */
const EXPECTED: Record<string, { session?: Partial<SessionDescription>; medias: string[] }> = {
  'amcrest-rtsp-session-origin.sdp': {
    session: { origin: 'RTSP Session 0 0 IN IP4 0.0.0.0', control: '*' },
    medias: [
      `video trackID=0: ${h264(96, 1, 'Z00AKZpkA8ARPyzUBAQFAAADA+gAAOpgBA==', 'aO48gA==')}`,
      'audio trackID=1: pcmu pt0 8000/1',
    ],
  },
  'avigilon-backchannel-truncated.sdp': {
    medias: [
      'audio rtsp://192.168.1.63/defaultPrimary/micCfg0/trackID=9?mtu=1440&streamType=u: pcmu pt0 8000/1',
      `audio rtsp://192.168.1.63/defaultPrimary/spk0/trackID=2?mtu=1440&streamType=u: pcmu pt0 8000/1${BACKCHANNEL}`,
      // The capture ends inside the control URL and the video has no rtpmap: only that track is lost.
      'video rtsp://192.168.1.63/defaultPr: unsupported pt96 -',
    ],
  },
  'axis-h264-aac.sdp': {
    session: { control: 'rtsp://hostname/axis-media/media.amp?audio=1&video=1', range: 'npt=now-' },
    medias: [
      `video rtsp://hostname/axis-media/media.amp/stream=0?audio=1&video=1: ${h264(96, 1, 'Z00AKeKQDwBE/LgLcBAQGkHiRFQ=', 'aO48gA==')}`,
      'audio rtsp://hostname/axis-media/media.amp/stream=1?audio=1&video=1: aac pt97 16000/1 config=1408 13/3/3',
    ],
  },
  'bosch-pt35.sdp': {
    medias: [
      `video rtsp://10.100.14.102:554/?inst=2&h26x=4&stream=video: ${h264(35, 1, 'Z01AKY2NYDwBE/LgLcBDQECA', 'aO44gA==')}`,
    ],
  },
  'dahua-h264-aac-onvif.sdp': {
    medias: [
      `video trackID=0: ${h264(96, 1, 'Z2QAHqwsaoLA9puCgIKgAAADACAAAAMD0IAA', 'aO4xshsA')}`,
      'audio trackID=1: aac pt97 48000/- config=1188 13/3/3',
      `application trackID=4: ${METADATA}`,
    ],
  },
  'dahua-h265-pcma-backchannel.sdp': {
    medias: [
      `video trackID=0: ${h265(
        98,
        'QAEMAf//AWAAAAMAAAMAAAMAAAMAlqwJ',
        'QgEBAWAAAAMAAAMAAAMAAAMAlqABaCAGWfeNrkkya5YwCAAAAwAIAAADAPBA',
        'RAHgdoaNAwYMZA==',
      )}`,
      'audio trackID=1: pcma pt8 8000/1',
      `audio trackID=5: pcma pt8 8000/1${BACKCHANNEL}`,
    ],
  },
  'dahua-onvif-backchannel-20pt.sdp': {
    medias: [
      `video trackID=0: ${h264(96, 1, 'Z2QAKqwsaoHgCJ+WbgoCCoAAAAMAgAAAD0IA', 'aO4xshsA')}`,
      'audio trackID=1: pcma pt8 8000/1',
      `application trackID=4: ${METADATA}`,
      // gortsplib fails the whole session here ("media 4 is invalid: config is missing"); the AAC
      // payload types lack an fmtp, so the first usable one, PCMU, describes the backchannel.
      `audio trackID=5: pcmu pt111 64000/1${BACKCHANNEL}`,
    ],
  },
  'dlink-cv-rtsphandler.sdp': {
    medias: [
      `video trackID=1: ${h264(
        99,
        1,
        'Z0KgKedAPAET8uAIEAABd2AAK/IGAAADAC+vCAAAHc1lP//jAAADABfXhAAADuayn//wIA==',
        'aN48gA==',
      )}`,
      'audio trackID=2: aac pt127 8000/1 config=1588 13/3/3',
    ],
  },
  'flir-multi-format.sdp': {
    medias: [`video rtsp://172.16.2.20/sid=96&overlay=on: ${h264(111, 1, 'Z0IAHqtAUB7I', 'aM4xEg==')}`],
  },
  'fmtp-in-other-section.sdp': {
    medias: [`video track0: ${h264(96, 1, 'Z0IAH5WoFAFuQA==', 'aM48gA==')}`, 'audio track1: pcma pt8 8000/1'],
  },
  'gstreamer-h264.sdp': {
    session: { sessionName: 'Session streamed with GStreamer', control: '*', range: 'npt=now-' },
    medias: [`video stream=0: ${h264(96, 1, 'Z0LAFNoFB+wFqDAwNSgAAAMACAAAAwGUeKFV', 'aM48gA==')}`],
  },
  'gstreamer-h264aac.sdp': {
    session: { sessionName: 'Session streamed with GStreamer', control: '*', range: 'npt=now-' },
    medias: [
      `video stream=0: ${h264(96, 1, 'Z0LAFNoFB+wFqDAwNSgAAAMACAAAAwGUeKFV', 'aM48gA==')}`,
      'audio stream=1: aac pt97 48000/2 config=1190 13/3/3',
    ],
  },
  'gstreamer-h265.sdp': {
    session: { control: '*' },
    medias: [
      `video stream=0: ${h265(
        96,
        'QAEMAf//AWAAAAMAkAAAAwAAAwA8ugJA',
        'QgEBAWAAAAMAkAAAAwAAAwA8oAoIDxZbpKTC//AAEAAWoMDAwIAAAAMAgAAADIQ=',
        'RAHAcYMS',
      )}`,
    ],
  },
  'hikvision-ds2cd2032.sdp': {
    session: { control: 'rtsp://192.168.5.106:554/Streaming/Channels/101/?transportmode=unicast&profile=Profile_1' },
    medias: [
      `video rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=1?transportmode=unicast&profile=Profile_1: ${h264(
        96,
        1,
        'Z00AKZpkA8ARPyzUBAQFAAADA+gAAOpgBA==',
        'aO48gA==',
      )}`,
      `application rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=3?transportmode=unicast&profile=Profile_1: ${METADATA}`,
    ],
  },
  'hikvision-hik-media-server-fmtp-mismatch.sdp': {
    session: { sessionName: 'HIK Media Server V5.03.010' },
    medias: [`video trackID=video: ${h264(96, 0)}`, 'audio trackID=audio: aac pt104 16000/- config=1408 13/3/3'],
  },
  'hikvision-pcm.sdp': {
    medias: [
      `video rtsp://192.168.1.12:554/Streaming/channels/101/trackID=1: ${h264(96, 1, 'Z2QAM6wVFKAyAOP5f/AAEAAWyAAAH0AAB1MAIA==', 'aO48sA==')}`,
      'audio rtsp://192.168.1.12:554/Streaming/channels/101/trackID=2: unsupported pt11 PCM',
    ],
  },
  'live555-mjpeg-vana.sdp': {
    medias: [
      'video track1: unsupported pt26 JPEG',
      'audio track2: pcmu pt0 8000/1',
      `application track4: ${METADATA}`,
      'vana track5: unsupported pt108 video.analysis',
    ],
  },
  'mercury-tplink-h264.sdp': {
    session: { sessionName: 'Session streamed by "MERCURY RTSP Server"' },
    medias: [
      // nal_ref_idc 1 in the SPS and PPS headers (0x27, 0x28): still SPS and PPS.
      `video track1: ${h264(96, 1, 'J00AH+dAKALdgKUFBQXwAAADABAAAAMCi2gD6AXf//wK', 'KO48gA==')}`,
      'audio track2: pcma pt8 8000/1',
      'application/mercury track3: unsupported pt- -',
    ],
  },
  'no-version-line.sdp': { medias: [`video trackID=0: ${h264(96, 0)}`] },
  'onvif-spec-backchannel.sdp': {
    medias: [
      'video rtsp://192.168.0.1/video: unsupported pt26 JPEG',
      'audio rtsp://192.168.0.1/audio: pcmu pt0 8000/1',
      `audio rtsp://192.168.0.1/audioback: pcmu pt0 8000/1${BACKCHANNEL}`,
    ],
  },
  'reolink-backchannel.sdp': {
    medias: [
      `video track1: ${h264(96, 1, 'Z2QAM6wVFKAoAPGQ', 'aO48sA==')}`,
      'audio track2: aac pt97 16000/- config=1408 13/3/3',
      `audio track3: pcma pt8 8000/1${BACKCHANNEL}`,
    ],
  },
  'reolink-live555.sdp': {
    session: { range: 'npt=0-' },
    medias: [
      `video trackID=1: ${h264(96, 1, 'Z2QAM6zoAoALWQ==', 'aO48MA==')}`,
      'audio trackID=2: aac pt97 16000/- config=1408 13/3/3',
    ],
  },
  'rtspserver-duplicate-s.sdp': {
    session: { sessionName: 'RtspServer' },
    medias: [
      `video track0: ${h264(96, 1, 'Z0IAHvQCgC3I', 'aM48gA==')}`,
      'audio track1: aac pt97 8000/1 config=1588 13/3/3',
    ],
  },
  'tplink-ipc-h265.sdp': {
    session: { origin: '- 14665860 31787219 1 IN IP4 192.168.2.29' },
    medias: [
      `video track1: ${h265(
        96,
        'QAEMAf//AWAAAAMAAAMAAAMAAAMAlqwJ',
        'QgEBAWAAAAMAAAMAAAMAAAMAlqABQCAFof4qtO6JLuaAgA27oADN/mAE',
        'RAHAcvAbJA==',
      )}`,
      'audio track2: pcma pt8 8000/1',
      'application/tp-link track3: unsupported pt- -',
    ],
  },
  'uniview-backchannel.sdp': {
    medias: [
      `video rtsp://1.0.1.113/media/video2/video: ${h264(105, 1, 'Z2QAFqw7UFAX/LCAAAH0AABOIEI=', 'aOqPLA==')}`,
      'audio rtsp://1.0.1.113/media/video2/audio1: pcmu pt0 8000/1',
      // Two rtpmaps for payload type 0: the first, PCMA, wins.
      `audio rtsp://1.0.1.113/media/video2/backchannel: pcma pt0 8000/1${BACKCHANNEL}`,
      `application rtsp://1.0.1.113/media/video2/metadata: ${METADATA}`,
    ],
  },
  'uniview-ipc2122.sdp': {
    session: { origin: '- 1001 1 IN', sessionName: 'VCP IPC Realtime stream' },
    medias: [
      `video rtsp://10.0.0.1/media/video1/video: ${h264(105, 1, 'Z2QAKKw7UDwBE/LCAAAH0AAA6mEI', 'aOqPLA==')}`,
      `application rtsp://10.0.0.1/media/video1/metadata: ${METADATA}`,
    ],
  },
  'verint-ip-origin.sdp': {
    session: { origin: '- 1329416390 1329416390 IP IP4 192.168.1.1' },
    medias: [
      `video rtsp://192.168.1.1:554/c266233d-e0e5-414f-9c57-9ed9d187c969/Video: ${h264(
        105,
        1,
        'Z2QAM6zTAPABD7AWoCAgKAABd2AAHUwEeEQiiw==',
        'KHuPOIJIUgwkSMLGFCsgiEMIFwgWEChxEEkyFyFkKJkEQhhAuECwgUOIhU0nSIcxTEdFMjFRyjhJHRRAgWmiijDeMEDzmGGD8NCw6GhsREKtdevruxgv4pC+xUXxRBrQpBWEChEcJmw=',
      )}`,
    ],
  },
  'vstarcam.sdp': {
    medias: [
      `video track0: ${h264(96, 1, 'Z00AKp2oHgCJ+WbgICAoAAADAAgAAAMAfCA=', 'aO48gA==')}`,
      'audio track1: pcma pt8 8000/1',
    ],
  },
  'wisenet-text-media.sdp': {
    medias: [
      `video trackID=0: ${h264(96, 1, 'Z00AMpY1QFEBf03AQEBAgA==', 'aO4xsg==')}`,
      'audio trackID=1: unsupported pt14 MPA',
      'text trackID=2: unsupported pt103 object-detection',
    ],
  },
};

describe('camera fixtures', () => {
  it('every fixture in testdata/ has an expectation, and every expectation a fixture', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(fixtureNames());
  });

  it('testdata/README.md says where every fixture comes from', () => {
    const readme = readTestdataReadme();
    expect(fixtureNames().filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  for (const name of fixtureNames()) {
    it(name, () => {
      const session = parseSdp(readFixture(name));
      const want = EXPECTED[name];
      expect(summarize(session)).toEqual(want?.medias);
      expect(session).toMatchObject(want?.session ?? {});
    });
  }
});

/** Where each line of an SDP belongs: -1 for the session, else the index of its media section. */
function sectionOfLines(lines: readonly string[]): number[] {
  let section = -1;
  return lines.map((line) => (/^\s*m=/i.test(line) ? ++section : section));
}

type Mutation =
  { kind: 'delete' | 'duplicate' } | { kind: 'truncate'; at: number } | { kind: 'replace'; at: number; char: number };

function mutate(lines: string[], index: number, mutation: Mutation): string[] {
  const out = [...lines];
  const line = out[index] as string;
  switch (mutation.kind) {
    case 'delete':
      out.splice(index, 1);
      break;
    case 'duplicate':
      out.splice(index, 0, line);
      break;
    case 'truncate':
      out[index] = line.slice(0, mutation.at % (line.length + 1));
      break;
    case 'replace': {
      const at = mutation.at % Math.max(line.length, 1);
      out[index] = line.slice(0, at) + String.fromCharCode(mutation.char) + line.slice(at + 1);
      break;
    }
  }
  return out;
}

describe('camera fixtures: fuzz', () => {
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.constant({ kind: 'delete' as const }),
    fc.constant({ kind: 'duplicate' as const }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('replace' as const),
      at: fc.nat(),
      char: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0a, 0x0d, 0x3d, 0x6d, 0x61, 0x20, 0x3a, 0x2f)),
    }),
  );

  it(
    'fuzz: a mutated line only changes its own section; the others resolve as before',
    () => {
      const fixtures = fixtureNames().map((name) => {
        const text = readFixture(name);
        const lines = text.split(/\r\n|\r|\n/);
        const session = parseSdp(text);
        return { name, lines, eol: text.includes('\r\n') ? '\r\n' : '\n', sections: sectionOfLines(lines), session };
      });
      fc.assert(
        fc.property(fc.nat(), fc.nat(), mutation, (fixtureIndex, lineIndex, m) => {
          const fixture = fixtures[fixtureIndex % fixtures.length]!;
          const k = lineIndex % fixture.lines.length;
          let mutated: SessionDescription;
          try {
            mutated = parseSdp(mutate(fixture.lines, k, m).join(fixture.eol));
          } catch (err) {
            expect(err).toBeInstanceOf(SdpError);
            return;
          }
          const formats = mutated.medias.map((media) => resolveTrackFormat(media)); // never throws
          // A moved fmtp (go2rtc WebRTC#419 repair) links two sections: nothing to compare then.
          const moved = (s: SessionDescription) =>
            s.warnings?.some((w) => w.startsWith('fmtp of payload type')) ?? false;
          if (moved(fixture.session) || moved(mutated)) return;

          const original = fixture.session.medias;
          const touched = fixture.sections[k] as number;
          // Changing an m= line can merge its section into the one before it.
          const touchedToo = /^\s*m=/i.test(fixture.lines[k] as string) ? touched - 1 : touched;
          original.forEach((media, i) => {
            if (i === touched || i === touchedToo) return;
            // Sections before the mutation keep their index; those after keep their distance from the end.
            const j = i < touchedToo ? i : formats.length - (original.length - i);
            expect(summarizeFormat(formats[j]!), `${fixture.name}: media ${i}`).toBe(
              summarizeFormat(resolveTrackFormat(media)),
            );
            expect(mutated.medias[j]?.control).toBe(media.control);
          });
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
