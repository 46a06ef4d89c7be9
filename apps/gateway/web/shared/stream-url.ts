// Stream URLs and their playback tokens (docs/api.md "Signed playback"): a signed camera's URLs
// carry the token as a path segment, `/live/<id>/t/<token>/<file>`.

/**
 * The token segment of a stream URL: the one right before the file name, or before `h264/<file>`
 * (the transcoded variant, `/live/<id>/t/<token>/h264/<file>`). A camera id may be "t": in
 * `/live/t/h264/video.m3u8` (no token) "h264" is the variant, not a token (a token is a JWT).
 */
const TOKEN_SEGMENT = /\/t\/(?!h264\/[^/?#]*(?:[?#]|$))[A-Za-z0-9_.-]+\/(?=(?:h264\/)?[^/?#]*(?:[?#]|$))/;

/** The token a stream URL carries, or undefined. */
export function tokenOf(url: string): string | undefined {
  const match = TOKEN_SEGMENT.exec(url);
  return match === null ? undefined : match[0].slice(3, -1);
}

/** The URL with its token segment replaced (unchanged when it has none). */
export function withToken(url: string, token: string): string {
  return url.replace(TOKEN_SEGMENT, () => `/t/${token}/`);
}

/** Whether two URLs are the same stream, whatever tokens they carry (both must carry one). */
export function sameStream(a: string, b: string): boolean {
  return tokenOf(a) !== undefined && tokenOf(b) !== undefined && withToken(a, '-') === withToken(b, '-');
}

/**
 * A JWT's `exp` in ms, unverified: only to know when to say "expired" (the gateway checks tokens);
 * NaN when unreadable.
 */
export function tokenExpiry(token: string): number {
  try {
    const payload = token.split('.')[1] ?? '';
    const claims: unknown = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' ? exp * 1000 : NaN;
  } catch {
    return NaN;
  }
}
