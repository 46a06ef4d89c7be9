import type { Track } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { hlsTrackOf } from './hls-track.js';
import { trackStatusOf, type TrackStatus } from './track-status.js';

const SPS = Uint8Array.of(0x67, 0x64, 0x00, 0x1e, 0xac);
const PPS = Uint8Array.of(0x68, 0xee, 0x3c, 0x80);
const VPS = Uint8Array.of(0x40, 0x01, 0x0c);
const ASC = Uint8Array.of(0x11, 0x90);

function track(overrides: Partial<Track>): Track {
  return {
    id: 0,
    kind: 'video',
    codec: 'h264',
    codecString: 'avc1.64001e',
    clockRate: 90_000,
    config: {},
    ...overrides,
  };
}

const audio = { kind: 'audio', clockRate: 8000, sampleRate: 8000, channels: 1 } as const;

describe('trackStatusOf (camera status and `camgate probe` tracks)', () => {
  it.for<{ name: string; track: Track; want: Partial<TrackStatus> }>([
    {
      name: 'H.264: delivered as it is, every browser',
      track: track({ config: { sps: SPS, pps: PPS } }),
      want: { delivered: { codec: 'h264', codecString: 'avc1.64001e' }, browsers: 'all' },
    },
    {
      name: 'H.264 waiting for its parameter sets: what it will be, and the wait',
      track: track({}),
      want: {
        delivered: { codec: 'h264', codecString: 'avc1.64001e' },
        browsers: 'all',
        reason: expect.stringMatching(/waiting/),
      },
    },
    {
      name: 'H.265: some browsers, with the way out',
      track: track({ codec: 'h265', codecString: 'hvc1.1.6.L93.B0', config: { vps: VPS, sps: SPS, pps: PPS } }),
      want: {
        delivered: { codec: 'h265', codecString: 'hvc1.1.6.L93.B0' },
        browsers: 'some',
        browserSupport: expect.stringMatching(/^Plays in Safari, .*Linux only with VAAPI.*transcode: "h264"/),
      },
    },
    {
      name: 'AAC',
      track: track({ ...audio, codec: 'aac', codecString: 'mp4a.40.2', config: { audioSpecificConfig: ASC } }),
      want: { delivered: { codec: 'aac', codecString: 'mp4a.40.2' }, browsers: 'all' },
    },
    {
      name: 'AAC without its AudioSpecificConfig: left out, with the reason',
      track: track({ ...audio, codec: 'aac', codecString: 'mp4a.40.2' }),
      want: { delivered: null, browsers: 'none', reason: expect.stringMatching(/AudioSpecificConfig/) },
    },
    {
      name: 'Opus',
      track: track({ ...audio, codec: 'opus', codecString: 'opus', clockRate: 48_000 }),
      want: { delivered: { codec: 'opus', codecString: 'opus' }, browsers: 'all' },
    },
    {
      name: 'G.711 A-law: FLAC, capitalised codec string',
      track: track({ ...audio, codec: 'pcma', codecString: 'alaw' }),
      want: { codec: 'pcma', codecString: 'alaw', delivered: { codec: 'flac', codecString: 'fLaC' }, browsers: 'all' },
    },
    {
      name: 'G.711 µ-law: FLAC',
      track: track({ ...audio, codec: 'pcmu', codecString: 'ulaw' }),
      want: { codec: 'pcmu', delivered: { codec: 'flac', codecString: 'fLaC' }, browsers: 'all' },
    },
    {
      name: 'L16: FLAC',
      track: track({ ...audio, codec: 'l16', codecString: 'L16', clockRate: 16_000 }),
      want: { codec: 'l16', delivered: { codec: 'flac', codecString: 'fLaC' }, browsers: 'all' },
    },
    {
      name: 'G.711 with 4 channels: left out',
      track: track({ ...audio, codec: 'pcmu', codecString: 'ulaw', channels: 4 }),
      want: { delivered: null, browsers: 'none', reason: expect.stringMatching(/mono and stereo/) },
    },
  ])('$name', ({ track: input, want }) => {
    const status = trackStatusOf(input, hlsTrackOf(input));
    expect(status).toMatchObject({ kind: input.kind, codec: input.codec, ...want });
    expect(status.browserSupport.length).toBeGreaterThan(0);
    if (want.reason === undefined) expect(status).not.toHaveProperty('reason');
  });
});

describe('H.265 wording follows the camera setting `transcode`', () => {
  const h265 = track({ codec: 'h265', codecString: 'hvc1.1.6.L93.B0', config: { vps: VPS, sps: SPS, pps: PPS } });
  it.for<{ transcode: 'off' | 'h264' | undefined; says: RegExp; not: RegExp }>([
    { transcode: undefined, says: /Turn on transcode: "h264"/, not: /transcode is on/ },
    { transcode: 'off', says: /Turn on transcode: "h264"/, not: /transcode is on/ },
    { transcode: 'h264', says: /other browsers get the H\.264 variant \(transcode is on\)/, not: /Turn on/ },
  ])('transcode $transcode', ({ transcode, says, not }) => {
    const status = trackStatusOf(h265, hlsTrackOf(h265), transcode === undefined ? {} : { transcode });
    expect(status.browsers).toBe('some');
    expect(status.browserSupport).toMatch(says);
    expect(status.browserSupport).not.toMatch(not);
  });
});
