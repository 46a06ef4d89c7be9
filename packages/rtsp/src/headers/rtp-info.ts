import { RtspError, RtspErrorCode } from '../errors.js';
import { parseSsrc } from './transport.js';

/** 16 KiB: 32 tracks with long URLs; a real header is one line per track of ~100 bytes. */
export const MAX_RTP_INFO_LENGTH = 16 * 1024;
/** 32 entries: one per track; no camera has more. */
export const MAX_RTP_INFO_ENTRIES = 32;
/** 2048 bytes, as for every URL we handle. */
const MAX_ENTRY_URL_LENGTH = 2048;

/** One stream of an RTP-Info header (RFC 2326 §12.33). */
export interface RtpInfoEntry {
  /** As sent: absolute or relative, not resolved. */
  url: string;
  /** First sequence number (0-65535). Hikvision and Tapo send suspicious `seq=0`/`1`: the client decides. */
  seq?: number;
  /** RTP timestamp of the first packet (32 bits). */
  rtptime?: number;
  /** `ssrc=` (RFC 7826 §18.45): Reolink sends the SSRC only here (retina). */
  ssrc?: number;
}

/** A comma that starts a new entry: followed by a known parameter name (a comma inside a URL is not). */
const ENTRY_SEPARATOR = /,(?=\s*(?:url|seq|rtptime|ssrc)\s*=)/i;
/** A `;` that starts a parameter (a `;` inside a URL does not). */
const PARAM_SEPARATOR = /;(?=\s*(?:url|seq|rtptime|ssrc)\s*=)/i;

/**
 * Parses an RTP-Info header tolerantly: spaces anywhere, parameters in any order and case, missing or
 * malformed `seq`/`rtptime` (dropped), quoted URLs, and commas or semicolons inside URLs (entries are split
 * only where a parameter name follows). Entries without a usable `url` are skipped.
 *
 * @throws RtspError RTSP_INVALID_HEADER when the header is longer than 16 KiB.
 */
export function parseRtpInfo(value: string): RtpInfoEntry[] {
  if (value.length > MAX_RTP_INFO_LENGTH) {
    throw new RtspError(RtspErrorCode.INVALID_HEADER, 'the server sent an oversized RTP-Info header');
  }
  const entries: RtpInfoEntry[] = [];
  for (const text of value.split(ENTRY_SEPARATOR)) {
    const entry = parseEntry(text);
    if (entry !== undefined) entries.push(entry);
    if (entries.length === MAX_RTP_INFO_ENTRIES) break;
  }
  return entries;
}

function parseEntry(text: string): RtpInfoEntry | undefined {
  let url: string | undefined;
  let seq: number | undefined;
  let rtptime: number | undefined;
  let ssrc: number | undefined;
  for (const param of text.split(PARAM_SEPARATOR)) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    const raw = unquote(param.slice(eq + 1).trim());
    if (name === 'url') url ??= raw;
    else if (name === 'seq' && /^\d{1,5}$/.test(raw) && Number(raw) <= 0xffff) seq ??= Number(raw);
    else if (name === 'rtptime' && /^\d{1,10}$/.test(raw) && Number(raw) <= 0xffff_ffff) rtptime ??= Number(raw);
    else if (name === 'ssrc') ssrc ??= parseSsrc(raw);
  }
  // The URL goes into logs and may be matched against request URLs: no spaces or control characters.
  if (url === undefined || url === '' || url.length > MAX_ENTRY_URL_LENGTH || /[\x00-\x20\x7f]/.test(url)) {
    return undefined;
  }
  const entry: RtpInfoEntry = { url };
  if (seq !== undefined) entry.seq = seq;
  if (rtptime !== undefined) entry.rtptime = rtptime;
  if (ssrc !== undefined) entry.ssrc = ssrc;
  return entry;
}

function unquote(raw: string): string {
  return raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).trim() : raw;
}
