import { isIPv6 } from 'node:net';
import type { Credentials } from '../auth/authenticator.js';
import { RtspError, RtspErrorCode } from '../errors.js';

/** 2048 bytes: gortsplib's and most servers' Request-URI limit; a camera URL is under 200. */
export const MAX_URL_LENGTH = 2048;
/** RFC 2326 §3.2 (rtsp) and RFC 7826 §19.2 (rtsps) default ports. */
export const DEFAULT_RTSP_PORT = 554;
export const DEFAULT_RTSPS_PORT = 322;

export interface RtspUrl {
  /**
   * The URL without user name and password: what goes into request lines. Logs take redactUrl(url):
   * the path or query may still hold credentials (Xiongmai `/user=admin&password=...`).
   */
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

/** What every secret in a redacted URL is replaced with. */
export const CREDENTIAL_MASK = '***';

/** Where a secret value sits in a URL's text: the characters `[start, end)`, possibly empty (`password=&`). */
export interface UrlSecret {
  /** `password`: the user information's password; `param`: the value of a credential parameter. */
  kind: 'password' | 'param';
  /** `password` for the user information; else the parameter's name, lower-cased (`pwd`, `access_token`). */
  name: string;
  start: number;
  end: number;
}

/**
 * Parameter names (compared lower-cased) whose values are credentials, wherever `name=value` follows
 * the authority: the query (`?user=admin&password=x`), the path (Xiongmai/XMeye
 * `/user=admin&password=x&channel=1&stream=0.sdp`, `/user=admin_password=x_channel=1_stream=0.sdp`),
 * or `;` parameters. Camera URLs carry passwords under all these spellings (`pwd=` and `pass=` on
 * CGI-style cameras, `loginpas=` on VStarcam/Foscam clones), and cloud or NVR relays carry bearer
 * tokens, keys and URL signatures (`token=`, `access_token=`, `key=`, `sig=`), any of which gives
 * access to the stream. User names (`user=`, `username=`, `loginuse=`) are not secret and stay
 * visible: they are what an operator needs to tell which account a camera uses. A name also
 * matches after a `_`, `-` or `.` (`admin_password=` in the underscore form, `x-api-key=`).
 */
const CREDENTIAL_PARAMETERS: ReadonlySet<string> = new Set([
  // passwords
  'password',
  'passwd',
  'pass',
  'pwd',
  'pw',
  'psw',
  'passphrase',
  'passcode',
  'loginpas',
  // secrets, tokens, keys and signatures
  'secret',
  'token',
  'access_token',
  'auth',
  'authtoken',
  'auth_token',
  'key',
  'apikey',
  'api_key',
  'sig',
  'signature',
]);
/** Longest name in the list: a parameter name is looked at over this many characters before its `=`. */
const LONGEST_CREDENTIAL_PARAMETER = Math.max(...[...CREDENTIAL_PARAMETERS].map((name) => name.length));

/**
 * The secret values in a camera URL, sorted and non-overlapping: the user information's password
 * (after the first `:` of the user information, which ends at the last `@`, as in
 * {@link redactUrl}), and the value of every credential parameter (see CREDENTIAL_PARAMETERS) after
 * the authority. A value ends at `&`, `;`, `?`, `#`, `/` or the end of the text; in Xiongmai's
 * underscore form (a name that follows a `_` in the path: `user=admin_password=x_channel=1`) also at
 * `_<word>=`. Nowhere else: base64url tokens hold `_` and end in `=` padding
 * (`?access_token=YWJj_ZA==`), and cutting there would show a token's tail.
 *
 * Works on any text, not only valid URLs, and never throws. When the user information cannot be
 * told apart from the path (a `/`, `?` or `#` before the last `@`: an unencoded `@` in a path
 * parameter, or a `/` in a password; parseRtspUrl refuses both), both readings are taken and
 * overlapping ranges merged (kind and name of the first): over-redaction, never a leak.
 */
export function findUrlSecrets(text: string): UrlSecret[] {
  const authorityStart = /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text)?.[0].length ?? 0;
  const at = text.lastIndexOf('@');
  const found: UrlSecret[] = [];
  let parametersFrom = authorityStart;
  if (at >= authorityStart) {
    const userinfo = text.slice(authorityStart, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) found.push({ kind: 'password', name: 'password', start: authorityStart + colon + 1, end: at });
    if (!/[/?#]/.test(userinfo)) parametersFrom = at + 1;
  }
  // concat, not push(...): a text with 100k parameters would overflow the call stack.
  return mergeRanges(found.concat(parameterSecrets(text, parametersFrom)));
}

/** The values of credential parameters in `text` from `from` on. Linear in the text's length. */
function parameterSecrets(text: string, from: number): UrlSecret[] {
  const secrets: UrlSecret[] = [];
  const query = text.indexOf('?', from);
  for (let eq = text.indexOf('=', from); eq >= 0; eq = text.indexOf('=', eq + 1)) {
    const nameStart = credentialNameStart(text, from, eq);
    if (nameStart < 0) continue;
    const underscoreForm = text[nameStart - 1] === '_' && (query < 0 || eq < query);
    const end = valueEnd(text, eq + 1, underscoreForm);
    secrets.push({ kind: 'param', name: text.slice(nameStart, eq).toLowerCase(), start: eq + 1, end });
    if (end >= text.length) break;
    eq = end;
  }
  return secrets;
}

const isAlphanumeric = (ch: string | undefined) =>
  ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'));
const isNameChar = (ch: string | undefined) => isAlphanumeric(ch) || ch === '_' || ch === '.' || ch === '-';
const isNameSeparator = (ch: string | undefined) => ch === '_' || ch === '-' || ch === '.';

/**
 * Where the credential name that ends at `eq` starts, or -1: the whole parameter name, or its longest
 * tail after a `_`, `-` or `.` (`admin_password` in the underscore form, `x-api-key`).
 */
function credentialNameStart(text: string, from: number, eq: number): number {
  let start = eq;
  while (start > from && eq - start < LONGEST_CREDENTIAL_PARAMETER && isNameChar(text[start - 1])) start--;
  for (let s = start; s < eq; s++) {
    const before = text[s - 1];
    const begins = s === from || !isNameChar(before) || isNameSeparator(before);
    if (begins && CREDENTIAL_PARAMETERS.has(text.slice(s, eq).toLowerCase())) return s;
  }
  return -1;
}

/** Where a parameter value starting at `start` ends. */
function valueEnd(text: string, start: number, underscoreForm: boolean): number {
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '&' || ch === ';' || ch === '?' || ch === '#' || ch === '/') return i;
    if (ch === '_' && underscoreForm) {
      let j = i + 1;
      while (isAlphanumeric(text[j])) j++;
      if (j > i + 1 && text[j] === '=') return i;
    }
  }
  return text.length;
}

