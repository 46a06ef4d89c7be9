import type { FastifyInstance } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import type { PlaybackAccess } from '../playback/playback-access.js';
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
    blocked: 'Press play to watch',
    unsupported: 'This browser cannot play HLS video',
  };
  var player = null;
  var checking = false;
  var RETRY_MS = 5000;
  function showText(text, state) {
    overlay.hidden = text === undefined;
    message.textContent = text || '';
    button.hidden = state !== 'blocked';
    document.body.setAttribute('data-state', state);
  }
  function onPlayerState(state) {
    showText(TEXT[state], state);
    // Offline: is the camera retrying (keep trying) or failed (say why, stop)?
    if (state === 'down') checkStatus('');
  }
  function startPlayer() {
    if (player) return;
    player = camgatePlayer(video, config.src, { autoplay: config.autoplay, onState: onPlayerState });
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
        // Waiting for a failed camera, an error (a proxy's 502, a shutdown's 503) is no news: ask
        // again later rather than play a camera that failed.
        if (awaited) throw new Error('status ' + res.status);
        return null;
      })
      .then(
        function (status) {
          checking = false;
          if (unavailable(status)) {
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
 * full size on black, reconnecting by itself with an overlay while the stream is down.
 */
export function registerEmbedPage(
  app: FastifyInstance,
  options: { cameras: CameraManager | undefined; access?: PlaybackAccess | undefined },
): void {
  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/embed/:id',
    { schema: { hide: true } },
    (request, reply) => {
      const { id } = request.params;
      const camera = options.cameras?.get(id);
      if (camera === undefined) {
        const shown = id.length > MAX_SHOWN_ID ? `${id.slice(0, MAX_SHOWN_ID)}…` : id;
        return sendPage(reply, 404, EMBED_CSP, notFoundPage(shown));
      }
      const query = request.query;
      const config: EmbedConfig = {
        id: camera.id,
        name: camera.name,
        src: `../live/${encodeURIComponent(camera.id)}/index.m3u8`,
        status: `../live/${encodeURIComponent(camera.id)}/status.json`,
        autoplay: parseFlag(query['autoplay'], true),
        muted: parseFlag(query['muted'], true),
        controls: parseFlag(query['controls'], true),
      };
      return sendPage(reply, 200, EMBED_CSP, embedPage(config));
    },
  );
}

function embedPage(config: EmbedConfig): string {
  return `${pageHead(`${config.name} — camgate`, EMBED_STYLE)}
<video id="video" playsinline muted></video>
<div id="overlay" role="status" aria-live="polite"><span id="message">Connecting…</span><button id="play" type="button" hidden>▶ Play</button></div>
<script type="application/json" id="config">${jsonForScript(config)}</script>
<script src="../assets/hls.min.js"></script>
<script>${EMBED_SCRIPT}</script>
</body>
</html>
`;
}

function notFoundPage(id: string): string {
  return `${pageHead('Camera not found — camgate', EMBED_STYLE)}
<p class="missing">There is no camera “${escapeHtml(id)}” on this gateway.</p>
</body>
</html>
`;
}
