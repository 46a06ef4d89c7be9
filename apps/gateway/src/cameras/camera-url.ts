import { isCodedError } from '@camgate/bits';
import { CREDENTIAL_MASK, findUrlSecrets, parseRtspUrl, redactUrl, type UrlSecret } from '@camgate/rtsp';
import { errors, type FieldProblem } from '../errors.js';

// A camera's URL and its credentials, as the API takes and shows them. The stored URL holds the
// credentials (userinfo, and the query or path parameters some cameras take them in); the API
// shows it with every secret replaced by the mask, and never takes the mask back as a password:
// a client that sends back what it was shown keeps the stored password instead of storing `***`.

export { CREDENTIAL_MASK };

/** Half of a UTF-16 surrogate pair, alone: not text, and not percent-encodable. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What a create or update says about the camera's address and credentials. */
export interface CameraUrlInput {
  /** rtsp:// or rtsps:// URL, possibly with credentials, possibly as shown by the API (masked). */
  url?: string | undefined;
  /** Sets the user name (write-only); null removes the user name and password. */
  username?: string | null | undefined;
  /** Sets the password (write-only); null or '' removes it. */
  password?: string | null | undefined;
}

/** The URL as the API shows it: every password and secret parameter replaced by `***`. */
export function maskedUrl(url: string): string {
  return redactUrl(url);
}

/** True when the URL carries a password: in its userinfo or in a secret parameter. */
export function hasPassword(url: string): boolean {
  return secretsOf(url).some((secret) => secret.value !== '');
}

/**
 * The stream a URL points at, for spotting a second registration of one camera stream: host and
 * port (the scheme's default filled in), path without trailing slashes, and query, with secrets
 * blanked and without user information. `rtsp://admin:x@Cam:554/s1/` and `rtsp://cam/s1` are one
 * source; `/cam/realmonitor?channel=1&subtype=0` and `...&subtype=1` are two (Dahua main and sub
 * streams).
 */
export function sourceKey(url: string): string {
  try {
    return normalizedSource(url);
  } catch {
    // A URL stored by an older camgate that this reading cannot take apart: itself, as it is.
    return url;
  }
}

function normalizedSource(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  const href = parsed.href;
  let blanked = '';
  let at = 0;
  for (const secret of findUrlSecrets(href)) {
    blanked += href.slice(at, secret.start);
    at = secret.end;
  }
  blanked += href.slice(at);
  const rest = new URL(blanked);
  const port = rest.port || (rest.protocol === 'rtsps:' ? '322' : '554');
  return `${rest.hostname.toLowerCase()}:${port}${rest.pathname.replace(/\/+$/, '')}${rest.search}`;
}

/** Problems with a camera URL, named for `field`; empty when the RTSP client accepts it. */
export function cameraUrlProblems(url: string, field = 'url'): FieldProblem[] {
  try {
    parseRtspUrl(url);
    return [];
  } catch (err) {
    // The RTSP client's own check: a URL the API accepts is one the session can use (an `@` in
    // the path, say, is refused here rather than accepted and then failed).
    if (!isCodedError(err)) throw err;
    return [{ field, message: err.message.replace(/^the camera URL /, '') }];
  }
}

/**
 * The URL to store for `input`, given what is `stored` (on update). Rules, for any client:
 * - explicit `username`/`password` fields win over the URL's user information;
 * - a URL whose password is missing or masked keeps the stored user name and password when its
 *   user name (or its lack of one) and host are unchanged, and the scheme is not downgraded from
 *   rtsps to rtsp; masked secret parameters keep their stored values on the same conditions;
 * - a mask that cannot be restored (new camera, other host or user) is refused, as is a mask sent
 *   as the password: the mask is never stored.
 * @throws GatewayError CAMGATE_ERR_VALIDATION or CAMGATE_ERR_MASKED_PASSWORD, naming the fields.
 */
