import { resolveH264 } from './formats/h264.js';
import { resolveH265 } from './formats/h265.js';
import { resolveMp4aLatm } from './formats/mp4a-latm.js';
import { resolveMpeg4Generic } from './formats/mpeg4-generic.js';
import type { MediaDescription } from './media.js';
import { clip, staticRtpMap, type RtpMap } from './rtpmap.js';

/** What a media section carries, as the depacketizers and the muxer need it. */
export type TrackFormat =
  | {
      codec: 'h264';
      payloadType: number;
      clockRate: number;
      /** 0 or 1 (RFC 6184 §8.1); mode 2 is unsupported. */
      packetizationMode: number;
      /** As sent (usually 6 hex digits); not validated. */
      profileLevelId?: string;
      /** From sprop-parameter-sets, when usable; otherwise learned in-band. */
      sps?: Uint8Array;
      pps?: Uint8Array;
    }
  | { codec: 'h265'; payloadType: number; clockRate: number; vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array }
  | {
      codec: 'aac';
      payloadType: number;
      clockRate: number;
      /** Raw AudioSpecificConfig bytes (ISO 14496-3 §1.6.2.1). */
      config: Uint8Array;
      /** AU-header field widths in bits, each 0..32 (RFC 3640 §3.2.1). */
      sizeLength: number;
      indexLength: number;
      indexDeltaLength: number;
      ctsDeltaLength: number;
      dtsDeltaLength: number;
      randomAccessIndication: boolean;
      streamStateIndication: number;
      auxiliaryDataSizeLength: number;
      constantSize?: number;
      channels?: number;
    }
  | {
      codec: 'aac-latm';
      payloadType: number;
      clockRate: number;
      /** StreamMuxConfig bytes from `config=` hex. */
      config?: Uint8Array;
      cpresent: boolean;
      /** MPEG-4 audioObjectType from `object=`, when given. */
      object?: number;
      channels?: number;
    }
  | { codec: 'pcma' | 'pcmu'; payloadType: number; clockRate: number; channels: number }
  /** L16: 16-bit signed big-endian linear PCM, channels interleaved (RFC 3551 §4.5.11). */
  | { codec: 'l16'; payloadType: number; clockRate: number; channels: number }
  | { codec: 'opus'; payloadType: number; clockRate: number; channels: number }
  | { codec: 'unsupported'; payloadType?: number; encoding?: string; reason: string };

/**
 * Interprets a media section: the format of its first usable payload type, in m= line order
 * (FLIR lists MP4V-ES before H.264 in one section, gortsplib#85). When none is usable, the
 * first payload type's reason is returned. Never throws: a broken section is one unsupported
 * track, never a failed session.
 */
export function resolveTrackFormat(media: MediaDescription): TrackFormat {
  if (media.error !== undefined) return { codec: 'unsupported', reason: media.error };
  let first: TrackFormat | undefined;
  for (const payloadType of media.payloadTypes) {
    const format = resolvePayloadType(media, payloadType);
    if (format.codec !== 'unsupported') return format;
    first ??= format;
  }
  return first ?? { codec: 'unsupported', reason: 'the m= line lists no valid payload type' };
}

