import { createHash, randomBytes } from 'node:crypto';
import { RtspError, RtspErrorCode } from '../errors.js';
import type { AuthChallenge } from '../headers/www-authenticate.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface AuthenticatorOptions {
  /** Client nonce for Digest; default: 16 bytes from `crypto.randomBytes`, hex. Injectable for golden tests. */
  cnonce?: () => string;
}

type DigestHash = 'md5' | 'sha256';

/** Digest algorithms we implement (RFC 7616 §3.3), by upper-cased name, with their strength rank. */
const DIGEST_ALGORITHMS: ReadonlyMap<string, { hash: DigestHash; sess: boolean; rank: number }> = new Map([
  ['SHA-256', { hash: 'sha256', sess: false, rank: 3 }],
  ['SHA-256-SESS', { hash: 'sha256', sess: true, rank: 3 }],
  ['MD5', { hash: 'md5', sess: false, rank: 2 }],
  ['MD5-SESS', { hash: 'md5', sess: true, rank: 2 }],
]);
const BASIC_RANK = 1;
/** 16 bytes: 128 bits of client nonce, as RFC 7616 §5.12 recommends for unpredictability. */
const CNONCE_BYTES = 16;

/** A challenge we can answer. `key` identifies the scheme+algorithm that fails or succeeds as a unit. */
interface Candidate {
  key: string;
  label: string;
  rank: number;
  challenge: AuthChallenge;
  digest?: { hash: DigestHash; sess: boolean; qopAuth: boolean };
}

interface Current extends Candidate {
  cnonce: string;
  /** Requests sent with the current nonce (RFC 7616 §3.4 nc). */
  nc: number;
}

type FailureReason = 'required' | 'failed' | 'unsupported';

/**
 * The client's authentication state machine for one camera connection (RFC 7235, RFC 7616 Digest,
 * RFC 7617 Basic). Credentials are only ever sent after a 401 asked for them, and appear only in the
 * Authorization header (base64 or hashed), never in an error message.
 *
 * Rules, per round (a round ends with a successful response):
 * - the strongest usable challenge not yet rejected is tried: Digest SHA-256 > Digest MD5 > Basic; unknown
 *   schemes, unknown algorithms and `qop="auth-int"`-only challenges are ignored;
 * - a 401 to the current scheme rejects it and the next offered scheme is tried (TP-Link offers Basic and
 *   Digest where only one works: mediamtx#3116, scrypted#1835, go2rtc#2232);
 * - except once per round: a Digest challenge of the same algorithm with `stale=true` and a new nonce
 *   (RFC 7616 §3.3) re-authenticates with that scheme; after a success, any fresh nonce does (and Basic
 *   retries once), because cameras expire nonces mid-session without saying stale;
 * - at most (usable challenges + 1) retries per round, however the camera loops (B15).
 */
export class Authenticator {
  readonly #credentials: Credentials | undefined;
  readonly #newCnonce: () => string;
  /** Keys of schemes the camera rejected; never tried again on this connection. */
  readonly #rejected = new Set<string>();
  /** Labels of the schemes tried, for the failure message. */
  readonly #tried: string[] = [];
  #current: Current | undefined;
  #confirmed = false;
  #reauthenticated = false;
  #retries = 0;
  #budget = 0;
  #reason: FailureReason | undefined;
  #offered: string[] = [];

  constructor(credentials: Credentials | undefined, options: AuthenticatorOptions = {}) {
    if (credentials !== undefined && /[\x00-\x1f\x7f]/.test(credentials.username + credentials.password)) {
      // S04: a CR/LF in the user name would end up inside our Digest header.
      throw new RtspError(RtspErrorCode.INVALID_URL, 'the user name or password contains control characters');
    }
    this.#credentials = credentials;
    this.#newCnonce = options.cnonce ?? (() => randomBytes(CNONCE_BYTES).toString('hex'));
  }

  /** The scheme in use (`Digest SHA-256`, `Basic`), for logs; undefined before the first challenge. */
  get scheme(): string | undefined {
    return this.#current?.label;
  }

