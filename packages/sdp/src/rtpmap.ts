import { MAX_CHANNELS, MAX_CLOCK_RATE, MAX_PAYLOAD_TYPE, MIN_CHANNELS, MIN_CLOCK_RATE } from './limits.js';

/** An `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` attribute (RFC 8866 §6.6). */
export interface RtpMap {
  /** As sent (`H264`, `MPEG4-GENERIC`, `pcma`); compare case-insensitively (RFC 4855 §3). */
  encoding: string;
  /**
   * 1..1_000_000, or 0 when the rtpmap has no clock rate (`a=rtpmap:96 H264`) or an invalid one;
   * in the latter case `invalid` says why.
   */
  clockRate: number;
  /** 1..8 when given. */
  channels?: number;
  /**
   * Why this rtpmap cannot be used (clock rate 0 or out of range, channels 0 or out of range):
   * its payload type resolves to 'unsupported' with this reason (B13, mediamtx#4476).
   */
  invalid?: string;
}

/** Parses `<pt>` of an rtpmap or fmtp: a decimal 0..127, or undefined (B13: PT 300 is ignored). */
export function parsePayloadType(text: string): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const pt = Number(text);
  return pt <= MAX_PAYLOAD_TYPE ? pt : undefined;
}

/**
 * Parses the value of an rtpmap attribute, `<pt> <encoding>/<clock>[/<channels>]`.
 * Returns undefined when there is no payload type or encoding name to key it by.
 *
 * Tolerates a missing clock rate, a trailing `/` (`H264/90000/`), spaces around the parts
 * (`META /0`, BZBGEAR gortsplib#1068) and any case.
 */
export function parseRtpMap(value: string): { payloadType: number; rtpmap: RtpMap } | undefined {
  const match = /^\s*(\S+)\s+(.*)$/.exec(value);
  if (match === null) return undefined;
  const payloadType = parsePayloadType(match[1] as string);
  if (payloadType === undefined) return undefined;
  const [encodingPart = '', clockPart, channelsPart] = (match[2] as string).split('/').map((p) => p.trim());
  if (encodingPart === '') return undefined;
  const rtpmap: RtpMap = { encoding: encodingPart, clockRate: 0 };

  if (clockPart !== undefined && clockPart !== '') {
    const clockRate = parseDecimal(clockPart);
    if (clockRate !== undefined && clockRate >= MIN_CLOCK_RATE && clockRate <= MAX_CLOCK_RATE) {
      rtpmap.clockRate = clockRate;
    } else {
      rtpmap.invalid = `clock rate ${clip(clockPart)} is not in ${MIN_CLOCK_RATE}..${MAX_CLOCK_RATE}`;
    }
  }
  if (channelsPart !== undefined && channelsPart !== '') {
    const channels = parseDecimal(channelsPart);
    if (channels !== undefined && channels >= MIN_CHANNELS && channels <= MAX_CHANNELS) {
      rtpmap.channels = channels;
    } else {
      rtpmap.invalid ??= `channel count ${clip(channelsPart)} is not in ${MIN_CHANNELS}..${MAX_CHANNELS}`;
    }
  }
  return { payloadType, rtpmap };
}

/**
 * Static payload types of RFC 3551 §6 (tables 4 and 5), used when a media lists one without an
 * rtpmap (`m=audio 0 RTP/AVP 0`, Foscam; `m=video 0 RTP/AVP 26`, go2rtc#1278).
 */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, Readonly<RtpMap>> = new Map([
  [0, { encoding: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { encoding: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { encoding: 'G723', clockRate: 8000, channels: 1 }],
  [5, { encoding: 'DVI4', clockRate: 8000, channels: 1 }],
  [6, { encoding: 'DVI4', clockRate: 16000, channels: 1 }],
  [7, { encoding: 'LPC', clockRate: 8000, channels: 1 }],
  [8, { encoding: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { encoding: 'G722', clockRate: 8000, channels: 1 }],
  [10, { encoding: 'L16', clockRate: 44100, channels: 2 }],
  [11, { encoding: 'L16', clockRate: 44100, channels: 1 }],
  [12, { encoding: 'QCELP', clockRate: 8000, channels: 1 }],
  [13, { encoding: 'CN', clockRate: 8000, channels: 1 }],
  [14, { encoding: 'MPA', clockRate: 90000 }],
  [15, { encoding: 'G728', clockRate: 8000, channels: 1 }],
  [16, { encoding: 'DVI4', clockRate: 11025, channels: 1 }],
  [17, { encoding: 'DVI4', clockRate: 22050, channels: 1 }],
  [18, { encoding: 'G729', clockRate: 8000, channels: 1 }],
  [25, { encoding: 'CelB', clockRate: 90000 }],
  [26, { encoding: 'JPEG', clockRate: 90000 }],
  [28, { encoding: 'nv', clockRate: 90000 }],
  [31, { encoding: 'H261', clockRate: 90000 }],
  [32, { encoding: 'MPV', clockRate: 90000 }],
  [33, { encoding: 'MP2T', clockRate: 90000 }],
  [34, { encoding: 'H263', clockRate: 90000 }],
]);

/** The RFC 3551 rtpmap of a static payload type, or undefined for dynamic or unassigned ones. */
export function staticRtpMap(payloadType: number): RtpMap | undefined {
  const known = STATIC_PAYLOAD_TYPES.get(payloadType);
  return known === undefined ? undefined : { ...known };
}

/** A non-negative decimal integer of at most 9 digits, or undefined. */
export function parseDecimal(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

/** Untrusted text quoted in a reason or warning, cut to a readable length. */
export function clip(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
