import { describe, expect, it } from 'vitest';
// The browser code's pure helpers (apps/gateway/web/shared), run here in Node: no DOM in them.
import {
  chooseVariant,
  codecName,
  codecSpellings,
  parseVariants,
  restrictPlaylist,
  undecodableMessage,
  videoOnlyMessage,
  type CodecCheck,
} from '../../web/shared/codecs.js';
import { sameStream, tokenExpiry, tokenOf, withToken } from '../../web/shared/stream-url.js';

/** A camera set to transcode: its H.265 video, the H.264 variant, one AAC rendition (as the gateway writes it). */
const TWO_VARIANTS = `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=400000,AVERAGE-BANDWIDTH=300000,CODECS="hvc1.1.6.L93.B0,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"
video.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=700000,AVERAGE-BANDWIDTH=600000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"
h264/video.m3u8
`;

/** A browser decoding only these exact codec strings. */
function decodes(...codecs: string[]): CodecCheck {
  return (codec) => Promise.resolve(codecs.includes(codec));
}

describe('multivariant playlists and codecs (web/shared/codecs.ts)', () => {
  it('reads each variant: URI, CODECS split, bandwidth, resolution, frame rate', () => {
    expect(parseVariants(TWO_VARIANTS)).toEqual([
      {
        uri: 'video.m3u8',
        codecs: ['hvc1.1.6.L93.B0', 'mp4a.40.2'],
        bandwidth: 400000,
        width: 640,
        height: 360,
        frameRate: 25,
      },
      {
        uri: 'h264/video.m3u8',
        codecs: ['avc1.64001e', 'mp4a.40.2'],
        bandwidth: 700000,
        width: 640,
        height: 360,
        frameRate: 25,
      },
    ]);
    expect(parseVariants('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nv.m4s\n')).toEqual([]);
  });

  it.each([
    [
      'every codec decodes: the first variant, with its audio',
      decodes('hvc1.1.6.L93.B0', 'avc1.64001e', 'mp4a.40.2'),
      'video.m3u8',
      ['mp4a.40.2'],
      [],
    ],
    ['no H.265: the H.264 variant', decodes('avc1.64001e', 'mp4a.40.2'), 'h264/video.m3u8', ['mp4a.40.2'], []],
    ['no AAC: the H.264 variant without audio', decodes('avc1.64001e'), 'h264/video.m3u8', [], ['mp4a.40.2']],
    ['no video codec at all: none', decodes('mp4a.40.2'), undefined, [], []],
  ] as const)('%s', async (_name, check, uri, audio, dropped) => {
    const choice = await chooseVariant(parseVariants(TWO_VARIANTS), check);
    expect([choice.variant?.uri, choice.audio, choice.droppedAudio]).toEqual([uri, audio, dropped]);
  });

  it('tells undecodable audio from undecodable video: a camera of audio only is not about transcoding', async () => {
    const audioOnly = parseVariants('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="ec-3"\naudio.m3u8\n');
    const choice = await chooseVariant(audioOnly, decodes('avc1.64001e', 'mp4a.40.2'));
    expect([choice.variant, choice.undecodable, choice.undecodableAudio]).toEqual([undefined, [], ['ec-3']]);
    expect(undecodableMessage(choice.undecodable, choice.undecodableAudio)).toBe(
      "This browser cannot decode this camera's E-AC-3 audio.",
    );
    // Video that does not decode is what is said, whatever the audio.
    const h265 = await chooseVariant(parseVariants(TWO_VARIANTS).slice(0, 1), decodes());
    expect([h265.undecodable, h265.undecodableAudio]).toEqual([['hvc1.1.6.L93.B0'], []]);
    expect(undecodableMessage(['hvc1.1.6.L93.B0'], ['ec-3'])).toContain('cannot decode H.265 video');
    expect(undecodableMessage([], [])).toBe('This browser cannot decode this camera’s video.');
  });

  it('names what cannot be decoded, in words', async () => {
    const choice = await chooseVariant(parseVariants(TWO_VARIANTS).slice(0, 1), decodes('mp4a.40.2'));
    expect(undecodableMessage(choice.undecodable)).toBe(
      "This browser cannot decode H.265 video. Open it in Safari, use the camera's H.264 stream, or turn on H.264 transcoding for this camera.",
    );
    expect(undecodableMessage(['av01.0.05M.08'])).toBe(
      "This browser cannot decode AV1 video. Use the camera's H.264 stream, or turn on H.264 transcoding for this camera.",
    );
    expect(videoOnlyMessage(['ec-3'])).toBe(
      "Playing video only: this browser cannot decode the camera's E-AC-3 audio.",
    );
    expect(['avc1.64001e', 'hev1.1.6.L93.B0', 'fLaC', 'Opus', 'mp4a.40.2', 'xyz'].map(codecName)).toEqual([
      'H.264',
      'H.265',
      'FLAC',
      'Opus',
      'AAC',
      'xyz',
    ]);
  });

  it.each([
    ['fLaC', ['fLaC', 'flac']],
    ['flac', ['flac', 'fLaC']],
    ['Opus', ['Opus', 'opus']],
    ['opus', ['opus', 'Opus']],
    ['mp4a.40.2', ['mp4a.40.2']],
    ['avc1.64001e', ['avc1.64001e']],
  ])('asks the browser about %s as %j', (codec, spellings) => {
    expect(codecSpellings(codec)).toEqual(spellings);
  });

  it('restricts the playlist to one variant, with or without its audio', () => {
    const [, h264] = parseVariants(TWO_VARIANTS);
    const withAudio = restrictPlaylist(TWO_VARIANTS, h264!, true);
    expect(parseVariants(withAudio).map((v) => v.uri)).toEqual(['h264/video.m3u8']);
    expect(withAudio).toContain('#EXT-X-MEDIA:TYPE=AUDIO');
    const videoOnly = restrictPlaylist(TWO_VARIANTS, h264!, false);
    expect(parseVariants(videoOnly)).toEqual([{ ...h264, codecs: ['avc1.64001e'] }]);
    expect(videoOnly).not.toContain('AUDIO');
    expect(videoOnly.startsWith('#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n')).toBe(true);
  });
});

