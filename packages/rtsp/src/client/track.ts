import {
  aacCodecString,
  h264VideoInfo,
  h265VideoInfo,
  parseAudioSpecificConfig,
  parseStreamMuxConfig,
  type AudioSpecificConfig,
  type VideoInfo,
} from '@camgate/codecs';
import type { TrackFormat } from '@camgate/sdp';

export type TrackCodec = 'h264' | 'h265' | 'aac' | 'pcma' | 'pcmu' | 'l16' | 'opus';

/** Codec configuration a decoder (or the fMP4 writer) needs. */
export interface TrackConfig {
  sps?: Uint8Array;
  pps?: Uint8Array;
  vps?: Uint8Array;
  /** AAC: the raw AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1). */
  audioSpecificConfig?: Uint8Array;
}

/** A track the session receives. */
export interface Track {
  /** Index in `session.tracks`; frames carry it. */
  id: number;
  kind: 'video' | 'audio';
  codec: TrackCodec;
  /** RFC 6381 codec string (`avc1.640028`, `hvc1.1.6.L93.B0`, `mp4a.40.2`, `opus`; `alaw`/`ulaw` for G.711, `L16`). */
  codecString: string;
  /** RTP clock rate: the unit of the track's dts and pts. */
  clockRate: number;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  channels?: number;
  config: TrackConfig;
}

/** A media section the session does not receive, and why. */
export interface UnsupportedTrack {
  /** The media type (`video`, `audio`, `application`, ...). */
  kind: string;
  /** The RTP encoding name, when known. */
  encoding?: string;
  reason: string;
}

export type SupportedFormat = Exclude<TrackFormat, { codec: 'unsupported' }>;

/** Builds the track description from the SDP format; parameter sets, when present, fill in the picture size. */
export function describeTrack(id: number, format: SupportedFormat): Track {
  switch (format.codec) {
    case 'h264':
      return videoTrack(
        id,
        'h264',
        format.clockRate,
        { ...optional('sps', format.sps), ...optional('pps', format.pps) },
        () =>
          format.profileLevelId !== undefined && /^[0-9a-f]{6}$/i.test(format.profileLevelId)
            ? `avc1.${format.profileLevelId.toLowerCase()}`
            : 'avc1',
      );
    case 'h265':
      return videoTrack(
        id,
        'h265',
        format.clockRate,
        { ...optional('vps', format.vps), ...optional('sps', format.sps), ...optional('pps', format.pps) },
        () => 'hvc1',
      );
    case 'aac':
      return aacTrack(id, format.clockRate, parseAudioSpecificConfig(format.config));
    case 'aac-latm':
      if (format.config === undefined) throw new Error('LATM without out-of-band config');
      return aacTrack(id, format.clockRate, parseStreamMuxConfig(format.config));
    case 'pcma':
    case 'pcmu':
      return {
        id,
        kind: 'audio',
        codec: format.codec,
        codecString: format.codec === 'pcma' ? 'alaw' : 'ulaw',
        clockRate: format.clockRate,
        sampleRate: format.clockRate,
        channels: format.channels,
        config: {},
      };
    case 'l16':
      // RFC 3551 §4.5.11: 16-bit big-endian linear PCM; no RFC 6381 name, so the RTP encoding name.
      return {
        id,
        kind: 'audio',
        codec: 'l16',
        codecString: 'L16',
        clockRate: format.clockRate,
        sampleRate: format.clockRate,
        channels: format.channels,
        config: {},
      };
    case 'opus':
      return {
        id,
        kind: 'audio',
        codec: 'opus',
        codecString: 'opus',
        clockRate: format.clockRate,
        sampleRate: 48_000,
        channels: format.channels,
        config: {},
      };
  }
}

function aacTrack(id: number, rtpmapRate: number, asc: AudioSpecificConfig): Track {
  return {
    id,
    kind: 'audio',
    codec: 'aac',
    codecString: aacCodecString(asc),
    clockRate: aacClockRate(rtpmapRate, asc.sampleRate, asc.extensionSampleRate),
    sampleRate: asc.extensionSampleRate ?? asc.sampleRate,
    channels: asc.channels,
    config: { audioSpecificConfig: asc.bytes },
  };
}

/** The track with new parameter sets, its picture size and codec string re-read from the SPS. */
export function withParameterSets(track: Track, config: TrackConfig): Track {
  return videoTrack(track.id, track.codec as 'h264' | 'h265', track.clockRate, config, () => track.codecString);
}

/** True when two configurations hold the same bytes. */
export function sameConfig(a: TrackConfig, b: TrackConfig): boolean {
  const same = (x?: Uint8Array, y?: Uint8Array) =>
    x === undefined || y === undefined ? x === y : Buffer.compare(x, y) === 0;
  return (
    same(a.sps, b.sps) && same(a.pps, b.pps) && same(a.vps, b.vps) && same(a.audioSpecificConfig, b.audioSpecificConfig)
  );
}

function videoTrack(
  id: number,
  codec: 'h264' | 'h265',
  clockRate: number,
  config: TrackConfig,
  fallbackCodecString: () => string,
): Track {
  let info: VideoInfo | undefined;
  if (config.sps !== undefined) {
    try {
      info = codec === 'h264' ? h264VideoInfo(config.sps) : h265VideoInfo(config.sps);
    } catch {
      // An unparsable SPS in the SDP (VStarcam: retina#42) is re-learned in-band.
      info = undefined;
    }
  }
  return {
    id,
    kind: 'video',
    codec,
    codecString: info?.codecString ?? fallbackCodecString(),
    clockRate,
    ...(info === undefined ? {} : { width: info.width, height: info.height }),
    ...(info?.fps === undefined ? {} : { fps: info.fps }),
    config,
  };
}

/**
 * The RTP clock of an AAC stream: the rtpmap rate when it matches the
 * AudioSpecificConfig (core or SBR rate), else the AudioSpecificConfig's
 * (cameras write wrong rtpmap rates; gortsplib takes the config's).
 */
function aacClockRate(rtpmapRate: number, sampleRate: number, extensionSampleRate?: number): number {
  return rtpmapRate === sampleRate || rtpmapRate === extensionSampleRate ? rtpmapRate : sampleRate;
}

function optional<K extends keyof TrackConfig>(key: K, value: Uint8Array | undefined): Partial<Record<K, Uint8Array>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, Uint8Array>>);
}
