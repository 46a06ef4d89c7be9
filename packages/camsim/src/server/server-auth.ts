import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseWwwAuthenticate, type RtspRequest } from '@camgate/rtsp';

export type AuthScheme = 'basic' | 'digest-md5' | 'digest-sha256';

export interface CamsimAuthOptions {
  username: string;
  password: string;
  /** Challenges offered, in this order (default: Digest MD5 only, like most cameras). */
  schemes?: AuthScheme[];
  /** Schemes that actually work, when the camera offers more than it honours (TP-Link: mediamtx#3116). Default: all offered. */
  accepted?: AuthScheme[];
  realm?: string;
  /** Offer `qop="auth"` in Digest challenges (default true). */
  qop?: boolean;
  opaque?: string;
  /** A nonce expires after this many authenticated requests; the next gets 401 with stale=true. */
  nonceLifetime?: number;
}

/** Server-side RTSP authentication for the simulated camera: RFC 7617 Basic, RFC 7616 / RFC 2069 Digest. */
export class ServerAuth {
  readonly #options: Required<Omit<CamsimAuthOptions, 'opaque' | 'nonceLifetime'>> &
    Pick<CamsimAuthOptions, 'opaque' | 'nonceLifetime'>;
  #nonce = randomBytes(16).toString('hex');
  #uses = 0;
  #stale = false;

  constructor(options: CamsimAuthOptions) {
    const schemes = options.schemes ?? ['digest-md5'];
    this.#options = {
      username: options.username,
      password: options.password,
      schemes,
      accepted: options.accepted ?? schemes,
      realm: options.realm ?? 'camsim',
      qop: options.qop ?? true,
      ...(options.opaque === undefined ? {} : { opaque: options.opaque }),
      ...(options.nonceLifetime === undefined ? {} : { nonceLifetime: options.nonceLifetime }),
    };
  }

  /** True when the request carries valid credentials. */
  verify(request: RtspRequest): boolean {
    const header = request.headers.get('Authorization');
    if (header === undefined) return false;
    const ok = header.toLowerCase().startsWith('basic ')
      ? this.#verifyBasic(header)
      : this.#verifyDigest(header, request);
    if (ok && this.#options.nonceLifetime !== undefined && ++this.#uses > this.#options.nonceLifetime) {
      this.#nonce = randomBytes(16).toString('hex');
      this.#uses = 0;
      this.#stale = true;
      return false;
    }
    return ok;
  }

  /** WWW-Authenticate values for a 401, one per offered scheme. */
  challenges(): string[] {
    const { realm, qop, opaque } = this.#options;
    const stale = this.#stale;
    this.#stale = false;
    return this.#options.schemes.map((scheme) => {
      if (scheme === 'basic') return `Basic realm="${realm}"`;
      const parts = [`realm="${realm}"`, `nonce="${this.#nonce}"`];
      if (scheme === 'digest-sha256') parts.push('algorithm=SHA-256');
      if (qop) parts.push('qop="auth"');
      if (opaque !== undefined) parts.push(`opaque="${opaque}"`);
      if (stale) parts.push('stale=TRUE');
      return `Digest ${parts.join(', ')}`;
    });
  }

  #verifyBasic(header: string): boolean {
    if (!this.#options.accepted.includes('basic')) return false;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    return safeEqual(decoded, `${this.#options.username}:${this.#options.password}`);
  }

  #verifyDigest(header: string, request: RtspRequest): boolean {
    let challenge;
    try {
      challenge = parseWwwAuthenticate([header])[0];
    } catch {
      return false;
    }
    if (challenge?.scheme !== 'digest') return false;
    const p = challenge.params;
    const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
    const scheme: AuthScheme = algorithm === 'SHA-256' ? 'digest-sha256' : 'digest-md5';
    if (!this.#options.accepted.includes(scheme) || (algorithm !== 'MD5' && algorithm !== 'SHA-256')) return false;
    if (p.get('nonce') !== this.#nonce) {
      this.#stale = true;
      return false;
    }
    if (p.get('username') !== this.#options.username || p.get('uri') !== request.uri) return false;
    if (this.#options.opaque !== undefined && p.get('opaque') !== this.#options.opaque) return false;
    const hash = algorithm === 'SHA-256' ? 'sha256' : 'md5';
    const h = (text: string) => createHash(hash).update(text, 'utf8').digest('hex');
    const ha1 = h(`${this.#options.username}:${p.get('realm') ?? ''}:${this.#options.password}`);
    const ha2 = h(`${request.method}:${request.uri}`);
    const qop = p.get('qop');
    const expected =
      qop === 'auth'
        ? h(`${ha1}:${this.#nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:auth:${ha2}`)
        : h(`${ha1}:${this.#nonce}:${ha2}`);
    return safeEqual(p.get('response') ?? '', expected);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
