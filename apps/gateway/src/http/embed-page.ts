import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import { PlaybackAccess } from '../playback/playback-access.js';
import { escapeHtml, jsonForScript, pageCsp, pageHead, sendPage } from './html.js';

/** Strict flags: only `1`/`0`/`true`/`false` count; anything else (or a repeated key) means the default. */
export function parseFlag(value: unknown, fallback: boolean): boolean {
  switch (value) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      return fallback;
  }
}

export interface EmbedConfig {
  id: string;
  name: string;
  /** The playlist, relative to the page (so it works under a proxy's path prefix). */
  src: string;
  /** The camera's state for players (`/live/<id>/status.json`), relative to the page. */
  status: string;
  /** The player's poster: the camera's latest picture (`/live/<id>/snapshot.jpg`), relative to the page. */
  poster: string;
  autoplay: boolean;
  muted: boolean;
  controls: boolean;
  /** The page's playback token, when it has one: `src` and `status` carry it (`/live/<id>/t/<token>/`). */
  token?: string;
  /** When the token expires (ms since the epoch, the gateway's clock). */
  expiresAt?: number;
  /** The gateway's clock as it sent the page (ms): the page measures its own clock against it. */
  now?: number;
}

/**
 * The page's own files (apps/gateway/web/embed, served from /assets/web/): its script drives
 * `<camgate-player>` (status checks for failed and disabled cameras, token renewal by
 * postMessage from the embedding page: see web/embed/embed.ts), its stylesheet sizes it.
 */
const EMBED_SCRIPT = 'assets/web/embed/embed.js';
const EMBED_STYLESHEET = 'assets/web/embed/embed.css';

// Meant for <iframe>s on any site: no X-Frame-Options, and any ancestor.
const EMBED_CSP = pageCsp({ frameAncestors: '*' });

/** 100 characters of an unknown id are plenty to recognize it on the 404 page. */
const MAX_SHOWN_ID = 100;

/**
 * `GET /embed/<id>?autoplay=1&muted=1&controls=1`: a page for `<iframe>`s, the camera's live stream
 * full size on black, reconnecting by itself with an overlay while the stream is down. A signed
 * camera's page needs a token, `?token=<jwt>` or in the path, `/embed/<id>/t/<jwt>`; its player's
 * URLs carry it as a path segment (`/live/<id>/t/<jwt>/...`). A missing, invalid, expired or other
 * camera's token is answered exactly like an unknown camera, so ids cannot be probed (S06).
 */
export function registerEmbedPage(
  app: FastifyInstance,
  options: { cameras: CameraManager | undefined; access?: PlaybackAccess | undefined },
): void {
  const { cameras } = options;
  const access = options.access ?? PlaybackAccess.PUBLIC;
  const serve = async (
    reply: FastifyReply,
    id: string,
    token: string | undefined,
    query: Record<string, unknown>,
    root: string,
  ) => {
    // The token is checked before the camera is looked up: a refusal costs the same either way.
    const checked = access.check(id, token);
    const grant = checked instanceof Promise ? await checked : checked;
    const camera = grant === undefined ? undefined : cameras?.get(id);
    if (grant === undefined || camera === undefined) {
      const shown = id.length > MAX_SHOWN_ID ? `${id.slice(0, MAX_SHOWN_ID)}…` : id;
      return sendPage(reply, 404, EMBED_CSP, notFoundPage(shown), 'no-referrer');
    }
    const live = `${root}live/${encodeURIComponent(camera.id)}/${token === undefined ? '' : `t/${token}/`}`;
    const config: EmbedConfig = {
      id: camera.id,
      name: camera.name,
      src: `${live}index.m3u8`,
      status: `${live}status.json`,
      poster: `${live}snapshot.jpg`,
      autoplay: parseFlag(query['autoplay'], true),
      muted: parseFlag(query['muted'], true),
      controls: parseFlag(query['controls'], true),
    };
    if (token !== undefined) {
      config.token = token;
      if (grant.expiresAt !== undefined) config.expiresAt = grant.expiresAt;
      config.now = Date.now();
    }
    // The page's URL may hold a token: no Referer carries it anywhere (refusals send the same).
    return sendPage(reply, 200, EMBED_CSP, embedPage(config, root), 'no-referrer');
  };
  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/embed/:id',
    { schema: { hide: true } },
    (request, reply) => {
      const value = request.query['token'];
      // An empty ?token= is none (as on the playlists: a template whose token was left out); a
      // repeated one is no token, refused as any invalid one.
      const token = value === undefined || value === '' ? undefined : typeof value === 'string' ? value : '-';
      return serve(reply, request.params.id, token, request.query, '../');
    },
  );
  // The path form, for sites that would rather not have the token in a query string.
  app.get<{ Params: { id: string; token: string }; Querystring: Record<string, unknown> }>(
    '/embed/:id/t/:token',
    { schema: { hide: true } },
    (request, reply) => serve(reply, request.params.id, request.params.token, request.query, '../../../'),
  );
}

/**
 * `root`: the way from the page up to the gateway's root (`../`, or `../../../` for the path form).
 * The player starts without a source: the page's script gives it one once the camera can stream.
 */
function embedPage(config: EmbedConfig, root: string): string {
  return `${pageHead(`${config.name} — camgate`, { stylesheets: [root + EMBED_STYLESHEET], modules: [root + EMBED_SCRIPT] })}
<camgate-player id="player" no-overlay></camgate-player>
<div id="overlay" role="status" aria-live="polite"><span id="message">Connecting…</span><button id="play" type="button" hidden>▶ Play</button></div>
<div id="notice" hidden></div>
<script type="application/json" id="config">${jsonForScript(config)}</script>
</body>
</html>
`;
}

/** One page for an unknown camera and for a refused token: which it was is not said (S06). */
function notFoundPage(id: string): string {
  // No stylesheet: its URL would differ between the query and the path form, which must not.
  return `${pageHead('Camera not found — camgate', { stylesheets: [], modules: [] })}
<p class="missing">There is no camera “${escapeHtml(id)}” here, or this link is not valid (it may have expired).</p>
</body>
</html>
`;
}
