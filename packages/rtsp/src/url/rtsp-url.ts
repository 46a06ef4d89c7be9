import { isIPv6 } from 'node:net';
import type { Credentials } from '../auth/authenticator.js';
import { RtspError, RtspErrorCode } from '../errors.js';

/** 2048 bytes: gortsplib's and most servers' Request-URI limit; a camera URL is under 200. */
export const MAX_URL_LENGTH = 2048;
/** RFC 2326 §3.2 (rtsp) and RFC 7826 §19.2 (rtsps) default ports. */
export const DEFAULT_RTSP_PORT = 554;
export const DEFAULT_RTSPS_PORT = 322;

export interface RtspUrl {
  /** The URL without user name and password: what goes into request lines and logs. */
  url: URL;
  /** Percent-decoded user name and password, when the URL had any. */
  credentials?: Credentials;
  /** rtsps:// (RTSP over TLS). */
  secure: boolean;
  /** Host to connect to: a name, an IPv4 address, or an IPv6 address without brackets. */
  host: string;
  /** Port to connect to, with the scheme's default filled in. */
  port: number;
}

/** Host names (letters, digits, `-`, `_`, `.`), IPv4 addresses, or bracketed IPv6 addresses. */
const HOST = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])$/;

/**
 * Parses a camera URL. Only rtsp:// and rtsps:// are accepted (S03); control characters, spaces and
 * CR/LF/NUL are refused anywhere (S04), as are URLs longer than 2048 bytes. User name and password are
 * percent-decoded (`%40` → `@`, `%3A` → `:`, `%23` → `#`, `%25` → `%`) and removed from `url`.
 *
 * A URL is also refused when an unencoded `@`, `/`, `?` or `#` in a password would make it read as
 * something else (`rtsp://admin:12/34@cam/` parses as host `admin`, port 12): the password would then
 * travel in the request line. The error tells the operator to percent-encode.
 *
 * @throws RtspError RTSP_INVALID_URL. The message never contains the URL (it may hold a password).
 */
export function parseRtspUrl(input: string): RtspUrl {
  if (input.length > MAX_URL_LENGTH) throw invalid('is longer than 2048 characters');
  if (/[\x00-\x20\x7f]/.test(input)) throw invalid('contains spaces or control characters');
  const scheme = /^(rtsps?):\/\//i.exec(input)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalid('is not an rtsp:// or rtsps:// URL');

  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw invalid('cannot be parsed (percent-encode @ : / ? # in the user name and password)');
  }
  if (url.hash !== '' || input.includes('#')) {
    throw invalid('has a fragment (percent-encode # in the password as %23)');
  }
  if (url.pathname.includes('@') || url.search.includes('@')) {
    throw invalid('is ambiguous (percent-encode @ / ? in the user name and password)');
  }
  if (!isValidHost(url.hostname)) throw invalid('has no valid host');
  const port = url.port === '' ? (scheme === 'rtsps' ? DEFAULT_RTSPS_PORT : DEFAULT_RTSP_PORT) : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalid('has an invalid port');

  let credentials: Credentials | undefined;
  if (url.username !== '' || url.password !== '') {
    credentials = { username: decode(url.username), password: decode(url.password) };
    if (/[\x00-\x1f\x7f]/.test(credentials.username + credentials.password)) {
      throw invalid('has control characters in the user name or password');
    }
    url.username = '';
    url.password = '';
  }
  // Percent-encoding (non-ASCII paths) can make the URL we would send longer than the input.
  if (url.href.length > MAX_URL_LENGTH) throw invalid('is longer than 2048 characters once encoded');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const result: RtspUrl = { url, secure: scheme === 'rtsps', host, port };
  if (credentials !== undefined) result.credentials = credentials;
  return result;
}

/** A WHATWG `hostname` we are willing to connect to: a DNS name, IPv4, or a bracketed IPv6 address. */
export function isValidHost(hostname: string): boolean {
  if (!HOST.test(hostname)) return false;
  return !hostname.startsWith('[') || isIPv6(hostname.slice(1, -1));
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    throw invalid('has a malformed percent-encoding in the user name or password');
  }
}

function invalid(why: string): RtspError {
  return new RtspError(RtspErrorCode.INVALID_URL, `the camera URL ${why}`);
}

/**
 * The URL with its password replaced by `***` (the user name is kept), for logs, errors and API answers;
 * unchanged when it has no password. Never throws and never returns the password, even for input that is
 * not a valid URL: the user information is taken to end at the last `@`, so an unencoded `@`, `/`, `?` or
 * `#` in a password is still hidden (a URL with `@` in its path may be over-redacted; that is the price).
 */
export function redactUrl(input: string | URL): string {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      if (input.password === '') {
        text = input.href;
      } else {
        const copy = new URL(input.href);
        copy.password = '***';
        text = copy.href;
      }
    } catch {
      return '[invalid URL]';
    }
  }
  const schemeEnd = text.indexOf('://');
  const authorityStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
  const at = text.lastIndexOf('@');
  if (at < authorityStart) return text;
  const userinfo = text.slice(authorityStart, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return text;
  return `${text.slice(0, authorityStart)}${userinfo.slice(0, colon)}:***${text.slice(at)}`;
}
