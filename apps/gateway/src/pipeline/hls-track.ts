import type { HlsTrack } from '@camgate/hls';
import type { Track } from '@camgate/rtsp';

/**
 * Whether a received track can go into the LL-HLS stream, and as what. Browsers play H.264, H.265
 * (Safari, and Chromium with hardware support), AAC and Opus from fMP4; G.711 has no fMP4 sample
 * entry browsers accept, so such audio is left out and reported.
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
      return {
        playable: false,
        pending: false,
        reason: `G.711 ${track.codec === 'pcma' ? 'A-law' : 'µ-law'} audio cannot be played by browsers from HLS; set the camera to AAC to hear it`,
      };
  }
}

function playable(track: HlsTrack): HlsTrackMapping {
  return { playable: true, track };
}

function waiting(what: string): HlsTrackMapping {
  return { playable: false, pending: true, reason: `waiting for the ${what} (the camera sends them in the stream)` };
}
