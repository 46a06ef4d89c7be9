import type { PlaybackPolicy } from '../store/camera-store.js';
import type { PlaybackTokens, VerifiedToken } from './playback-tokens.js';

/** Leave to watch a camera: who the viewer is (for counts) and until when. */
export interface PlaybackGrant {
  /** The viewer to count: the token's, or undefined for a public camera watched without one (counted by address). */
  viewer: string | undefined;
  /** The token the request carried (in its path or `?token=`), when it had one. */
  token: string | undefined;
  /** When the token expires (ms since the epoch); undefined without a token. */
  expiresAt?: number;
}

/** A camera's playback policy, or undefined when there is no such camera (or it is disabled). */
export type PlaybackPolicyLookup = (cameraId: string) => PlaybackPolicy | undefined;

/**
 * Who may watch what (docs/api.md, "Securing playback"; S06 in docs/security.md): a public camera
 * anyone who reaches it, a signed camera only with a valid token for it. A token is checked before
 * the camera is looked up, so a refusal costs the same whether the camera exists or not, and every
 * refusal is the same answer as for an unknown camera: ids cannot be probed.
 */
export class PlaybackAccess {
  readonly #policy: PlaybackPolicyLookup;
  readonly #tokens: PlaybackTokens | undefined;

  constructor(policy: PlaybackPolicyLookup, tokens?: PlaybackTokens) {
    this.#policy = policy;
    this.#tokens = tokens;
  }

  /** Undefined: refuse, as for an unknown camera. Synchronous unless a token is seen for the first time. */
  check(cameraId: string, token: string | undefined): PlaybackGrant | undefined | Promise<PlaybackGrant | undefined> {
    if (token === undefined) return this.#policy(cameraId) === 'public' ? { viewer: undefined, token } : undefined;
    const verified = this.#tokens?.verify(token);
    if (verified instanceof Promise) return verified.then((claims) => this.#grant(cameraId, token, claims));
    return this.#grant(cameraId, token, verified);
  }

  /**
   * Every camera public, no token valid (there are no keys): what a gateway without signed
   * playback serves (tests, or a stream lookup without a camera registry).
   */
  static readonly PUBLIC = new PlaybackAccess(() => 'public');

  #grant(cameraId: string, token: string, claims: VerifiedToken | undefined): PlaybackGrant | undefined {
    // A token is for one camera: its `sub` (S06: another camera's token is refused).
    if (claims?.sub !== cameraId || this.#policy(cameraId) === undefined) return undefined;
    return { viewer: claims.viewer, token, expiresAt: claims.expMs };
  }
}
