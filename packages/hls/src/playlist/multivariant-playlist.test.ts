import { describe, expect, it } from 'vitest';
import { HlsStream } from '../hls-stream.js';
import { AUDIO_TRACK, syntheticFrames, VIDEO_TRACK } from '../test-frames.js';
import { checkMultivariantPlaylist } from '../test-playlist-rules.js';
import { renderMultivariantPlaylist, type VariantInfo } from './multivariant-playlist.js';

const h264 = { uri: 'h264/video.m3u8', codec: 'avc1.64001e', bandwidth: 700_000, averageBandwidth: 650_000 };

describe('renderMultivariantPlaylist with extra variants', () => {
  it.each<[string, VariantInfo, string[]]>([
    [
      'video and audio: the extra variant shares the audio group and lists the audio codec',
      {
        codecs: ['hvc1.1.6.L90.90', 'mp4a.40.2'],
        bandwidth: 500_000,
        averageBandwidth: 400_000,
        video: { uri: 'video.m3u8', width: 640, height: 360, frameRate: 25 },
        audio: { uri: 'audio.m3u8', channels: 2 },
        extra: [{ ...h264, width: 640, height: 360, frameRate: 25 }],
      },
      [
        '#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=400000,CODECS="hvc1.1.6.L90.90,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"',
        'video.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=700000,AVERAGE-BANDWIDTH=650000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"',
        'h264/video.m3u8',
      ],
    ],
    [
      'video only',
      {
        codecs: ['hvc1.1.6.L90.90'],
        bandwidth: 500_000,
        averageBandwidth: 400_000,
        video: { uri: 'video.m3u8' },
        extra: [h264],
      },
      [
        '#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=400000,CODECS="hvc1.1.6.L90.90"',
        'video.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=700000,AVERAGE-BANDWIDTH=650000,CODECS="avc1.64001e"',
        'h264/video.m3u8',
      ],
    ],
    [
      'audio only: no video variant to add',
      {
        codecs: ['mp4a.40.2'],
        bandwidth: 64_000,
        averageBandwidth: 64_000,
        audio: { uri: 'audio.m3u8' },
        extra: [h264],
      },
      ['#EXT-X-STREAM-INF:BANDWIDTH=64000,AVERAGE-BANDWIDTH=64000,CODECS="mp4a.40.2"', 'audio.m3u8'],
    ],
  ])('%s', (_, variant, expected) => {
    const lines = renderMultivariantPlaylist(variant).trim().split('\n');
    expect(lines.filter((l) => l.startsWith('#EXT-X-STREAM-INF') || !l.startsWith('#'))).toEqual(expected);
  });
});

describe('HlsStream extraVariants', () => {
  it('lists the variant in both multivariant playlists and hands its files to it', async () => {
    const asked: string[] = [];
    const stream = new HlsStream({
      segmentDurationMs: 1000,
      extraVariants: () => [
        {
          path: 'h264',
          codec: 'avc1.64001e',
          bandwidth: 600_000,
          width: 640,
          height: 360,
          handle: (name) => {
            asked.push(name);
            return Promise.resolve({ status: 200, headers: {}, body: name });
          },
        },
      ],
    });
    stream.setTrack(VIDEO_TRACK);
    stream.setTrack(AUDIO_TRACK);
    for (const frame of syntheticFrames({ seconds: 4 })) stream.push(frame);
    const llhls = await stream.handle('index.m3u8');
    expect(llhls.body).toContain('\nh264/video.m3u8\n');
    expect(llhls.body).toMatch(/CODECS="avc1\.64001e,mp4a\.40\.2",RESOLUTION=640x360,FRAME-RATE=25\.000,AUDIO="audio"/);
    const standard = await stream.handle('standard.m3u8');
    expect(standard.body).toContain('\nh264/standard-video.m3u8\n');
    expect((await stream.handle('h264/video.m3u8')).body).toBe('video.m3u8');
    expect((await stream.handle('h265/video.m3u8')).status).toBe(404);
    expect(asked).toEqual(['video.m3u8']);
    expect(checkMultivariantPlaylist(String(llhls.body)).filter((v) => v.level === 'must')).toEqual([]);
    stream.close();
  });
});