  /**
   * Called with a 401 response's challenges. True: retry the request with {@link authorization}.
   * False: the request fails with {@link failure}.
   */
  onUnauthorized(challenges: readonly AuthChallenge[]): boolean {
    this.#offered = challenges.slice(0, 8).map((challenge) => challenge.scheme);
    const usable = candidates(challenges);
    if (this.#credentials === undefined) return this.#fail('required');

    this.#budget = Math.max(this.#budget, usable.length + 1);
    if (this.#retries >= this.#budget) return this.#fail('failed');

    const current = this.#current;
    if (current !== undefined) {
      const same = usable.find((candidate) => candidate.key === current.key);
      if (same !== undefined && this.#mayReauthenticate(current, same)) {
        this.#reauthenticated = true;
        this.#use(same, current.challenge.nonce === same.challenge.nonce ? current : undefined);
        return true;
      }
      this.#rejected.add(current.key);
      this.#current = undefined;
      this.#confirmed = false;
    }

    const next = usable.find((candidate) => !this.#rejected.has(candidate.key));
    if (next === undefined) {
      return this.#fail(usable.length === 0 && this.#tried.length === 0 ? 'unsupported' : 'failed');
    }
    this.#tried.push(next.label);
    this.#use(next, undefined);
    return true;
  }

  /**
   * The Authorization header value for a request, or undefined before any challenge (credentials are never
   * sent unprompted). `uri` is the Request-URI exactly as sent; it must not contain credentials.
   *
   * @throws RtspError RTSP_INVALID_URL when `uri` holds credentials or characters that cannot be sent.
   */
  authorization(method: string, uri: string): string | undefined {
    const current = this.#current;
    const credentials = this.#credentials;
    if (current === undefined || credentials === undefined) return undefined;
    if (/[\x00-\x20\x7f"]/.test(uri) || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(uri)) {
      throw new RtspError(
        RtspErrorCode.INVALID_URL,
        'refusing to authenticate a request URI with credentials or unsendable characters',
      );
    }
    if (current.digest === undefined) {
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
    }

    const { hash, sess, qopAuth } = current.digest;
    const { realm = '', nonce = '', opaque } = current.challenge;
    current.nc = (current.nc + 1) >>> 0;
    const nc = current.nc.toString(16).padStart(8, '0');
    const h = (text: string) => createHash(hash).update(text, 'utf8').digest('hex');
    // RFC 7616 §3.4.2: A1 = user:realm:password, and for -sess, H(A1):nonce:cnonce.
    const userHash = h(`${credentials.username}:${realm}:${credentials.password}`);
    const ha1 = sess ? h(`${userHash}:${nonce}:${current.cnonce}`) : userHash;
    const ha2 = h(`${method}:${uri}`);
    // RFC 7616 §3.4.1 with qop; RFC 2069 (no qop) for cameras that offer none (most Hikvision, Dahua).
    const response = qopAuth ? h(`${ha1}:${nonce}:${nc}:${current.cnonce}:auth:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);

    // ffmpeg's parameter order, which cameras are tested against; algorithm, qop and nc unquoted
    // (RFC 7616 §3.4: some Amcrest models reject them quoted, scrypted#2123).
    const parts = [
      `username=${quote(credentials.username)}`,
      `realm=${quote(realm)}`,
      `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`,
      `response="${response}"`,
    ];
    const algorithm = current.challenge.params.get('algorithm');
    if (algorithm !== undefined && algorithm !== '') parts.push(`algorithm=${algorithm}`);
    if (opaque !== undefined) parts.push(`opaque=${quote(opaque)}`);
    if (qopAuth) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(current.cnonce)}`);
    else if (sess) parts.push(`cnonce=${quote(current.cnonce)}`);
    return `Digest ${parts.join(', ')}`;
  }

  /**
   * The error to report when {@link onUnauthorized} returned false: RTSP_AUTH_REQUIRED (no credentials),
   * RTSP_AUTH_FAILED (credentials rejected), RTSP_UNSUPPORTED_AUTH (only schemes we do not implement).
   * Never contains the user name or password.
   */
  failure(): RtspError {
    const reason = this.#reason ?? (this.#credentials === undefined ? 'required' : 'failed');
    switch (reason) {
      case 'required':
        return new RtspError(RtspErrorCode.AUTH_REQUIRED, 'the camera requires credentials and none were given');
      case 'unsupported': {
        const offered = this.#offered.length === 0 ? 'none' : this.#offered.join(', ');
        return new RtspError(
          RtspErrorCode.UNSUPPORTED_AUTH,
          `the camera offers no authentication scheme camgate implements (offered: ${offered})`,
        );
      }
      case 'failed': {
        const tried = this.#tried.length === 0 ? 'none' : this.#tried.join(', ');
        return new RtspError(RtspErrorCode.AUTH_FAILED, `the camera rejected the credentials (tried: ${tried})`);
      }
    }
  }

  /** A successful response: the current scheme is confirmed and a new round begins. */
  onSuccess(): void {
    if (this.#current !== undefined) this.#confirmed = true;
    this.#reauthenticated = false;
    this.#retries = 0;
    this.#budget = 0;
    this.#reason = undefined;
  }

  #mayReauthenticate(current: Current, same: Candidate): boolean {
    if (this.#reauthenticated) return false;
    if (current.digest === undefined) return this.#confirmed;
    const freshNonce = same.challenge.nonce !== current.challenge.nonce;
    return freshNonce && (same.challenge.stale === true || this.#confirmed);
  }

  /** Switches to `candidate`; keeps the nonce count and cnonce of `previous` when the nonce is unchanged. */
  #use(candidate: Candidate, previous: Current | undefined): void {
    this.#current = { ...candidate, cnonce: previous?.cnonce ?? this.#newCnonce(), nc: previous?.nc ?? 0 };
    this.#retries++;
    this.#reason = undefined;
  }

  #fail(reason: FailureReason): false {
    this.#reason = reason;
    return false;
  }
}

/** The challenges we can answer, strongest first; equal strength keeps the camera's order. */
function candidates(challenges: readonly AuthChallenge[]): Candidate[] {
  const usable: Candidate[] = [];
  for (const challenge of challenges) {
    if (challenge.scheme === 'basic') {
      usable.push({ key: 'basic', label: 'Basic', rank: BASIC_RANK, challenge });
    } else if (challenge.scheme === 'digest' && challenge.nonce !== undefined) {
      const name = challenge.algorithm ?? 'MD5';
      const algorithm = DIGEST_ALGORITHMS.get(name);
      // RFC 7616 §3.3: qop options we do not know are ignored; only auth-int left means we cannot answer.
      const qopAuth = challenge.qop?.includes('auth') ?? false;
      if (algorithm === undefined || (challenge.qop !== undefined && !qopAuth)) continue;
      usable.push({
        key: `digest:${name}`,
        label: `Digest ${name}`,
        rank: algorithm.rank,
        challenge,
        digest: { hash: algorithm.hash, sess: algorithm.sess, qopAuth },
      });
    }
  }
  return usable.sort((a, b) => b.rank - a.rank);
}

/** RFC 9110 §5.6.4 quoted-string. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
