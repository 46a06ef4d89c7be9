import { decodeHex } from '../encoding/hex.js';
import { MAX_AUDIO_CONFIG_BYTES } from '../limits.js';
import { clip, parseDecimal } from '../rtpmap.js';
import type { TrackFormat } from '../track-format.js';

/** 31 + 63: audioObjectType escapes to 6 more bits above 30 (ISO 14496-3 §1.6.2.1). */
const MAX_AUDIO_OBJECT_TYPE = 95;

type LatmFormat = Extract<TrackFormat, { codec: 'aac-latm' }>;

/**
 * AAC in LATM over RTP (`MP4A-LATM`, RFC 6416 §7; RFC 3016 §5.3). `cpresent` defaults to 1,
 * meaning the StreamMuxConfig travels in-band and `config` is optional; with cpresent=0 the
 * config must be in the fmtp (a camera sending `cpresent=0;config=` is unsupported: mediamtx#3590).
 */
export function resolveMp4aLatm(
  payloadType: number,
  clockRate: number,
  channels: number | undefined,
  fmtp: ReadonlyMap<string, string>,
): TrackFormat {
  const unsupported = (reason: string): TrackFormat => ({
    codec: 'unsupported',
    payloadType,
    encoding: 'MP4A-LATM',
    reason,
  });

  if (clockRate === 0) return unsupported('MP4A-LATM clock rate is missing');
  // Only an explicit 0 turns cpresent off; RFC 6416 §7 makes 1 the default.
  const cpresent = fmtp.get('cpresent')?.trim() !== '0';
  const format: LatmFormat = { codec: 'aac-latm', payloadType, clockRate, cpresent };

  const configHex = fmtp.get('config')?.trim();
  if (configHex !== undefined && configHex !== '') {
    const config = decodeHex(configHex, MAX_AUDIO_CONFIG_BYTES);
    if (config === undefined || config.length === 0)
      return unsupported(`LATM config ${clip(configHex)} is not valid hex`);
    format.config = config;
  } else if (!cpresent) {
    return unsupported('LATM config is missing with cpresent=0');
  }

  // object: the MPEG-4 audioObjectType (RFC 6416 §7), e.g. 2 for AAC-LC; at most 95 (ISO 14496-3 §1.6.2.1).
  const object = parseDecimal(fmtp.get('object')?.trim() ?? '');
  if (object !== undefined && object <= MAX_AUDIO_OBJECT_TYPE) format.object = object;
  if (channels !== undefined) format.channels = channels;
  return format;
}
