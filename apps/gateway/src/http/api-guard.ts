import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type GatewayError } from '../errors.js';
import { sendProblem } from './problem.js';

/**
 * 10 wrong API keys per address per minute, then 429 for wrong keys until the minute is over
 * (S12, docs/security.md): failures are throttled, never the holder of the key, so a typo (or an
 * attacker) behind the same proxy address cannot lock out the right key. The address is the
 * socket's, or the client's as told by a trusted reverse proxy (`trustProxy`): X-Forwarded-For
 * from anyone else is ignored, or a client could claim a new address for every guess. What makes
 * guessing hopeless is the key's length (at least MIN_API_KEY_LENGTH characters, config.ts).
 */
const MAX_KEY_FAILURES = 10;
const KEY_FAILURE_WINDOW_MS = 60_000;
/** 10,000 addresses tracked: bounds the table under a distributed guess. */
const MAX_TRACKED_ADDRESSES = 10_000;
/**
 * API requests per client address: 20 per second on average, bursts of 100 (S13). A dashboard
 * polls once every few seconds; a script adding fifty cameras fits in a burst. Playback is not
 * limited here (players make several requests a second by design).
 */
const API_RATE_PER_S = 20;
const API_BURST = 100;
/**
 * The API's door: the key (when there is one) and the request rates (S12, S13). A request with
 * the right key is limited only by the holders' rate per address; wrong and missing keys have
 * their own, much lower, budget per address, so failures never use up the holders' (a typo behind
 * a shared proxy address must not lock out the right key).
 */
/** State per client address, bounded: when full, the oldest address is forgotten. */
class AddressTable<T> {
  readonly #entries = new Map<string, T>();

  get(address: string): T | undefined {
    return this.#entries.get(address);
  }

  delete(address: string): void {
    this.#entries.delete(address);
  }

  getOrAdd(address: string, create: () => T): T {
    let entry = this.#entries.get(address);
    if (entry === undefined) {
      if (this.#entries.size >= MAX_TRACKED_ADDRESSES)
        this.#entries.delete(this.#entries.keys().next().value as string);
      entry = create();
      this.#entries.set(address, entry);
    }
    return entry;
  }
}

export interface GuardOptions {
  /** Keys accepted besides the API key (CAMGATE_METRICS_TOKEN for /metrics). */
  otherKeys?: ReadonlyArray<string | undefined>;
  /** Accept the key as the password of HTTP Basic authentication too (Prometheus's basic_auth). */
  basic?: boolean;
  /**
   * The scheme a 401 asks for (default Bearer). Basic makes a browser prompt for the key (a page
   * cannot send a Bearer header), and keep it for the directory the page is in: ask for it only
   * under a directory of its own (`/docs/`), never at the root.
   */
  challenge?: 'Bearer' | 'Basic';
  /** The 401's detail. */
  unauthorized?: string;
  /**
   * The wrong keys counted per address, shared by every door that takes the API key (`/v1`,
   * `/docs`, `/metrics`), so that three doors do not make three budgets of guesses.
   */
  failures?: KeyFailures | undefined;
}

/** Wrong keys per client address (MAX_KEY_FAILURES per KEY_FAILURE_WINDOW_MS), bounded. */
export class KeyFailures extends AddressTable<{ count: number; since: number }> {}

export function apiGuard(apiKey: string | undefined, options: GuardOptions = {}) {
  const holders = new TokenBuckets();
  // Requests without a key are not guesses (a dashboard opened before its key is typed, a monitor):
  // limited as requests, never counted as wrong keys.
  const keyless = new TokenBuckets();
  const failures = options.failures ?? new KeyFailures();
  const expected = [apiKey, ...(options.otherKeys ?? [])]
    .filter((key): key is string => key !== undefined && key !== '')
    .map(digest);
  const scheme = options.challenge ?? 'Bearer';
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const now = Date.now();
    const address = request.ip;
    if (expected.length > 0) {
      const key = presentedKey(request.headers.authorization ?? '', options.basic === true);
      // Compared as fixed-length digests: constant time whatever the key's length (S12).
      const given = digest(key);
      let matched = false;
      for (const digested of expected) matched = timingSafeEqual(given, digested) || matched;
      if (!matched) {
        if (key === '') {
          const refused = keyless.take(address, now);
          if (refused !== undefined) return sendProblem(reply, refused);
        } else {
          let entry = failures.get(address);
          if (entry !== undefined && now - entry.since >= KEY_FAILURE_WINDOW_MS) {
            failures.delete(address);
            entry = undefined;
          }
          entry ??= failures.getOrAdd(address, () => ({ count: 0, since: now }));
          if (entry.count >= MAX_KEY_FAILURES) {
            const retryAfter = Math.max(1, Math.ceil((entry.since + KEY_FAILURE_WINDOW_MS - now) / 1000));
            return sendProblem(reply, errors.rateLimited(retryAfter));
          }
          entry.count++;
        }
        // RFC 6750 §3 (Bearer), RFC 7617 §2 (Basic: browsers then ask for the key): a 401 names the scheme to use.
        const challenge = scheme === 'Basic' ? 'Basic realm="camgate", charset="UTF-8"' : 'Bearer realm="camgate"';
        reply.header(
          'www-authenticate',
          key === '' || scheme === 'Basic' ? challenge : `${challenge}, error="invalid_token"`,
        );
        return sendProblem(reply, errors.unauthorized(options.unauthorized));
      }
    }
    const refused = holders.take(address, now);
    return refused === undefined ? undefined : sendProblem(reply, refused);
  };
}

/** API requests per client address: a token bucket each (API_RATE_PER_S, bursts of API_BURST). */
class TokenBuckets {
  readonly #buckets = new AddressTable<{ tokens: number; at: number }>();

  /** Takes a token for `address`; the 429 to answer when there is none. */
  take(address: string, now: number): GatewayError | undefined {
    const bucket = this.#buckets.getOrAdd(address, () => ({ tokens: API_BURST, at: now }));
    bucket.tokens = Math.min(API_BURST, bucket.tokens + ((now - bucket.at) / 1000) * API_RATE_PER_S);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    const retryAfter = Math.ceil((1 - bucket.tokens) / API_RATE_PER_S);
    return errors.rateLimited(retryAfter, 'too many API requests from this address');
  }
}

/** The key a request presents: `Bearer <key>`, or with `basic` the password of `Basic base64(user:key)`. */
function presentedKey(header: string, basic: boolean): string {
  const bearer = /^Bearer +(.+)$/i.exec(header)?.[1];
  if (bearer !== undefined) return bearer;
  if (!basic) return '';
  const encoded = /^Basic +([A-Za-z0-9+/=]{1,1024})$/i.exec(header)?.[1];
  if (encoded === undefined) return '';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? '' : decoded.slice(colon + 1);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
