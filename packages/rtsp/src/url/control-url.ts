import { isIPv6 } from 'node:net';
import { RtspError, RtspErrorCode } from '../errors.js';
import { isValidHost, MAX_URL_LENGTH } from './rtsp-url.js';

const RTSP_SCHEME = /^rtsps?:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Characters that may never reach a request line (S04). */
const UNSENDABLE = /[\x00-\x20\x7f]/;
/** A host (IPv4, bracketed IPv6, dotted name, or any name with a port) at the start of a schemeless URL. */
const SCHEMELESS_HOST =
  /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9-]+(?=:\d))(?::\d{1,5})?(?:[/?]|$)/;

/**
 * The URL of a media for SETUP, from the base URL ({@link baseUrlFor}) and the media's `a=control`, by the
 * de-facto rule of gortsplib (`pkg/description/media.go`), go2rtc, scrypted and retina, not RFC 3986:
 * - no control or `*`: the base;
 * - an absolute rtsp(s):// control: its path and query on the base's scheme, host and port, because
 *   cameras behind port-forwards put internal addresses there (Uniview, mediamtx#5008), and some put
 *   credentials there (Samsung/Hanwha, cameradar#199), which must not be echoed;
 * - a relative control: appended to the base as a string with exactly one `/` between, even after a
 *   query (Dahua `...?channel=1&subtype=0` + `trackID=0` → `...?channel=1&subtype=0/trackID=0`), except
 *   that a control starting with `?` is appended as is (gortsplib).
 * The result never has user information.
 *
 * @throws RtspError RTSP_INVALID_URL when the base is not an rtsp(s) URL, the control has spaces or control
 *   characters, or the result is longer than 2048 bytes: the caller drops that media.
 */
export function resolveControlUrl(base: string, control: string | undefined): string {
  if (!RTSP_SCHEME.test(base) || UNSENDABLE.test(base)) {
    throw new RtspError(RtspErrorCode.INVALID_URL, 'the base URL is not an rtsp:// or rtsps:// URL');
  }
  const cleanBase = withoutUserinfo(base);
  const value = control?.trim() ?? '';
  if (value === '' || value === '*') return cleanBase;
  if (UNSENDABLE.test(value)) {
    throw new RtspError(RtspErrorCode.INVALID_URL, 'the media control URL contains spaces or control characters');
  }

  let resolved: string;
  if (ANY_SCHEME.test(value)) {
    if (!RTSP_SCHEME.test(value)) {
      throw new RtspError(RtspErrorCode.INVALID_URL, 'the media control URL is not an rtsp:// URL');
    }
    resolved = origin(cleanBase) + pathAndQuery(value);
  } else if (value.startsWith('?')) {
    resolved = cleanBase + value;
  } else {
    resolved = `${cleanBase.replace(/\/+$/, '')}/${value.replace(/^\/+/, '')}`;
  }
  if (resolved.length > MAX_URL_LENGTH) {
    throw new RtspError(RtspErrorCode.INVALID_URL, 'the media control URL is longer than 2048 characters');
  }
  return resolved;
}

/**
 * Repairs a Content-Base (or Content-Location, or absolute session control) as cameras send it, or
 * undefined when it is unusable and the caller should fall back. The result has no user information.
 * - `rtsp://rtsp://cam:554/x/` → `rtsp://cam:554/x/` (go2rtc#208, #830);
 * - schemeless `192.168.1.5:554/` → `rtsp://192.168.1.5:554/`, with the request's scheme (go2rtc#1852,
 *   retina: Anjvision);
 * - a bare `/path/` → joined to the request URL's scheme, host and port (gortsplib 811e189b);
 * - an unbracketed IPv6 host, `rtsp://::ffff:192.168.1.123/...` → `rtsp://[::ffff:192.168.1.123]/...`
 *   (go2rtc); when the last `:group` could be a port, the whole is read as the address.
 */
export function repairContentBase(value: string, requestUrl: string): string | undefined {
  let text = value.trim();
  // A fragment never belongs in a base, and usually means an unencoded `#` from a password.
  if (text === '' || text.length > MAX_URL_LENGTH || UNSENDABLE.test(text) || text.includes('#')) return undefined;
  while (/^rtsps?:\/\/rtsps?:\/\//i.test(text)) text = text.replace(RTSP_SCHEME, '');

  if (!ANY_SCHEME.test(text)) {
    const request = parseRtsp(requestUrl);
    if (request === undefined) return undefined;
    if (text.startsWith('/')) text = `${request.protocol}//${request.host}${text}`;
    else if (SCHEMELESS_HOST.test(text)) text = `${request.protocol}//${text}`;
    else return undefined;
  }
  if (!RTSP_SCHEME.test(text)) return undefined;

  const url = parseRtsp(bracketIPv6(text));
  if (url === undefined) return undefined;
  url.username = '';
  url.password = '';
  return url.href.length > MAX_URL_LENGTH ? undefined : url.href;
}

/**
 * The base URL for SETUP (gortsplib `findBaseURL`): the session-level `a=control` when absolute (and not
 * `*`), else Content-Base, else Content-Location, else the request URL; each repaired by
 * {@link repairContentBase}, and skipped when unusable. The result has no user information.
 */
export function baseUrlFor(
  response: { contentBase?: string; contentLocation?: string; sessionControl?: string },
  requestUrl: string,
): string {
  const control = response.sessionControl?.trim();
  const candidates = [
    control !== undefined && RTSP_SCHEME.test(control) ? control : undefined,
    response.contentBase,
    response.contentLocation,
  ];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const repaired = repairContentBase(candidate, requestUrl);
    if (repaired !== undefined) return repaired;
  }
  return withoutUserinfo(requestUrl);
}

/** A parsed rtsp(s) URL with a host we accept, or undefined. */
function parseRtsp(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') return undefined;
  return isValidHost(url.hostname) ? url : undefined;
}

/** `rtsp://::ffff:1.2.3.4/x` → `rtsp://[::ffff:1.2.3.4]/x`; `rtsp://fe80::1%:8554/x` stays broken. */
function bracketIPv6(text: string): string {
  const match = /^(rtsps?:\/\/)([^/?#]*)(.*)$/is.exec(text);
  if (match === null) return text;
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  if (hostPort.includes('[') || hostPort.split(':').length < 3) return text;
  if (isIPv6(hostPort)) return `${scheme}${userinfo}[${hostPort}]${rest}`;
  const colon = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, colon);
  const port = hostPort.slice(colon + 1);
  return /^\d{1,5}$/.test(port) && isIPv6(host) ? `${scheme}${userinfo}[${host}]:${port}${rest}` : text;
}

/** `rtsp://user:pass@cam/x` → `rtsp://cam/x`, lexically (the rest of the string is kept byte for byte). */
function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
}

/** `rtsp://host:port` of a URL without user information, lexically. */
function origin(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  return match === null ? url : match[0];
}

/**
 * The path and query of an absolute URL, lexically: the authority ends at the first `/` or `?` after the
 * last `@`, so credentials with an unencoded `/` or `?` are never mistaken for a path (an `@` in the path
 * or query breaks that control instead: safe over useful), and hosts WHATWG cannot parse (unbracketed
 * IPv6) still work.
 */
function pathAndQuery(url: string): string {
  let rest = url.replace(ANY_SCHEME, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  rest = rest.slice(rest.lastIndexOf('@') + 1);
  const authorityEnd = rest.search(/[/?]/);
  return authorityEnd < 0 ? '' : rest.slice(authorityEnd);
}
