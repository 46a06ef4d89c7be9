import { MAX_FLAC_CHANNELS } from '@camgate/codecs';
import type { HlsTrack } from '@camgate/hls';
import type { Track } from '@camgate/rtsp';

/**
 * Whether a received track can go into the LL-HLS stream, and as what. Browsers play H.264, H.265
 * (Safari, and Chromium with hardware support), AAC and Opus from fMP4; G.711 has no fMP4 sample
 * entry browsers accept, so it is converted to FLAC, which they do.
 */
export type HlsTrackMapping =
  | { playable: true; track: HlsTrack }
  /** `pending`: playable once its parameter sets arrive in-band (cameras that leave them out of the SDP). */
  | { playable: false; pending: boolean; reason: string };

export function hlsTrackOf(track: Track): HlsTrackMapping {
  const { sps, pps, vps, audioSpecificConfig } = track.config;
  const picture = {
    ...(track.width === undefined ? {} : { width: track.width }),
    ...(track.height === undefined ? {} : { height: track.height }),
    ...(track.fps === undefined ? {} : { fps: track.fps }),
  };
  const sound = {
    ...(track.sampleRate === undefined ? {} : { sampleRate: track.sampleRate }),
    ...(track.channels === undefined ? {} : { channels: track.channels }),
  };
  switch (track.codec) {
    case 'h264':
      if (sps === undefined || pps === undefined) return waiting('H.264 SPS and PPS');
      return playable({
        kind: 'video',
        config: { kind: 'video', codec: 'h264', sps, pps },
        clockRate: track.clockRate,
        ...picture,
      });
    case 'h265':
      if (vps === undefined || sps === undefined || pps === undefined) return waiting('H.265 VPS, SPS and PPS');
      return playable({
        kind: 'video',
        config: { kind: 'video', codec: 'h265', vps, sps, pps },
        clockRate: track.clockRate,
        ...picture,
      });
    case 'aac':
      if (audioSpecificConfig === undefined)
        return { playable: false, pending: false, reason: 'AAC without an AudioSpecificConfig' };
      return playable({
        kind: 'audio',
        config: { kind: 'audio', codec: 'aac', audioSpecificConfig },
        clockRate: track.clockRate,
        ...sound,
      });
    case 'opus':
      return playable({
        kind: 'audio',
        config: { kind: 'audio', codec: 'opus', channels: track.channels ?? 2, sampleRate: 48_000 },
        clockRate: track.clockRate,
        ...sound,
      });
    case 'pcma':
    case 'pcmu':
    case 'l16':
      return flacOf(track);
  }
}

/**
 * G.711 (and L16) becomes FLAC (pcm-to-flac.ts): no fMP4 sample entry for G.711 plays in
 * browsers, FLAC in fMP4 does (Chrome 62+, Firefox 51+, Safari 14+). PCM's RTP clock is its
 * sampling rate (RFC 3551 §4.5.11, §4.5.14).
 */
function flacOf(track: Track): HlsTrackMapping {
  const channels = track.channels ?? 1;
  const sampleRate = track.clockRate;
  if (channels > MAX_FLAC_CHANNELS) {
    return {
      playable: false,
      pending: false,
      reason: `${channels}-channel ${pcmName(track)} audio: only mono and stereo are converted to FLAC`,
    };
  }
  if (!flacCarriesRate(sampleRate)) {
    return {
      playable: false,
      pending: false,
      reason: `${pcmName(track)} audio at ${sampleRate} Hz cannot be converted to FLAC`,
    };
  }
  return playable({
    kind: 'audio',
    config: { kind: 'audio', codec: 'flac', channels, sampleRate },
    clockRate: track.clockRate,
    sampleRate,
    channels,
  });
}

function pcmName(track: Track): string {
  return track.codec === 'pcma' ? 'G.711 A-law' : track.codec === 'pcmu' ? 'G.711 µ-law' : 'L16 linear PCM';
}

/**
 * 65535 Hz: the highest rate both a FLAC frame header (16 bits in Hz, RFC 9639 §9.1.2) and the
 * fMP4 AudioSampleEntry (16.16 fixed point, ISO/IEC 14496-12 §12.2.3) carry exactly.
 */
const MAX_PCM_SAMPLE_RATE = 0xffff;

function flacCarriesRate(rate: number): boolean {
  return Number.isInteger(rate) && rate >= 1 && rate <= MAX_PCM_SAMPLE_RATE;
}

function playable(track: HlsTrack): HlsTrackMapping {
  return { playable: true, track };
}

function waiting(what: string): HlsTrackMapping {
  return { playable: false, pending: true, reason: `waiting for the ${what} (the camera sends them in the stream)` };
}
