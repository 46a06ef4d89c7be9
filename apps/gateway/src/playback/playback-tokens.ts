import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import type { SigningKeys } from './signing-keys.js';

/**
 * 4096 characters per token at most: an RS256 token of a 4096-bit key with the claims we read is
 * under 1,000; anything much longer is not a playback token, and is refused before any parsing.
 */
export const MAX_TOKEN_LENGTH = 4096;
/** A compact JWS (RFC 7515 §7.1): three base64url parts. Checked before anything else. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/**
 * 20,000 verified tokens remembered, the least recently used forgotten first: 2,000 viewers each
 * with their own token ten times over. Each entry is the token (under 1 KB) and its claims.
 */
const MAX_CACHED_TOKENS = 20_000;
/**
 * 1 KiB: tokens up to this long are remembered (an ES256 token is about 300 characters, an RS256
 * one of a 4096-bit key under 1,000), so the cache holds 20 MB at most.
 */
const MAX_CACHED_TOKEN_LENGTH = 1024;
/**
 * 10,000 refused tokens remembered for 10 s: a player retrying a bad token costs a lookup, not a
 * signature check. Short, so that a key added a moment later (or a token whose `nbf` arrives) works.
 */
const MAX_REFUSED_TOKENS = 10_000;
const REFUSED_TTL_MS = 10_000;
/**
 * 5 s of clock difference tolerated on `exp` and `nbf`: the signer's clock and ours differ a little,
 * and a token minted "now" by a backend a second ahead must not be refused.
 */
export const CLOCK_TOLERANCE_S = 5;
/** The `aud` a playback token may carry (optional; any other audience is refused). */
export const PLAYBACK_AUDIENCE = 'playback';

/** What a valid token grants: watching camera `sub` until `expMs`. */
export interface VerifiedToken {
  /** The camera id (`sub`). */
  sub: string;
  /** Expiry, ms since the epoch. */
  expMs: number;
  /** Not before, ms since the epoch (0 when the token has no `nbf`). */
  nbfMs: number;
  /** The signing key (`kid`): its deletion revokes the token. */
  kid: string;
  /** Who watches, for viewer counts: one token, one viewer (a piece of its signature, not the token). */
  viewer: string;
}

/**
 * Checks playback tokens (RFC 7519 JWTs signed with ES256 or RS256 by a key in {@link SigningKeys})
 * and mints them with the gateway's own key. A token is verified once; its claims are then kept in
 * a bounded LRU until it expires, so a viewer's every part and blocking reload costs a map lookup.
 */
export class PlaybackTokens {
  readonly #keys: SigningKeys;
  readonly #now: () => number;
  readonly #verified = new Map<string, VerifiedToken>();
  readonly #refused = new Map<string, number>();
  readonly #pending = new Map<string, Promise<VerifiedToken | undefined>>();
  /** Bumped when refusals are forgotten: a check begun before then must not remember its refusal. */
  #generation = 0;
  readonly #maxVerified: number;
  readonly #maxRefused: number;

