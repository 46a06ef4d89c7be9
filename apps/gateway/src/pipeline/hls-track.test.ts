import type { Track } from '@camgate/rtsp';
import { describe, expect, it } from 'vitest';
import { hlsTrackOf } from './hls-track.js';

const SPS = Uint8Array.of(0x67, 0x64, 0x00, 0x1e, 0xac);
const PPS = Uint8Array.of(0x68, 0xee, 0x3c, 0x80);
const VPS = Uint8Array.of(0x40, 0x01, 0x0c);
const ASC = Uint8Array.of(0x11, 0x90);

function track(overrides: Partial<Track>): Track {
  return { id: 0, kind: 'video', codec: 'h264', codecString: 'avc1', clockRate: 90_000, config: {}, ...overrides };
}

describe('hlsTrackOf', () => {
  it.for([
    {
      name: 'H.264 with SPS and PPS',
      track: track({ config: { sps: SPS, pps: PPS }, width: 640, height: 360, fps: 25 }),
      playable: true,
    },
    { name: 'H.264 without its PPS yet', track: track({ config: { sps: SPS } }), playable: false, pending: true },
    {
      name: 'H.265 with VPS, SPS and PPS',
      track: track({ codec: 'h265', codecString: 'hvc1', config: { vps: VPS, sps: SPS, pps: PPS } }),
      playable: true,
    },
    {
      name: 'H.265 without its VPS yet',
      track: track({ codec: 'h265', codecString: 'hvc1', config: { sps: SPS, pps: PPS } }),
      playable: false,
      pending: true,
    },
    {
      name: 'AAC with its AudioSpecificConfig',
      track: track({
        kind: 'audio',
        codec: 'aac',
        clockRate: 48_000,
        sampleRate: 48_000,
        channels: 2,
        config: { audioSpecificConfig: ASC },
      }),
      playable: true,
    },
    {
      name: 'AAC without an AudioSpecificConfig',
      track: track({ kind: 'audio', codec: 'aac', clockRate: 48_000, config: {} }),
      playable: false,
      pending: false,
    },
    { name: 'Opus', track: track({ kind: 'audio', codec: 'opus', clockRate: 48_000, channels: 2 }), playable: true },
    {
      name: 'G.711 A-law: FLAC',
      track: track({ kind: 'audio', codec: 'pcma', clockRate: 8_000 }),
      playable: true,
      flac: { channels: 1, sampleRate: 8_000 },
    },
    {
      name: 'G.711 µ-law stereo 16 kHz: FLAC',
      track: track({ kind: 'audio', codec: 'pcmu', clockRate: 16_000, channels: 2 }),
      playable: true,
      flac: { channels: 2, sampleRate: 16_000 },
    },
    {
      name: 'L16 stereo 44.1 kHz: FLAC',
      track: track({ kind: 'audio', codec: 'l16', clockRate: 44_100, channels: 2 }),
      playable: true,
      flac: { channels: 2, sampleRate: 44_100 },
    },
    {
      name: 'G.711 with 3 channels: left out',
      track: track({ kind: 'audio', codec: 'pcmu', clockRate: 8_000, channels: 3 }),
      playable: false,
      pending: false,
    },
    {
      name: 'G.711 at 96 kHz: beyond the sample entry, left out',
      track: track({ kind: 'audio', codec: 'pcma', clockRate: 96_000 }),
      playable: false,
      pending: false,
    },
  ] as Array<{ name: string; track: Track; playable: boolean; pending?: boolean; flac?: object }>)(
    '$name',
    ({ track: input, playable, pending, flac }) => {
      const mapping = hlsTrackOf(input);
      expect(mapping.playable).toBe(playable);
      if (mapping.playable) {
        expect(mapping.track.kind).toBe(input.kind);
        expect(mapping.track.clockRate).toBe(input.clockRate);
        if (flac === undefined) expect(mapping.track.config.codec).toBe(input.codec);
        else expect(mapping.track.config).toEqual({ kind: 'audio', codec: 'flac', ...flac });
      } else {
        expect(mapping.pending).toBe(pending);
        expect(mapping.reason.length).toBeGreaterThan(0);
      }
    },
  );

  it('carries the picture size and rate to the packager', () => {
    const mapping = hlsTrackOf(track({ config: { sps: SPS, pps: PPS }, width: 640, height: 360, fps: 25 }));
    expect(mapping).toMatchObject({ playable: true, track: { width: 640, height: 360, fps: 25 } });
  });

  it('describes Opus as 48 kHz (RFC 7587: the RTP clock is always 48 kHz) with the announced channels', () => {
    const mapping = hlsTrackOf(track({ kind: 'audio', codec: 'opus', clockRate: 48_000, channels: 1 }));
    expect(mapping).toMatchObject({
      playable: true,
      track: { config: { codec: 'opus', channels: 1, sampleRate: 48_000 } },
    });
  });
});
