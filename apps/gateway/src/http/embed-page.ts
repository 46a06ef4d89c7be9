import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import { PlaybackAccess } from '../playback/playback-access.js';
import { escapeHtml, jsonForScript, pageCsp, pageHead, sendPage } from './html.js';
import { PLAYER_SCRIPT } from './player-script.js';

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

const EMBED_STYLE = `
html, body { margin: 0; width: 100%; height: 100%; background: #000; overflow: hidden; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #fff; }
video { display: block; width: 100%; height: 100%; object-fit: contain; background: #000; }
#overlay { position: fixed; inset: 0; display: flex; flex-direction: column; gap: 0.75rem; align-items: center;
  justify-content: center; background: rgba(0, 0, 0, 0.55); text-align: center; padding: 1rem;
  font-size: clamp(0.8rem, 3vw, 1.1rem); pointer-events: none; }
#overlay button { pointer-events: auto; font: inherit; padding: 0.5em 1.2em; border-radius: 999px; border: 0;
  background: #fff; color: #000; cursor: pointer; }
[hidden] { display: none !important; }
.missing { display: flex; align-items: center; justify-content: center; height: 100%; padding: 1rem;
  text-align: center; color: #ddd; }
`;

/**
 * Browser-side: reads the config block, applies the flags, and drives the overlay from the player.
 * A camera that cannot stream (`failed`, `disabled`) gets no player: the page says why, in the
 * camera's own words, and waits for the state to change (a held status request, not a poll of the
 * playlist), so it is no viewer of a camera that cannot stream.
 *
 * Signed playback: the page's token can be renewed without a reload. The embedding page sends the
 * frame a new token (minted by its backend) before the current one expires:
 *
 *   iframe.contentWindow.postMessage({ type: 'camgate:token', token: newToken }, 'https://cams.example.com');
 *
 * Accepted from the embedding page only (window.parent; the page itself when not framed), and only
 * a token's characters: the gateway checks the token itself. When the token has expired and the
 * stream is refused, the page says so (not "offline"), stops asking, and tells the embedding page
 * with `{ type: 'camgate:expired', id }`; a new token then starts it again.
 */
