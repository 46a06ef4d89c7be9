import { directionOf, type Direction, type SdpAttribute } from './attribute.js';
import { parseFmtpParameters } from './fmtp.js';
import { clip, parsePayloadType, parseRtpMap, type RtpMap } from './rtpmap.js';
import type { Warnings } from './warnings.js';

/** One `m=` section of an SDP (RFC 8866 §5.14) and its attributes. */
export interface MediaDescription {
  /** Position among the m= lines (0-based), stable even when a section is broken. */
  index: number;
  /** Lower-cased: 'video', 'audio', 'application', or whatever a camera sends ('application/tp-link', 'vana', 'metadata'). */
  type: string;
  /** As sent when it is a number 0..65535, else 0. RTSP ignores it (RFC 7826 Appendix D): ports come from SETUP. */
  port: number;
  /** As sent, e.g. 'RTP/AVP', 'RTP/AVP/TCP', 'MP2T/AVP'. */
  protocol: string;
  /** The valid payload types (0..127) of the m= line, in order, without duplicates. */
  payloadTypes: number[];
  /** `a=control`, trimmed. */
  control?: string;
  /** The section's direction attribute, else the session-level one (RFC 8866 §6.7). */
  direction?: Direction;
  /** By payload type; the first rtpmap of a payload type wins. May hold payload types the m= line does not list. */
  rtpmaps: Map<number, RtpMap>;
  /** By payload type, parsed with parseFmtpParameters; the first fmtp of a payload type wins. */
  fmtps: Map<number, Map<string, string>>;
  /** Every attribute of the section, in order (at most MAX_ATTRIBUTES_PER_SECTION; later ones are ignored). */
  attributes: SdpAttribute[];
  /** Why this media section could not be parsed, when it couldn't; the other sections are unaffected. */
  error?: string;
}

/** The largest TCP/UDP port. */
const MAX_PORT = 65_535;

/**
 * Parses the text after `m=`: `<media> <port>[/<count>] <proto> <fmt> ...` (RFC 8866 §5.14).
 * Only a line without media, port and protocol is an error; odd ports become 0 and formats that
 * are not payload types 0..127 (`smart/1/90000` from TP-Link, 300) are left out, with a warning.
 */
export function parseMediaLine(text: string, index: number, warnings: Warnings): MediaDescription {
  const tokens = text.trim().split(/\s+/);
  const media: MediaDescription = {
    index,
    type: (tokens[0] ?? '').toLowerCase(),
    port: 0,
    protocol: tokens[2] ?? '',
    payloadTypes: [],
    rtpmaps: new Map(),
    fmtps: new Map(),
    attributes: [],
  };
  if (tokens.length < 3 || media.type === '') {
    media.error = `malformed m= line ${clip(text)}: it needs a media type, a port and a protocol`;
    return media;
  }

  const port = /^(\d{1,5})(?:\/\d{1,5})?$/.exec(tokens[1] as string);
  if (port !== null && Number(port[1]) <= MAX_PORT) media.port = Number(port[1]);
  else warnings.add(`media ${index}: port ${clip(tokens[1] as string)} is not a port number; using 0`);

  const ignored: string[] = [];
  for (const format of tokens.slice(3)) {
    const payloadType = parsePayloadType(format);
    if (payloadType === undefined) ignored.push(format);
    else if (!media.payloadTypes.includes(payloadType)) media.payloadTypes.push(payloadType);
  }
  if (ignored.length > 0) {
    warnings.add(`media ${index}: ignored formats that are not payload types 0..127: ${clip(ignored.join(' '))}`);
  }
  return media;
}

/**
 * Adds an `a=` line to a media section: kept in `attributes`, and read when it is an rtpmap,
 * fmtp, control or direction. The caller enforces MAX_ATTRIBUTES_PER_SECTION.
 */
export function addMediaAttribute(media: MediaDescription, attribute: SdpAttribute, warnings: Warnings): void {
  media.attributes.push(attribute);
  const value = attribute.value;
  const direction = directionOf(attribute);
  if (direction !== undefined) {
    media.direction ??= direction;
    return;
  }
  if (value === undefined) return;

  switch (attribute.name.trim().toLowerCase()) {
    case 'rtpmap': {
      const parsed = parseRtpMap(value);
      if (parsed === undefined) warnings.add(`media ${media.index}: unreadable rtpmap ${clip(value)}`);
      // The first rtpmap of a payload type wins: Uniview lists `rtpmap:0 PCMA` then `rtpmap:0 PCMU` (go2rtc#1426).
      else if (!media.rtpmaps.has(parsed.payloadType)) media.rtpmaps.set(parsed.payloadType, parsed.rtpmap);
      break;
    }
    case 'fmtp': {
      // `<pt> <params>`; a bare `a=fmtp:96` (Ubiquiti) has no parameters.
      const match = /^\s*(\S+)(?:\s+([\s\S]*))?$/.exec(value);
      const payloadType = match === null ? undefined : parsePayloadType(match[1] as string);
      if (match === null || payloadType === undefined)
        warnings.add(`media ${media.index}: unreadable fmtp ${clip(value)}`);
      else if (!media.fmtps.has(payloadType)) media.fmtps.set(payloadType, parseFmtpParameters(match[2] ?? ''));
      break;
    }
    case 'control': {
      // The first control wins: RtspServer repeats it (go2rtc WebRTC#417).
      const control = value.trim();
      if (control !== '') media.control ??= control;
      break;
    }
    default:
      break;
  }
}
