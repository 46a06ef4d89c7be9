// What the dashboard says about a camera, in words: pure functions of the API's answers (no DOM),
// so every wording lives in one place.
import type { Camera, CameraStatus, TrackStatus, TranscodeStatus } from './api.js';

/** How codecs are named to people (the API's `codec` values, and FLAC/L16 for what G.711 becomes). */
const CODEC_NAMES: Record<string, string> = {
  h264: 'H.264',
  h265: 'H.265',
  aac: 'AAC',
  opus: 'Opus',
  flac: 'FLAC',
  pcma: 'G.711 A-law',
  pcmu: 'G.711 µ-law',
  l16: 'L16',
};

export function codecName(codec: string): string {
  return CODEC_NAMES[codec.toLowerCase()] ?? codec.toUpperCase();
}

/** Bits per second as people read them: "850 kbit/s", "2.4 Mbit/s"; '' for none. */
export function formatBitrate(bits: number | undefined): string {
  if (bits === undefined || !Number.isFinite(bits) || bits <= 0) return '';
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(1)} Mbit/s` : `${Math.round(bits / 1e3)} kbit/s`;
}

/** A track's picture or sound: "1920×1080 25 fps", "48 kHz". */
function trackDetails(track: TrackStatus): string[] {
  const parts: string[] = [];
  if (track.width !== undefined && track.height !== undefined) parts.push(`${track.width}×${track.height}`);
  if (track.fps !== undefined) parts.push(`${Math.round(track.fps)} fps`);
  if (track.sampleRate !== undefined) parts.push(`${track.sampleRate / 1000} kHz`);
  return parts;
}

const BROWSERS_TEXT = { all: 'plays in every browser', some: 'plays in some browsers', none: 'not delivered' } as const;

/**
 * One line per track for a tile: "Video: H.265 1920×1080 25 fps · plays in some browsers",
 * "Audio: G.711 A-law → FLAC 8 kHz · plays in every browser"; and the words that say which
 * browsers, and why (`browserSupport`, `reason`), when not every browser plays it.
 */
export function trackLines(track: TrackStatus): { line: string; why: string } {
  const kind = track.kind === 'audio' ? 'Audio' : 'Video';
  let codec = codecName(track.codec);
  const delivered = track.delivered;
  if (delivered !== undefined && delivered !== null && delivered.codec.toLowerCase() !== track.codec.toLowerCase()) {
    codec += ` → ${codecName(delivered.codec)}`;
  }
  const parts = [`${kind}: ${codec}`, ...trackDetails(track)];
  const line = track.browsers === undefined ? parts.join(' ') : `${parts.join(' ')} · ${BROWSERS_TEXT[track.browsers]}`;
  const why: string[] = [];
  if (track.browsers !== 'all' && track.browserSupport !== undefined && track.browserSupport !== '') {
    why.push(track.browserSupport);
  }
  if (track.reason !== undefined && track.reason !== '' && !why.includes(track.reason)) why.push(track.reason);
  return { line, why: why.join(' ') };
}

/** The H.264 transcoding's state in a line: "H.264 transcoding: running · 34% CPU · 1 viewer". */
export function transcodeText(transcode: TranscodeStatus): string {
  switch (transcode.state) {
    case 'failed':
      return `H.264 transcoding failed: ${transcode.lastError?.message ?? 'no reason given'}`;
    case 'idle':
      return 'H.264 transcoding: idle (it starts when someone watches the H.264 stream)';
    case 'starting':
      return 'H.264 transcoding: starting…';
    case 'running':
      return `H.264 transcoding: running · ${Math.round(transcode.cpuPercent)}% CPU · ${viewers(transcode.viewers)}`;
  }
}

function viewers(count: number): string {
  return `${count} ${count === 1 ? 'viewer' : 'viewers'}`;
}

/** The tile's line under its name: bit rate, viewers, on demand. */
export function metaText(camera: Camera): string {
  const status: Partial<CameraStatus> = camera.status ?? {};
  const meta: string[] = [];
  for (const track of status.tracks ?? []) {
    if (track.kind === 'video' && track.width !== undefined && track.height !== undefined) {
      meta.push(`${track.width}×${track.height}`);
    }
  }
  const rate = formatBitrate(status.bitrate);
  if (rate !== '') meta.push(rate);
  if (typeof status.viewers === 'number') meta.push(viewers(status.viewers));
  if (camera.onDemand) meta.push('on demand');
  return meta.join(' · ');
}

/** The camera's last error, with when it tries again; '' for none. */
export function errorText(status: Partial<CameraStatus>, now: number): string {
  const message = status.lastError?.message;
  if (message === undefined || message === '') return '';
  const retry = typeof status.nextAttemptAt === 'string' ? Date.parse(status.nextAttemptAt) - now : NaN;
  // Under 1.5 s the count would be stale before it is read.
  return retry > 1500 ? `${message} (next attempt in ${Math.round(retry / 1000)} s)` : message;
}

/**
 * A camera that cannot stream (disabled, or failed: wrong password, wrong path...) gets no player
 * and no still: a player would only poll for a stream that does not come, and count as a viewer.
 */
export function unavailable(camera: Camera): boolean {
  return !camera.enabled || camera.status?.state === 'failed';
}

/** Why an unavailable camera shows nothing, in the camera's own words. */
export function unavailableText(camera: Camera): string {
  if (!camera.enabled) return 'Disabled';
  return `Camera unavailable — ${camera.status?.lastError?.message ?? 'it failed'}`;
}

/** What a tile says while its player does not play (the player's words when it has them). */
export const PLAYER_TEXT = {
  connecting: 'Connecting…',
  down: 'Camera offline — reconnecting…',
  token: 'No playback token — retrying…',
  expired: 'Access expired — renewing…',
  still: 'Click to play',
  noStill: 'No picture yet — click to play',
  noFfmpeg: 'No stills: the gateway has no ffmpeg — click to play',
} as const;

/** A connection test's result: "✓ Connected over TCP: H264 640×360 25 fps; AAC 48 kHz". */
export function describeProbe(result: { transport?: string; tracks?: TrackStatus[] }): string {
  const tracks = (result.tracks ?? []).map((track) => {
    const parts = [track.codec.toUpperCase(), ...trackDetails(track)];
    const delivered = track.delivered;
    if (delivered !== undefined && delivered !== null && delivered.codec.toLowerCase() !== track.codec.toLowerCase()) {
      parts.push(`(as ${codecName(delivered.codec)})`);
    }
    if (track.browsers === 'some') parts.push('(plays in some browsers)');
    if (track.browsers === 'none')
      parts.push(`(not delivered${track.reason === undefined ? '' : `: ${track.reason}`})`);
    return parts.join(' ');
  });
  return `✓ Connected over ${String(result.transport).toUpperCase()}: ${tracks.length > 0 ? tracks.join('; ') : 'no tracks'}`;
}
