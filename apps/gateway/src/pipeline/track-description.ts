import type { Track } from '@camgate/rtsp';

/** What users are told about a camera's track (camera status in the API, `camgate probe`). */
export interface TrackDescription {
  kind: 'video' | 'audio';
  codec: string;
  /** RFC 6381 codec string, as the playlists' CODECS (`alaw`/`ulaw` for G.711). */
  codecString: string;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  channels?: number;
}

/** The track's description; the values the camera did not announce are left out. */
export function describeTrack(track: Track): TrackDescription {
  const description: TrackDescription = { kind: track.kind, codec: track.codec, codecString: track.codecString };
  if (track.width !== undefined) description.width = track.width;
  if (track.height !== undefined) description.height = track.height;
  if (track.fps !== undefined) description.fps = track.fps;
  if (track.sampleRate !== undefined) description.sampleRate = track.sampleRate;
  if (track.channels !== undefined) description.channels = track.channels;
  return description;
}