function resolvePayloadType(media: MediaDescription, payloadType: number): TrackFormat {
  const rtpmap = findRtpMap(media, payloadType);
  if (rtpmap === undefined) {
    return { codec: 'unsupported', payloadType, reason: `payload type ${payloadType} has no rtpmap` };
  }
  const encoding = rtpmap.encoding;
  const unsupported = (reason: string): TrackFormat => ({ codec: 'unsupported', payloadType, encoding, reason });
  const name = encoding.toUpperCase();
  if (!KNOWN_ENCODINGS.has(name)) return unsupported(unsupportedReason(name, encoding));
  if (rtpmap.invalid !== undefined) return unsupported(`${clip(encoding)}: ${rtpmap.invalid}`);
  const fmtp = findFmtp(media, payloadType);

  switch (name) {
    case 'H264':
      return resolveH264(payloadType, rtpmap.clockRate, fmtp);
    case 'H265':
      return resolveH265(payloadType, rtpmap.clockRate, fmtp);
    case 'MPEG4-GENERIC':
      return resolveMpeg4Generic(payloadType, rtpmap.clockRate, rtpmap.channels, fmtp);
    case 'MP4A-LATM':
      return resolveMp4aLatm(payloadType, rtpmap.clockRate, rtpmap.channels, fmtp);
    case 'PCMA':
    case 'PCMU':
      // G.711 at any clock rate (RFC 3551 §4.5.14 defines 8000, the default); mono unless told otherwise.
      return {
        codec: name === 'PCMA' ? 'pcma' : 'pcmu',
        payloadType,
        clockRate: rtpmap.clockRate === 0 ? 8000 : rtpmap.clockRate,
        channels: rtpmap.channels ?? 1,
      };
    case 'L16':
      // RFC 3551 §4.5.11: no default rate (the static payload types 10 and 11 are 44.1 kHz);
      // mono unless told otherwise (RFC 4566 §6, a=rtpmap encoding parameters).
      if (rtpmap.clockRate === 0) return unsupported('L16 without a clock rate');
      return { codec: 'l16', payloadType, clockRate: rtpmap.clockRate, channels: rtpmap.channels ?? 1 };
    case 'OPUS':
      // RFC 7587 §7: always opus/48000/2 in SDP, whatever the stream carries; some cameras send
      // OPUS/48000/1 or another rate (go2rtc#1506).
      return { codec: 'opus', payloadType, clockRate: 48_000, channels: 2 };
    default:
      return unsupported(unsupportedReason(name, encoding));
  }
}

/** Encoding names resolveTrackFormat maps to a codec, upper-cased (RFC 4855 §3: case-insensitive). */
const KNOWN_ENCODINGS = new Set(['H264', 'H265', 'MPEG4-GENERIC', 'MP4A-LATM', 'PCMA', 'PCMU', 'L16', 'OPUS']);

function unsupportedReason(name: string, encoding: string): string {
  switch (name) {
    case 'PCM':
      // Hikvision `a=rtpmap:11 PCM/48000` is little-endian linear PCM (go2rtc 68fa4224).
      return 'PCM (Hikvision little-endian linear PCM) is not supported: browsers cannot play it';
    case 'L8':
    case 'L24':
      return `${encoding} (linear PCM) is not supported: browsers cannot play it`;
    default:
      return `encoding ${clip(encoding)} is not supported`;
  }
}

/**
 * The rtpmap of a payload type: its own, else the RFC 3551 static one, else, for a section that
 * lists a single dynamic payload type and has a single rtpmap for another one, that rtpmap (the
 * rtpmap counterpart of the Hikvision fmtp mismatch below).
 */
function findRtpMap(media: MediaDescription, payloadType: number): RtpMap | undefined {
  const own = media.rtpmaps.get(payloadType);
  if (own !== undefined) return own;
  const known = staticRtpMap(payloadType);
  if (known !== undefined) return known;
  if (media.payloadTypes.length === 1 && media.rtpmaps.size === 1) {
    const [only] = media.rtpmaps.values();
    return only;
  }
  return undefined;
}

const NO_FMTP: ReadonlyMap<string, string> = new Map();

/**
 * The fmtp of a payload type: its own, else, for a section that lists a single payload type and
 * has a single fmtp for another one, that fmtp. Hikvision's HIK Media Server sends
 * `m=audio 0 RTP/AVP 104`, `a=rtpmap:104 MPEG4-GENERIC/16000` and `a=fmtp:97 ...config=1408`
 * (mediacommon#144, where gortsplib fails the whole session with "config is missing").
 */
function findFmtp(media: MediaDescription, payloadType: number): ReadonlyMap<string, string> {
  const own = media.fmtps.get(payloadType);
  if (own !== undefined) return own;
  if (media.payloadTypes.length === 1 && media.fmtps.size === 1) {
    const [only] = media.fmtps.values();
    if (only !== undefined) return only;
  }
  return NO_FMTP;
}