/** Sorts and merges overlapping ranges (only the two readings of an ambiguous URL can overlap). Mutates `secrets`. */
function mergeRanges(secrets: UrlSecret[]): UrlSecret[] {
  secrets.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: UrlSecret[] = [];
  for (const secret of secrets) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (secret.start < last.end || secret.start === last.start)) {
      last.end = Math.max(last.end, secret.end);
    } else {
      merged.push(secret);
    }
  }
  return merged;
}

/**
 * The URL with every secret {@link findUrlSecrets} finds (the password of the user information, and
 * credential parameters in the query or path) replaced by `***`; user names and everything else are
 * kept. For logs, errors and API answers. Never throws and never returns a secret, even for input
 * that is not a valid URL: the user information is taken to end at the last `@`, so an unencoded
 * `@`, `/`, `?` or `#` in a password is still hidden (a URL with `@` in its path may be over-redacted;
 * that is the price).
 */
export function redactUrl(input: string | URL): string {
  let text: string;
  try {
    text = typeof input === 'string' ? input : input.href;
  } catch {
    return '[invalid URL]';
  }
  let redacted = '';
  let at = 0;
  for (const secret of findUrlSecrets(text)) {
    redacted += text.slice(at, secret.start) + CREDENTIAL_MASK;
    at = secret.end;
  }
  return redacted + text.slice(at);
}
