import { Buffer } from 'node:buffer';
import { directionOf, parseAttribute, type Direction, type SdpAttribute } from './attribute.js';
import { SdpError, SdpErrorCode } from './errors.js';
import { MAX_ATTRIBUTES_PER_SECTION, MAX_LINE_LENGTH, MAX_MEDIAS, MAX_SDP_BYTES } from './limits.js';
import { addMediaAttribute, parseMediaLine, type MediaDescription } from './media.js';
import { Warnings } from './warnings.js';

/** An SDP session description as a camera's DESCRIBE answer carries it (RFC 8866; RFC 7826 Appendix D). */
export interface SessionDescription {
  /** `s=`, trimmed; undefined when absent or blank (`s= `). */
  sessionName?: string;
  /** Session-level `a=control` (`*` or a URL), trimmed. */
  control?: string;
  /** `a=range` (`npt=now-`, `npt=0-`). */
  range?: string;
  /** Session-level attributes, in order. */
  attributes: SdpAttribute[];
  medias: MediaDescription[];
  /** `o=` as sent, trimmed. Not interpreted beyond the user name: cameras send every shape (see parseSdp). */
  origin?: string;
  /** Session-level direction attribute, which each media inherits unless it has its own (RFC 8866 §6.7). */
  direction?: Direction;
  /**
   * What was skipped or repaired (long lines, extra sections, ignored payload types, moved fmtp),
   * for logs. At most MAX_WARNINGS entries plus one that counts the rest.
   */
  warnings?: string[];
}

/**
 * Parses the SDP of a DESCRIBE answer, tolerantly: a broken media section sets that section's
 * `error` and leaves the others alone, and whatever cannot be read is skipped with a warning.
 * Throws only for text without any SDP structure (no `v=` and no `m=` line: binary junk, an HTML
 * page) as SDP_INVALID, and for text over MAX_SDP_BYTES as SDP_TOO_LARGE.
 *
 * Tolerated, each seen from real cameras and servers:
 * - CRLF, LF or CR line endings, a BOM, blank lines, whitespace around lines, lines without `=`;
 * - any line order and missing lines: no `v=` (gortsplib#448), no `s=` (mediamtx#2473), session
 *   attributes before `s=`;
 * - `o=`, `c=` and `t=` are not interpreted, so every broken form passes: Uniview `o=- 1001 1 IN`
 *   and `c=IN` (mediamtx#5008), Verint `IP IP4` (mediamtx#5292), Hik `c=IN c=IN IP4`, FLIR
 *   `t=now-` (gortsplib#85), hex, decimal and negative session ids (gortsplib#60, mediamtx#2558,
 *   mediamtx#2708), TP-Link's seven-field origin;
 * - `s=` and `i=` repeated in every media section (RtspServer, go2rtc WebRTC#417): ignored there;
 * - unknown media types (`m=application/TP-LINK`, `m=vana`, `m=metadata`) kept as their own media.
 */