export function resolveCameraUrl(input: CameraUrlInput, stored?: string): string {
  const problems: FieldProblem[] = [];
  const masked: FieldProblem[] = [];
  if (input.password === CREDENTIAL_MASK) masked.push(maskProblem('password'));
  for (const field of ['username', 'password'] as const) {
    const value = input[field];
    if (typeof value !== 'string') continue;
    if (/[\u0000-\u001f\u007f]/.test(value)) problems.push({ field, message: 'must not hold control characters' });
    // JSON can carry half a surrogate pair (\ud800); no camera can be sent one.
    else if (LONE_SURROGATE.test(value)) problems.push({ field, message: 'must be valid Unicode text' });
  }
  const text = input.url ?? stored;
  if (text === undefined) throw errors.validation([{ field: 'url', message: 'is required' }]);
  if (input.url !== undefined) problems.push(...cameraUrlProblems(input.url));
  if (problems.length > 0 || masked.length > 0) throw failure(problems, masked);

  const url = new URL(text);
  const previous = stored === undefined ? undefined : new URL(stored);
  // The same camera: host and port (a port forward may lead to another camera; an upgrade to rtsps
  // moves to the TLS port of the same host), and no downgrade from rtsps to rtsp (Basic would then
  // send the password in the clear).
  const sameHost =
    previous?.hostname.toLowerCase() === url.hostname.toLowerCase() &&
    (portOf(previous) === portOf(url) || previous.protocol !== url.protocol) &&
    !(previous.protocol === 'rtsps:' && url.protocol === 'rtsp:');
  const urlUser = decode(url.username);
  const urlPassword = decode(url.password);
  // A URL without user information says nothing about credentials: the stored ones stay.
  const bareUrl = input.url === undefined || (urlUser === '' && urlPassword === '');
  const user =
    input.username !== undefined
      ? (input.username ?? '')
      : bareUrl && previous !== undefined
        ? decode(previous.username)
        : urlUser;
  let password: string;
  if (input.password !== undefined) {
    password = input.password ?? '';
  } else if (input.url !== undefined && urlPassword !== '' && urlPassword !== CREDENTIAL_MASK) {
    password = urlPassword;
  } else if (previous !== undefined && sameHost && user === decode(previous.username)) {
    // Missing or masked: the stored password, for the same user on the same host only (a new
    // user needs its own password, and a stored password never goes to another host).
    password = decode(previous.password);
  } else {
    if (input.url !== undefined && urlPassword === CREDENTIAL_MASK) masked.push(maskProblem('url'));
    password = '';
  }
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  // Masked parameters: their stored values, on the same camera for the same user only (the user
  // information and `user=`-like parameters unchanged).
  const sameUser = previous !== undefined && userOf(previous) === userOf(url);
  const restored = restoreMaskedParameters(url, sameHost && sameUser ? previous : undefined, masked);
  if (masked.length > 0) throw failure([], masked);
  url.href = restored.href;

  const result = url.href;
  const after = cameraUrlProblems(result);
  if (after.length > 0) throw errors.validation(after);
  return result;
}

/** Secret parameters whose value is the mask take the value of the same parameter in `previous`. */
function restoreMaskedParameters(url: URL, previous: URL | undefined, masked: FieldProblem[]): URL {
  const href = url.href;
  const secrets = findUrlSecrets(href).filter((s) => s.kind === 'param' && isMask(href.slice(s.start, s.end)));
  if (secrets.length === 0) return url;
  const storedValues = previous === undefined ? [] : secretsOf(previous.href).filter((s) => s.kind === 'param');
  let result = '';
  let at = 0;
  const used = new Map<string, number>();
  for (const secret of secrets) {
    // The n-th masked `password=` takes the n-th stored `password=`.
    const n = used.get(secret.name) ?? 0;
    used.set(secret.name, n + 1);
    const value = storedValues.filter((s) => s.name === secret.name)[n]?.value;
    if (value === undefined) {
      if (!masked.some((p) => p.field === 'url')) masked.push(maskProblem('url'));
      return url;
    }
    result += href.slice(at, secret.start) + value;
    at = secret.end;
  }
  const restored = new URL(result + href.slice(at));
  // A restored value must read back as the same secret: one that spans what the URL around it now
  // says (Xiongmai's `_name=` form) would show its tail in the masked URL.
  if (redactUrl(restored) !== redactUrl(href)) {
    masked.push(maskProblem('url'));
    return url;
  }
  return restored;
}

/** The port connected to: the scheme's default filled in. */
function portOf(url: URL): string {
  return url.port || (url.protocol === 'rtsps:' ? '322' : '554');
}

/**
 * Who the URL logs in as: its user name, and the values of the parameters cameras take a user
 * name in (`?user=admin`, Xiongmai's `/user=admin&...`), in order.
 */
function userOf(url: URL): string {
  const rest = `${url.pathname}${url.search}`;
  const users = [...rest.matchAll(/(?:^|[/?&;_])(?:user|username|usr|login|loginuse|account)=([^&;?#/_]*)/gi)];
  return JSON.stringify([decode(url.username), ...users.map((match) => decode(match[1] ?? ''))]);
}

function secretsOf(url: string): Array<UrlSecret & { value: string }> {
  return findUrlSecrets(url).map((secret) => ({ ...secret, value: url.slice(secret.start, secret.end) }));
}

function isMask(value: string): boolean {
  return decode(value) === CREDENTIAL_MASK;
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

function maskProblem(field: 'url' | 'password'): FieldProblem {
  return {
    field,
    message:
      field === 'password'
        ? `"${CREDENTIAL_MASK}" is the mask the API shows in place of a password, never a password: send the real one, or leave the field out to keep the stored one`
        : `holds the mask "${CREDENTIAL_MASK}" in place of a password, and there is no stored password for this user and host to keep: send the password`,
  };
}

function failure(problems: FieldProblem[], masked: FieldProblem[]) {
  return masked.length > 0 ? errors.maskedPassword([...masked, ...problems]) : errors.validation(problems);
}
