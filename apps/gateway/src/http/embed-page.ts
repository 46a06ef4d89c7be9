import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';

/**
 * Helpers for the HTML pages (dashboard, embed): server-side escaping, JSON for data blocks, CSP
 * hashes, and the browser-side player both pages use.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML text and quoted attribute values (S11). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so no
 * value can close the block (`</script>`) or open a comment; U+2028/2029 too, for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The CSP source expression allowing exactly this inline `<script>` or `<style>` text. */
export function cspHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

/** Headers every page of ours sends, besides its CSP. */
export function sendPage(reply: FastifyReply, status: number, csp: string, html: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .send(html);
}

/**
 * Browser-side (not type-checked): `camgatePlayer(video, src, { autoplay, onState })` plays an
 * LL-HLS stream with hls.js (lowLatencyMode), or natively where MSE is missing (iOS Safari), and
 * reconnects by itself: a fatal hls.js error, a native `error`/`stalled`, or 10 s without progress
 * while playing tears the player down and starts it again after 1 s, 2 s, 4 s... up to 30 s. Not
 * playing 10 s after the start, or a playlist error before the first frame, reports `down` too.
 * `options.lowLatency` (default true): false plays the same stream as standard HLS (whole
 * segments, no blocking requests). `onState` hears `connecting`, `playing`, `ready` (loaded, not autoplaying), `blocked` (the browser
 * refused to autoplay), `down` (reconnecting) and `unsupported`. Returns `{ destroy() }`.
 */
export const PLAYER_SCRIPT = String.raw`
function camgatePlayer(video, src, options) {
  var FIRST_DELAY_MS = 1000, MAX_DELAY_MS = 30000, STALL_MS = 10000, CONNECT_MS = 10000;
  var hls = null, timer = 0, delay = FIRST_DELAY_MS, stopped = false, current = '';
  var lastTime = -1, lastProgress = Date.now();
  var useHlsJs = typeof Hls !== 'undefined' && Hls.isSupported();
  var useNative = !useHlsJs && video.canPlayType('application/vnd.apple.mpegurl') !== '';
  function state(next) {
    if (next === current) return;
    current = next;
    options.onState(next);
  }
  function play() {
    if (!options.autoplay) {
      if (current !== 'playing') state('ready');
      return;
    }
    var promise = video.play();
    if (promise && promise.catch) {
      promise.catch(function (err) {
        if (!stopped && err && err.name === 'NotAllowedError') state('blocked');
      });
    }
  }
  function teardown() {
    if (hls) {
      hls.destroy();
      hls = null;
    }
    if (useNative && video.hasAttribute('src')) {
      video.removeAttribute('src');
      video.load();
    }
  }
  function retry() {
    if (stopped || timer) return;
    teardown();
    state('down');
    timer = setTimeout(function () {
      timer = 0;
      start();
    }, delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
  function start() {
    if (stopped) return;
    lastProgress = Date.now();
    if (useHlsJs) {
      hls = new Hls({ lowLatencyMode: options.lowLatency !== false });
      hls.on(Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) retry();
        // hls.js retries a playlist that answers 404/503 by itself: already say the camera is down.
        else if (current !== 'playing' && data.type === Hls.ErrorTypes.NETWORK_ERROR) state('down');
      });
      hls.on(Hls.Events.MANIFEST_PARSED, play);
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (useNative) {
      video.src = src;
      play();
    } else {
      stopped = true;
      state('unsupported');
    }
  }
  function onNativeTrouble() {
    if (useNative && video.hasAttribute('src')) retry();
  }
  video.addEventListener('playing', function () {
    delay = FIRST_DELAY_MS;
    lastProgress = Date.now();
    state('playing');
  });
  video.addEventListener('timeupdate', function () {
    if (video.currentTime !== lastTime) {
      lastTime = video.currentTime;
      lastProgress = Date.now();
    }
  });
  video.addEventListener('error', onNativeTrouble);
  video.addEventListener('stalled', onNativeTrouble);
  var watchdog = setInterval(function () {
    if (stopped || timer || video.paused || current !== 'playing') return;
    if (Date.now() - lastProgress > STALL_MS) retry();
  }, 2000);
  // The gateway holds a playlist request up to 10 s for a stream that has not started, and hls.js
  // asks again before it gives up: say the camera is down well before that.
  var connectTimer = setTimeout(function () {
    if (current === 'connecting') state('down');
  }, CONNECT_MS);
  state('connecting');
  start();
  return {
    destroy: function () {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(connectTimer);
      clearInterval(watchdog);
      teardown();
    },
  };
}
`;

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
  src: string;
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

/** Browser-side: reads the config block, applies the flags, and drives the overlay from the player. */
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
  function show(state) {
    var text = TEXT[state];
    overlay.hidden = text === undefined;
    message.textContent = text || '';
    button.hidden = state !== 'blocked';
  }
  button.addEventListener('click', function () {
    void video.play();
  });
  camgatePlayer(video, config.src, { autoplay: config.autoplay, onState: show });
})();
`;

const EMBED_CSP = [
  "default-src 'none'",
  `script-src 'self' ${cspHash(EMBED_SCRIPT)}`,
  `style-src 'self' ${cspHash(EMBED_STYLE)}`,
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  // Meant for <iframe>s on any site: no X-Frame-Options, and any ancestor.
  'frame-ancestors *',
].join('; ');

/** 100 characters of an unknown id are plenty to recognize it on the 404 page. */
const MAX_SHOWN_ID = 100;

/**
 * `GET /embed/<id>?autoplay=1&muted=1&controls=1`: a page for `<iframe>`s, the camera's live stream
 * full size on black, reconnecting by itself with an overlay while the stream is down.
 */
export function registerEmbedPage(app: FastifyInstance, options: { cameras: CameraManager | undefined }): void {
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
        src: camera.links.playlist,
        autoplay: parseFlag(query['autoplay'], true),
        muted: parseFlag(query['muted'], true),
        controls: parseFlag(query['controls'], true),
      };
      return sendPage(reply, 200, EMBED_CSP, embedPage(config));
    },
  );
}

function embedPage(config: EmbedConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(config.name)} — camgate</title>
<style>${EMBED_STYLE}</style>
</head>
<body>
<video id="video" playsinline muted></video>
<div id="overlay" role="status" aria-live="polite"><span id="message">Connecting…</span><button id="play" type="button" hidden>▶ Play</button></div>
<script type="application/json" id="config">${jsonForScript(config)}</script>
<script src="/assets/hls.min.js"></script>
<script>${EMBED_SCRIPT}</script>
</body>
</html>
`;
}

function notFoundPage(id: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Camera not found — camgate</title>
<style>${EMBED_STYLE}</style>
</head>
<body>
<p class="missing">There is no camera “${escapeHtml(id)}” on this gateway.</p>
</body>
</html>
`;
}