export function parseSdp(text: string): SessionDescription {
  // Length in UTF-16 units first: no string longer than the limit can be within it in bytes.
  if (text.length > MAX_SDP_BYTES || Buffer.byteLength(text, 'utf8') > MAX_SDP_BYTES) {
    throw new SdpError(
      SdpErrorCode.TOO_LARGE,
      `SDP of ${text.length} characters is larger than ${MAX_SDP_BYTES} bytes`,
    );
  }
  const warnings = new Warnings();
  const session: SessionDescription = { attributes: [], medias: [] };
  let hasStructure = false;
  let current: MediaDescription | undefined;
  let ignoringMedias = false;
  let sectionFull = false;
  let sessionNameSeen = false;

  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  for (let lineNumber = 1; lineNumber <= lines.length; lineNumber++) {
    const raw = lines[lineNumber - 1] as string;
    if (raw.length > MAX_LINE_LENGTH) {
      warnings.add(`line ${lineNumber} is longer than ${MAX_LINE_LENGTH} characters and was skipped`);
      continue;
    }
    const line = raw.trim();
    if (line === '') continue;
    // `<type>=<value>` with a one-letter type (RFC 8866 §5); anything else is not an SDP line.
    const type = line.charAt(0).toLowerCase();
    if (line.charAt(1) !== '=' || type < 'a' || type > 'z') {
      warnings.add(`line ${lineNumber} is not an SDP line and was skipped`);
      continue;
    }
    const value = line.slice(2);

    if (type === 'v') {
      hasStructure = true;
      continue;
    }
    if (type === 'm') {
      hasStructure = true;
      if (session.medias.length >= MAX_MEDIAS) {
        if (!ignoringMedias) warnings.add(`more than ${MAX_MEDIAS} media sections; the rest are ignored`);
        ignoringMedias = true;
        current = undefined;
        continue;
      }
      current = parseMediaLine(value, session.medias.length, warnings);
      session.medias.push(current);
      sectionFull = false;
      continue;
    }
    if (ignoringMedias) continue;

    if (type === 'a') {
      const attributes = current?.attributes ?? session.attributes;
      if (attributes.length >= MAX_ATTRIBUTES_PER_SECTION) {
        if (!sectionFull) {
          const where = current === undefined ? 'the session' : `media ${current.index}`;
          warnings.add(`${where} has more than ${MAX_ATTRIBUTES_PER_SECTION} attributes; the rest are ignored`);
        }
        sectionFull = true;
        continue;
      }
      const attribute = parseAttribute(value);
      if (current !== undefined) addMediaAttribute(current, attribute, warnings);
      else addSessionAttribute(session, attribute);
      continue;
    }
    // Only the session-level s= and o= are read; RtspServer repeats s= in every media section.
    if (current === undefined && type === 's' && !sessionNameSeen) {
      sessionNameSeen = true;
      const name = value.trim();
      if (name !== '') session.sessionName = name;
    } else if (current === undefined && type === 'o') {
      session.origin ??= value.trim();
    }
    // c=, t=, b=, i=, e=, u=, p=, k=, r=, z= and unknown types carry nothing RTSP needs.
  }

  if (!hasStructure) {
    throw new SdpError(SdpErrorCode.INVALID, 'not an SDP: no v= or m= line');
  }
  for (const media of session.medias) {
    if (media.direction === undefined && session.direction !== undefined) media.direction = session.direction;
  }
  moveStrayVideoFmtps(session.medias, warnings);
  session.warnings = warnings.toArray();
  return session;
}

function addSessionAttribute(session: SessionDescription, attribute: SdpAttribute): void {
  session.attributes.push(attribute);
  const direction = directionOf(attribute);
  if (direction !== undefined) {
    session.direction ??= direction;
    return;
  }
  const value = attribute.value?.trim();
  if (value === undefined || value === '') return;
  switch (attribute.name.trim().toLowerCase()) {
    case 'control':
      session.control ??= value;
      break;
    case 'range':
      session.range ??= value;
      break;
    default:
      break;
  }
}

/** Video encodings whose fmtp carries the parameter sets, and so is worth finding in another section. */
const VIDEO_WITH_PARAMETER_SETS: ReadonlySet<string> = new Set(['H264', 'H265']);

/**
 * Some RTSP servers write a video fmtp into the next section: `m=video 0 RTP/AVP 96` with
 * `a=rtpmap:96 H264/90000` and no fmtp, then `m=audio 0 RTP/AVP 8` holding `a=fmtp:96 ...`
 * (go2rtc WebRTC#419). An fmtp is moved to the section that needs it when its payload type is
 * neither listed nor mapped in its own section and exactly one other section lists that payload
 * type as H.264/H.265 without an fmtp for it.
 */
function moveStrayVideoFmtps(medias: readonly MediaDescription[], warnings: Warnings): void {
  for (const donor of medias) {
    for (const [payloadType, fmtp] of donor.fmtps) {
      if (donor.payloadTypes.includes(payloadType) || donor.rtpmaps.has(payloadType)) continue;
      const targets = medias.filter(
        (media) =>
          media !== donor &&
          media.payloadTypes.includes(payloadType) &&
          !media.fmtps.has(payloadType) &&
          VIDEO_WITH_PARAMETER_SETS.has(media.rtpmaps.get(payloadType)?.encoding.toUpperCase() ?? ''),
      );
      const [target] = targets;
      if (target === undefined || targets.length !== 1) continue;
      target.fmtps.set(payloadType, fmtp);
      donor.fmtps.delete(payloadType);
      warnings.add(`fmtp of payload type ${payloadType} moved from media ${donor.index} to media ${target.index}`);
    }
  }
}