describe('stream URLs and tokens (web/shared/stream-url.ts)', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

  it.each([
    ['https://gw/live/door/t/abc.def.ghi/index.m3u8', 'abc.def.ghi'],
    ['https://gw/live/door/t/abc/video.m3u8?_HLS_msn=3', 'abc'],
    // A camera whose id is "t": the token is the segment before the file name.
    ['https://gw/live/t/t/tok/index.m3u8', 'tok'],
    ['https://gw/live/t/index.m3u8', undefined],
    ['https://gw/live/door/index.m3u8', undefined],
    // The transcoded variant: the token sits before `h264/<file>`.
    ['https://gw/live/door/t/abc.def.ghi/h264/video.m3u8', 'abc.def.ghi'],
    ['https://gw/live/door/t/abc/h264/video.m3u8?_HLS_msn=3&_HLS_part=1', 'abc'],
    ['/live/door/t/abc/h264/part-7.m4s', 'abc'],
    ['https://gw/live/t/t/tok/h264/video.m3u8', 'tok'],
    ['https://gw/live/cam/h264/video.m3u8', undefined],
    // A camera "t" transcoded, no token: "h264" is the variant's folder.
    ['https://gw/live/t/h264/video.m3u8', undefined],
    ['https://gw/live/t/h264/video.m3u8?_HLS_msn=3', undefined],
  ])('tokenOf(%s) is %s', (url, token) => {
    expect(tokenOf(url)).toBe(token);
  });

  it('swaps tokens and tells the same stream under another token', () => {
    expect(withToken('/live/door/t/old/part-1.m4s', 'new')).toBe('/live/door/t/new/part-1.m4s');
    expect(withToken('/live/door/index.m3u8', 'new')).toBe('/live/door/index.m3u8');
    expect(withToken('/live/door/t/old/h264/video.m3u8?_HLS_msn=9', 'new')).toBe(
      '/live/door/t/new/h264/video.m3u8?_HLS_msn=9',
    );
    expect(withToken('/live/t/h264/video.m3u8', 'new')).toBe('/live/t/h264/video.m3u8');
    expect(sameStream('/live/door/t/a/h264/video.m3u8', '/live/door/t/b/h264/video.m3u8')).toBe(true);
    expect(sameStream('/live/door/t/a/h264/video.m3u8', '/live/door/t/b/video.m3u8')).toBe(false);
    expect(sameStream('/live/door/t/a/index.m3u8', '/live/door/t/b/index.m3u8')).toBe(true);
    expect(sameStream('/live/door/t/a/index.m3u8', '/live/gate/t/b/index.m3u8')).toBe(false);
    expect(sameStream('/live/door/index.m3u8', '/live/door/index.m3u8')).toBe(false);
  });

  it('reads a JWT exp in ms, NaN when unreadable', () => {
    expect(tokenExpiry(jwt({ exp: 1700000000 }))).toBe(1700000000000);
    expect(tokenExpiry(jwt({ sub: 'door' }))).toBeNaN();
    expect(tokenExpiry('not-a-jwt')).toBeNaN();
  });
});