const EMBED_SCRIPT = `${PLAYER_SCRIPT}
(function () {
  var config = JSON.parse(document.getElementById('config').textContent);
  var video = document.getElementById('video');
  var overlay = document.getElementById('overlay');
  var message = document.getElementById('message');
  var button = document.getElementById('play');
  video.muted = config.muted;
  video.defaultMuted = config.muted;
  video.controls = config.controls;
  video.autoplay = config.autoplay;
  var TEXT = {
    connecting: 'Connecting\\u2026',
    down: 'Camera offline \\u2014 reconnecting\\u2026',
    expired: 'Access to this camera has expired \\u2014 reload the page',
    blocked: 'Press play to watch',
    unsupported: 'This browser cannot play HLS video',
  };
  var TOKEN_SHAPE = /^[A-Za-z0-9_.-]+$/;
  var MAX_TOKEN_LENGTH = 4096;
  // A token's exp is on the gateway's clock (or its signer's): this browser's may differ.
  var skew = typeof config.now === 'number' ? config.now - Date.now() : 0;
  var token = typeof config.token === 'string'
    ? { current: config.token, expiresAt: typeof config.expiresAt === 'number' ? config.expiresAt - skew : NaN }
    : null;
  var EXPIRED = {};
  var player = null;
  var checking = false;
  var RETRY_MS = 5000;
  function showText(text, state) {
    overlay.hidden = text === undefined;
    message.textContent = text || '';
    button.hidden = state !== 'blocked';
    document.body.setAttribute('data-state', state);
  }
  function expired() {
    return !!token && Date.now() >= token.expiresAt;
  }
  function onPlayerState(state) {
    showText(TEXT[state], state);
    // Offline: is the camera retrying (keep trying) or failed (say why, stop)?
    if (state === 'down') checkStatus('');
    if (state === 'expired') tellParent();
  }
  function tellParent() {
    if (window.parent !== window) window.parent.postMessage({ type: 'camgate:expired', id: config.id }, '*');
  }
  function startPlayer() {
    if (player) return;
    player = camgatePlayer(video, config.src, { autoplay: config.autoplay, onState: onPlayerState, token: token });
  }
  function stopPlayer() {
    if (player) player.destroy();
    player = null;
  }
  function unavailable(status) {
    return !!status && (status.state === 'failed' || status.state === 'disabled');
  }
  function describe(status) {
    if (status.state === 'disabled') return 'This camera is disabled';
    return 'Camera unavailable \\u2014 ' + (status.reason ? status.reason.message : 'it failed');
  }
  /**
   * Asks for the camera's state; with \`awaited\`, the answer comes when the state is no longer
   * that (or after the gateway's hold time). An answer that comes back at once with the same state
   * (a gateway holding too many requests, or closing) is asked again only after RETRY_MS.
   */
  function checkStatus(awaited) {
    if (checking) return;
    checking = true;
    var asked = Date.now();
    fetch(config.status + (awaited ? '?while=' + encodeURIComponent(awaited) : ''), { cache: 'no-store' })
      .then(function (res) {
        if (res.ok) return res.json();
        // Refused with an expired token: no use asking again with it.
        if (res.status === 404 && expired()) return EXPIRED;
        // Waiting for a failed camera, an error (a proxy's 502, a shutdown's 503) is no news: ask
        // again later rather than play a camera that failed.
        if (awaited) throw new Error('status ' + res.status);
        return null;
      })
      .then(
        function (status) {
          checking = false;
          if (status === EXPIRED) {
            stopPlayer();
            showText(TEXT.expired, 'expired');
            tellParent();
          } else if (unavailable(status)) {
            stopPlayer();
            showText(describe(status), 'unavailable');
            var again = function () { checkStatus(status.state); };
            if (status.state === awaited && Date.now() - asked < RETRY_MS) setTimeout(again, RETRY_MS);
            else again();
          } else {
            startPlayer();
          }
        },
        function () {
          checking = false;
          if (awaited) setTimeout(function () { checkStatus(awaited); }, RETRY_MS);
          else startPlayer();
        }
      );
  }
  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.source !== window.parent || token === null || !data || data.type !== 'camgate:token') return;
    var next = data.token;
    if (typeof next !== 'string' || next.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(next)) return;
    // The player's next request carries it (the player reads token.current).
    token.current = next;
    token.expiresAt = camgateTokenExpiry(next) - skew;
    config.status = camgateWithToken(config.status, next);
    if (document.body.getAttribute('data-state') !== 'expired') return;
    showText(TEXT.connecting, 'connecting');
    if (player) player.renew();
    else checkStatus('');
  });
  button.addEventListener('click', function () {
    void video.play();
  });
  showText(TEXT.connecting, 'connecting');
  checkStatus('');
})();
`;

// Meant for <iframe>s on any site: no X-Frame-Options, and any ancestor.
const EMBED_CSP = pageCsp({ script: EMBED_SCRIPT, style: EMBED_STYLE, frameAncestors: '*' });

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

/** `root`: the way from the page up to the gateway's root (`../`, or `../../../` for the path form). */
function embedPage(config: EmbedConfig, root: string): string {
  return `${pageHead(`${config.name} — camgate`, EMBED_STYLE)}
<video id="video" playsinline muted></video>
<div id="overlay" role="status" aria-live="polite"><span id="message">Connecting…</span><button id="play" type="button" hidden>▶ Play</button></div>
<script type="application/json" id="config">${jsonForScript(config)}</script>
<script src="${root}assets/hls.min.js"></script>
<script>${EMBED_SCRIPT}</script>
</body>
</html>
`;
}

/** One page for an unknown camera and for a refused token: which it was is not said (S06). */
function notFoundPage(id: string): string {
  return `${pageHead('Camera not found — camgate', EMBED_STYLE)}
<p class="missing">There is no camera “${escapeHtml(id)}” here, or this link is not valid (it may have expired).</p>
</body>
</html>
`;
}
