import { RtspError, RtspErrorCode } from '../errors.js';

/** 16 KiB: a real header value is under 1 KiB; larger values are skipped, not parsed (B15). */
export const MAX_WWW_AUTHENTICATE_LENGTH = 16 * 1024;
/** 4 KiB: longest realm/nonce/opaque we accept; a challenge with a longer value is dropped (B15: 10 KB realm). */
export const MAX_AUTH_PARAM_LENGTH = 4096;
/** 16 challenges over all headers: cameras offer one to three. */
export const MAX_CHALLENGES = 16;
/** 32 parameters per challenge: Digest defines 9; the rest are vendor extras (Hikvision `random`). */
const MAX_PARAMS = 32;
/** 64 bytes: longest auth-scheme or parameter name we keep. */
const MAX_NAME_LENGTH = 64;

/** One challenge of a WWW-Authenticate header (RFC 7235 §4.1, RFC 7616 §3.3, RFC 7617 §2). */
export interface AuthChallenge {
  /** Lower-case: `basic`, `digest` or any other scheme. */
  scheme: string;
  realm?: string;
  nonce?: string;
  opaque?: string;
  /** Upper-case: `MD5`, `MD5-SESS`, `SHA-256`, `SHA-256-SESS`, ... (absent means MD5, RFC 7616 §3.3). */
  algorithm?: string;
  /** Lower-case qop options (`auth`, `auth-int`), from `qop="auth, auth-int"`. */
  qop?: string[];
  stale?: boolean;
  /** Every parameter by lower-case name, values unquoted and unescaped; the first of duplicates wins. */
  params: Map<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge has one instead of parameters. */
  token68?: string;
}

/** RFC 9110 §5.6.2 tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** RFC 9110 §11.2 token68, up to the end or the next comma. */
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(?:,|$))/y;

interface Draft {
  challenge: AuthChallenge;
  broken: boolean;
}

/**
 * Parses the WWW-Authenticate headers of a 401 into challenges, in order. Several headers may each hold
 * several comma-separated challenges (`Digest realm="x", nonce="y", Basic realm="z"`). Tolerates quoted and
 * unquoted values (`algorithm="MD5"`, `stale=FALSE`), missing commas between parameters, unknown
 * parameters (Hikvision's `random`), and unknown schemes (returned, so the caller can say "unsupported").
 * A challenge is dropped when a value is unbalanced, over 4 KiB or holds control characters (we echo
 * realm, nonce and opaque back), or when a Digest challenge has no nonce.
 *
 * @throws RtspError RTSP_INVALID_HEADER when no challenge is usable.
 */
export function parseWwwAuthenticate(values: readonly string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    if (value.length > MAX_WWW_AUTHENTICATE_LENGTH) continue;
    for (const draft of parseValue(value)) {
      if (draft.broken || !isUsable(draft.challenge)) continue;
      challenges.push(draft.challenge);
      if (challenges.length === MAX_CHALLENGES) return challenges;
    }
  }
  if (challenges.length === 0) {
    throw new RtspError(RtspErrorCode.INVALID_HEADER, 'the server sent no usable WWW-Authenticate challenge');
  }
  return challenges;
}

function isUsable(challenge: AuthChallenge): boolean {
  return challenge.scheme !== 'digest' || challenge.nonce !== undefined;
}

function parseValue(text: string): Draft[] {
  const drafts: Draft[] = [];
  let current: Draft | undefined;
  let pos = 0;

  const skip = (chars: RegExp) => {
    const start = pos;
    while (pos < text.length && chars.test(text[pos] as string)) pos++;
    return pos - start;
  };
  const skipToComma = () => {
    let quoted = false;
    while (pos < text.length && (quoted || text[pos] !== ',')) {
      if (text[pos] === '"') quoted = !quoted;
      pos++;
    }
  };

  while (pos < text.length && drafts.length <= MAX_CHALLENGES) {
    skip(/[ \t,]/);
    if (pos >= text.length) break;
    const nameStart = pos;
    skip(TCHAR);
    const name = text.slice(nameStart, pos);
    if (name === '' || name.length > MAX_NAME_LENGTH) {
      // Junk where a scheme or parameter should be: skip this list element. Progress is certain:
      // text[pos] is neither a space nor a comma here.
      skipToComma();
      continue;
    }
    const spaces = skip(/[ \t]/);

    if (text[pos] === '=') {
      pos++;
      skip(/[ \t]/);
      const value = readValue();
      if (current !== undefined) addParam(current, name.toLowerCase(), value);
      continue;
    }

    // A token not followed by '=' starts a new challenge (RFC 7235 §4.1: challenges share the list).
    current = { challenge: { scheme: name.toLowerCase(), params: new Map() }, broken: false };
    drafts.push(current);
    if (spaces > 0) {
      TOKEN68.lastIndex = pos;
      const token68 = TOKEN68.exec(text);
      if (token68 !== null) {
        current.challenge.token68 = token68[0];
        pos += token68[0].length;
      }
    }
  }
  return drafts.map(finish);

  /** A quoted-string (with `\` escapes) or an unquoted value up to the next comma or space; undefined if unbalanced. */
  function readValue(): string | undefined {
    if (text[pos] !== '"') {
      const start = pos;
      while (pos < text.length && !/[ \t,]/.test(text[pos] as string)) pos++;
      return text.slice(start, pos);
    }
    pos++;
    let value = '';
    while (pos < text.length) {
      const char = text[pos] as string;
      if (char === '"') {
        pos++;
        return value;
      }
      if (char === '\\' && pos + 1 < text.length) {
        value += text[pos + 1] as string;
        pos += 2;
      } else {
        value += char;
        pos++;
      }
      if (value.length > MAX_AUTH_PARAM_LENGTH) {
        // Stop copying; find the closing quote so parsing can go on after this value.
        const close = findClosingQuote(text, pos);
        pos = close < 0 ? text.length : close + 1;
        return value;
      }
    }
    return undefined; // unbalanced quote: the value ran to the end
  }
}

function findClosingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function addParam(draft: Draft, name: string, value: string | undefined): void {
  if (value === undefined || value.length > MAX_AUTH_PARAM_LENGTH || /[\x00-\x1f\x7f]/.test(value)) {
    draft.broken = true;
    return;
  }
  const { params } = draft.challenge;
  if (params.size < MAX_PARAMS && !params.has(name)) params.set(name, value);
}

function finish(draft: Draft): Draft {
  const { challenge } = draft;
  const { params } = challenge;
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const opaque = params.get('opaque');
  const algorithm = params.get('algorithm');
  const qop = params.get('qop');
  const stale = params.get('stale');
  if (realm !== undefined) challenge.realm = realm;
  if (nonce !== undefined) challenge.nonce = nonce;
  if (opaque !== undefined) challenge.opaque = opaque;
  if (algorithm !== undefined && algorithm !== '') challenge.algorithm = algorithm.toUpperCase();
  if (qop !== undefined) {
    const options = qop
      .split(',')
      .map((option) => option.trim().toLowerCase())
      .filter((option) => option !== '');
    if (options.length > 0) challenge.qop = options;
  }
  // `stale=TRUE`, `stale="FALSE"`: case-insensitive (RFC 7616 §3.3).
  if (stale !== undefined) challenge.stale = stale.trim().toLowerCase() === 'true';
  return draft;
}