  /** `limits`: how many verified and refused tokens are remembered (tests make them small). */
  constructor(keys: SigningKeys, now: () => number = Date.now, limits: { verified?: number; refused?: number } = {}) {
    this.#keys = keys;
    this.#now = now;
    this.#maxVerified = limits.verified ?? MAX_CACHED_TOKENS;
    this.#maxRefused = limits.refused ?? MAX_REFUSED_TOKENS;
    // Deleting a key revokes its tokens at once, cached or not.
    keys.onRevoked((kid) => {
      for (const [token, entry] of this.#verified) if (entry.kid === kid) this.#verified.delete(token);
    });
    // A key learned here or from another node (a cluster: the token was minted there a moment
    // before this node heard of its key) may make a token refused a moment ago valid.
    keys.onAdded(() => this.forgetRefusals());
  }

  /**
   * The token's claims if it is valid now (signature, key, algorithm, `exp`, `nbf`, `aud`), else
   * undefined. Which camera it is for (`sub`) is the caller's check. Synchronous when the answer
   * is remembered.
   */
  verify(token: string): VerifiedToken | undefined | Promise<VerifiedToken | undefined> {
    const now = this.#now();
    const cached = this.#verified.get(token);
    if (cached !== undefined) {
      if (!this.#valid(cached, now)) {
        this.#verified.delete(token);
        return undefined;
      }
      // Most recently used last: the Map's order is the LRU order.
      this.#verified.delete(token);
      this.#verified.set(token, cached);
      return cached;
    }
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return undefined;
    const refusal = refusalKey(token);
    const refusedAt = this.#refused.get(refusal);
    if (refusedAt !== undefined) {
      if (now - refusedAt < REFUSED_TTL_MS) return undefined;
      this.#refused.delete(refusal);
    }
    let pending = this.#pending.get(token);
    if (pending === undefined) {
      // Many requests with one new token (a player's first playlists and parts) share one check.
      pending = this.#check(token).finally(() => this.#pending.delete(token));
      this.#pending.set(token, pending);
    }
    return pending;
  }

  /** Forgets every remembered answer: the next request of each token is checked again. */
  clear(): void {
    this.#verified.clear();
    this.#refused.clear();
    this.#generation++;
  }

  /**
   * Forgets the refused tokens only: a key just added may make one valid, while the tokens
   * verified stay verified (2000 viewers need not each cost a signature check again).
   */
  forgetRefusals(): void {
    this.#refused.clear();
    this.#generation++;
  }

  /** A token for camera `cameraId`, valid `ttlSeconds` from now, signed with the gateway's own key. */
  async mint(cameraId: string, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
    const key = await this.#keys.managedKey();
    const nowS = Math.floor(this.#now() / 1000);
    const expS = nowS + ttlSeconds;
    const token = await new SignJWT({ aud: PLAYBACK_AUDIENCE })
      .setProtectedHeader({ alg: key.algorithm, kid: key.id, typ: 'JWT' })
      .setSubject(cameraId)
      .setIssuedAt(nowS)
      .setExpirationTime(expS)
      .sign(key.privateKey);
    return { token, expiresAt: new Date(expS * 1000) };
  }

  #valid(entry: VerifiedToken, now: number): boolean {
    const tolerance = CLOCK_TOLERANCE_S * 1000;
    return now < entry.expMs + tolerance && now >= entry.nbfMs - tolerance && this.#keys.has(entry.kid);
  }

  async #check(token: string): Promise<VerifiedToken | undefined> {
    const generation = this.#generation;
    let entry: VerifiedToken;
    try {
      const { payload, protectedHeader } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          const key = typeof header.kid === 'string' ? this.#keys.verificationKey(header.kid, header.alg) : undefined;
          if (key === undefined) throw new Error('unknown key');
          return key;
        },
        {
          // Only what our keys can be: `none` and HS* are refused before any key is looked up (S07).
          algorithms: ['ES256', 'RS256'],
          requiredClaims: ['exp', 'sub'],
          clockTolerance: CLOCK_TOLERANCE_S,
          currentDate: new Date(this.#now()),
        },
      );
      const { aud, sub, exp, nbf } = payload;
      const audienceOk =
        aud === undefined || aud === PLAYBACK_AUDIENCE || (Array.isArray(aud) && aud.includes(PLAYBACK_AUDIENCE));
      if (!audienceOk || typeof sub !== 'string' || typeof exp !== 'number') throw new Error('claims');
      entry = {
        sub,
        expMs: exp * 1000,
        nbfMs: typeof nbf === 'number' ? nbf * 1000 : 0,
        kid: protectedHeader.kid as string,
        viewer: `token ${token.slice(token.lastIndexOf('.') + 1, token.lastIndexOf('.') + 23)}`,
      };
    } catch (err) {
      // Not yet valid (`nbf`) is no verdict to remember: the token may be valid in a second.
      const early = err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf';
      if (!early && generation === this.#generation) {
        this.#remember(this.#refused, refusalKey(token), this.#now(), this.#maxRefused);
      }
      return undefined;
    }
    // The key may have been deleted while the signature was checked.
    if (!this.#valid(entry, this.#now())) return undefined;
    // Longer tokens are checked each time: the cache holds at most 20,000 x 1 KiB.
    if (token.length <= MAX_CACHED_TOKEN_LENGTH) this.#remember(this.#verified, token, entry, this.#maxVerified);
    return entry;
  }

  #remember<T>(map: Map<string, T>, key: string, value: T, max: number): void {
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(key, value);
  }
}

/**
 * A refused token is remembered by its SHA-256: 10,000 of them take 0.5 MB, where the strings an
 * attacker chose (up to 4 KB each) would take 40 MB.
 */
function refusalKey(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
