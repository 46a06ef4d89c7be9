import type { FastifyRequest } from 'fastify';
import type { PlaybackPolicy } from '../store/camera-store.js';
import { escapeHtml } from './html.js';
import { signingExamples, type SigningExamples } from './signing-examples.js';

/** Where a camera can be watched: for players, for pages, and a snippet to paste into one. */
export interface CameraLinks {
  /** LL-HLS multivariant playlist. */
  playlist: string;
  /** The same stream as standard HLS (whole segments, no blocking requests). */
  standardPlaylist: string;
  /** A page for `<iframe>`s. */
  embed: string;
  /** An `<iframe>` of the embed page, to paste into any web page. */
  snippet: string;
  /**
   * For a signed camera without a token: the links above are templates whose `{token}` the
   * embedding site's backend fills with a token it mints per viewer, and how to mint one.
   */
  tokenRequired?: boolean;
  signing?: SigningExamples;
}

/** What stands for the token in the links of a signed camera (RFC 6570 level 1). */
export const TOKEN_PLACEHOLDER = '{token}';

/**
 * The links of camera `id` under `base`, the absolute URL of the gateway ending in `/`
 * (`https://cams.example.com/` or `https://example.com/cams/` behind a proxy's path prefix). The
 * snippet is pasted into other sites, so it must be absolute: a relative `src` there points at the
 * other site.
 */
export function cameraLinks(
  id: string,
  base: string,
  playback: PlaybackPolicy = 'public',
  token?: string,
): CameraLinks {
  const camera = encodeURIComponent(id);
  if (playback === 'public' && token === undefined) {
    const live = `${base}live/${camera}/`;
    const embed = `${base}embed/${camera}`;
    return {
      playlist: `${live}index.m3u8`,
      standardPlaylist: `${live}standard.m3u8`,
      embed,
      snippet: iframe(`${embed}?autoplay=1&muted=1`),
    };
  }
  // The token as a path segment above the playlists: every relative URI in them carries it.
  const segment = token ?? TOKEN_PLACEHOLDER;
  const live = `${base}live/${camera}/t/${segment}/`;
  const embed = `${base}embed/${camera}?token=${segment}`;
  const links: CameraLinks = {
    playlist: `${live}index.m3u8`,
    standardPlaylist: `${live}standard.m3u8`,
    embed,
    snippet: iframe(`${embed}&autoplay=1&muted=1`),
  };
  if (token !== undefined) return links;
  return {
    ...links,
    snippet: `<!-- Signed camera: your server replaces {token} with a playback token it mints for each page view (see signing). -->\n${links.snippet}`,
    tokenRequired: true,
    signing: signingExamples(id, base),
  };
}

function iframe(src: string): string {
  return `<iframe src="${escapeHtml(src)}" width="640" height="360" allow="autoplay; fullscreen" allowfullscreen style="border:0"></iframe>`;
}

/** 261 characters: a DNS name (253), a colon and a port; longer is no Host we put into links. */
const MAX_HOST_LENGTH = 261;
/**
 * A Host header we are willing to put into links: DNS labels (each unambiguous, so the match is
 * linear: a header is client input) or a bracketed IPv6 address, and a port.
 */
const HOST =
  /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The gateway's absolute URL, ending in `/`: `publicUrl` (CAMGATE_PUBLIC_URL) when set, else the
 * scheme and host the request came to (the proxy's, from X-Forwarded-Proto/Host, only behind a
 * trusted proxy). A request whose Host is not a plain host name gets `/`: relative links, never
 * links to wherever a client's header says.
 */
export function gatewayBase(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl !== undefined && publicUrl !== '') return publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`;
  const host = request.host;
  if (typeof host !== 'string' || host.length > MAX_HOST_LENGTH || !HOST.test(host)) return '/';
  const protocol = request.protocol === 'https' ? 'https' : 'http';
  return `${protocol}://${host}/`;
}
