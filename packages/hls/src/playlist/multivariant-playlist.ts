import { attr, formatAttributeList } from './attribute-list.js';

export interface VariantInfo {
  /** RFC 6381 codec strings of every format the variant and its audio carry (§4.4.6.2: CODECS lists all). */
  codecs: readonly string[];
  /** Peak and average segment bit rate, bits/s, video and audio together. */
  bandwidth: number;
  averageBandwidth: number;
  video?: { uri: string; width?: number; height?: number; frameRate?: number };
  audio?: { uri: string; channels?: number };
  /** EXT-X-VERSION, the same as the media playlists' (default 9, for LL-HLS). */
  version?: number;
  /**
   * Whether every listed segment starts with a keyframe (default true): false while a segment cut
   * without one (a GOP longer than TD allows) is listed, so players do not start there.
   */
  independentSegments?: boolean;
  /**
   * More variants of the same content (a transcoded H.264 copy of an H.265 camera), listed after the
   * main one with the same AUDIO group: a player picks the first whose CODECS it can decode.
   */
  extra?: readonly ExtraVariantInfo[];
}

/** Another video variant sharing the main variant's audio rendition (§4.4.6.2: one STREAM-INF each). */
export interface ExtraVariantInfo {
  /** The URI of its video media playlist. */
  uri: string;
  /** Its video codec string; the audio's is added. */
  codec: string;
  /** Peak and average bit rate, bits/s, audio included. */
  bandwidth: number;
  averageBandwidth: number;
  width?: number;
  height?: number;
  frameRate?: number;
}

/**
 * The multivariant playlist (§4.4.6): one variant (and any extra ones, sharing its audio), with audio as an
 * EXT-X-MEDIA rendition group when the camera has both, INDEPENDENT-SEGMENTS
 * (segments start with a keyframe, unless a forced cut is listed), and CODECS, RESOLUTION, FRAME-RATE,
 * BANDWIDTH and AVERAGE-BANDWIDTH (Apple authoring 9.x).
 */
export function renderMultivariantPlaylist(variant: VariantInfo): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${variant.version ?? 9}`];
  if (variant.independentSegments !== false) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  const { video, audio } = variant;
  const audioGroup = video !== undefined && audio !== undefined;
  if (audioGroup) {
    lines.push(
      `#EXT-X-MEDIA:${formatAttributeList({
        TYPE: attr.enumerated('AUDIO'),
        'GROUP-ID': attr.quoted('audio'),
        NAME: attr.quoted('audio'),
        DEFAULT: attr.enumerated('YES'),
        AUTOSELECT: attr.enumerated('YES'),
        CHANNELS: audio.channels === undefined ? undefined : attr.quoted(String(audio.channels)),
        URI: attr.quoted(audio.uri),
      })}`,
    );
  }
  lines.push(
    `#EXT-X-STREAM-INF:${formatAttributeList({
      BANDWIDTH: attr.integer(Math.max(1, Math.round(variant.bandwidth))),
      'AVERAGE-BANDWIDTH': attr.integer(Math.max(1, Math.round(variant.averageBandwidth))),
      CODECS: attr.quoted(variant.codecs.join(',')),
      RESOLUTION:
        video?.width !== undefined && video.height !== undefined
          ? attr.resolution(video.width, video.height)
          : undefined,
      'FRAME-RATE': video?.frameRate === undefined ? undefined : attr.float(video.frameRate, 3),
      AUDIO: audioGroup ? attr.quoted('audio') : undefined,
    })}`,
  );
  lines.push((video ?? audio)?.uri ?? '');
  // Audio codecs follow the video codec in the main variant's CODECS (video first, see HlsStream).
  const audioCodecs = audio === undefined ? [] : variant.codecs.slice(video === undefined ? 0 : 1);
  for (const extra of video === undefined ? [] : (variant.extra ?? [])) {
    lines.push(
      `#EXT-X-STREAM-INF:${formatAttributeList({
        BANDWIDTH: attr.integer(Math.max(1, Math.round(extra.bandwidth))),
        'AVERAGE-BANDWIDTH': attr.integer(Math.max(1, Math.round(extra.averageBandwidth))),
        CODECS: attr.quoted([extra.codec, ...audioCodecs].join(',')),
        RESOLUTION:
          extra.width !== undefined && extra.height !== undefined
            ? attr.resolution(extra.width, extra.height)
            : undefined,
        'FRAME-RATE': extra.frameRate === undefined ? undefined : attr.float(extra.frameRate, 3),
        AUDIO: audioGroup ? attr.quoted('audio') : undefined,
      })}`,
      extra.uri,
    );
  }
  return `${lines.join('\n')}\n`;
}
