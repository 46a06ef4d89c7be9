import type { Track } from '@camgate/rtsp';
import type { HlsTrackMapping } from './hls-track.js';
import { describeTrack, type TrackDescription } from './track-description.js';

/** How many current browsers play a delivered track. */
export type BrowserReach = 'all' | 'some' | 'none';

/**
 * A camera track as users are told about it (camera status `tracks[]`, `camgate probe`): what the
 * camera sends, what players get, and which browsers play that.
 */
export interface TrackStatus extends TrackDescription {
  /** What players get (G.711 becomes FLAC); null when the track is left out of the stream. */
  delivered: { codec: string; codecString: string } | null;
  browsers: BrowserReach;
  /** Which browsers play it, in words. */
  browserSupport: string;
  /** Why the track is left out, or what it waits for. */
  reason?: string;
}

/** What a delivered codec reaches, and how to say it. */
const SUPPORT: Record<string, { browsers: BrowserReach; browserSupport: string }> = {
  h264: { browsers: 'all', browserSupport: 'Plays in all current browsers.' },
  // Chrome 107+/Edge decode H.265 only through the operating system's hardware decoder; Firefox not at all.
  h265: {
    browsers: 'some',
    browserSupport:
      'Plays in Safari, and in Chrome and Edge where the operating system decodes H.265 in hardware ' +
      '(Windows, macOS, Android; Linux only with VAAPI). Turn on transcode: "h264" for the other browsers.',
  },
  aac: { browsers: 'all', browserSupport: 'Plays in all current browsers.' },
  opus: { browsers: 'all', browserSupport: 'Plays in all current browsers.' },
  // FLAC in fMP4: Chrome 62+, Firefox 51+, Safari 14+ (MSE and native HLS).
  flac: { browsers: 'all', browserSupport: 'Plays in all current browsers (converted to FLAC by the gateway).' },
};

/** H.265 while the camera's `transcode` is `h264`: the other browsers are served already. */
const H265_TRANSCODED =
  'Plays in Safari, and in Chrome and Edge where the operating system decodes H.265 in hardware ' +
  '(Windows, macOS, Android; Linux only with VAAPI). The other browsers get the H.264 variant (transcode is on).';

const LEFT_OUT = { browsers: 'none', browserSupport: 'Left out of the stream: no browser gets it.' } as const;

/**
 * The status of a received track from what the pipeline made of it (hls-track.ts): a track
 * waiting for its parameter sets is reported as what it will be, with the wait as its reason.
 */
export function trackStatusOf(
  track: Track,
  mapping: HlsTrackMapping,
  camera: { transcode?: 'off' | 'h264' } = {},
): TrackStatus {
  const description = describeTrack(track);
  if (!mapping.playable && !mapping.pending) {
    return { ...description, delivered: null, ...LEFT_OUT, reason: mapping.reason };
  }
  const config = mapping.playable ? mapping.track.config : undefined;
  const delivered =
    config?.codec === 'flac'
      ? { codec: 'flac', codecString: 'fLaC' } // capitalised: Safari and Apple's validator reject `flac`
      : { codec: track.codec, codecString: track.codecString };
  const listed = SUPPORT[delivered.codec] ?? LEFT_OUT;
  const support =
    delivered.codec === 'h265' && camera.transcode === 'h264' ? { ...listed, browserSupport: H265_TRANSCODED } : listed;
  return {
    ...description,
    delivered,
    ...support,
    ...(mapping.playable ? {} : { reason: mapping.reason }),
  };
}
