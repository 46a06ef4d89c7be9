import type { FastifyInstance } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import { VERSION } from '../version.js';
import { escapeHtml, jsonForScript, pageCsp, pageHead, sendPage } from './html.js';
import { PLAYER_SCRIPT } from './player-script.js';

/** Every 3 s the dashboard asks for the cameras' states. */
const POLL_MS = 3000;

const DASHBOARD_STYLE = `
:root { color-scheme: light; --bg: #f1f3f6; --card: #fff; --ink: #1b1f24; --muted: #5b6470; --line: #dde1e6;
  --accent: #2563eb; --danger: #c62828; }
* { box-sizing: border-box; }
html, body { margin: 0; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  background: var(--bg); color: var(--ink); font-size: 15px; line-height: 1.4; }
header { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; padding: 0.75rem 1.25rem;
  background: #111827; color: #f9fafb; }
header h1 { margin: 0; font-size: 1.15rem; font-weight: 600; letter-spacing: 0.01em; }
header nav { margin-left: auto; display: flex; gap: 0.75rem; align-items: center; }
header a { color: #cbd5e1; text-decoration: none; }
header a:hover { color: #fff; text-decoration: underline; }
button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid var(--line); background: #fff;
  color: var(--ink); padding: 0.35rem 0.8rem; }
button:hover { border-color: #9aa4b1; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--danger); }
.banner { margin: 1rem 1.25rem 0; padding: 0.75rem 1rem; border-radius: 8px; background: #fff7e6;
  border: 1px solid #f3d19c; }
#login { display: flex; justify-content: center; padding: 4rem 1rem; }
#login form { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 1.5rem;
  width: min(26rem, 100%); display: flex; flex-direction: column; gap: 0.5rem;
  box-shadow: 0 10px 30px rgba(0, 0, 0, 0.08); }
#login h2 { margin: 0; font-size: 1.2rem; }
#login label { font-weight: 600; font-size: 0.9rem; margin-top: 0.4rem; }
#login input { font: inherit; padding: 0.45rem 0.55rem; border: 1px solid var(--line); border-radius: 6px; }
#login button { align-self: flex-start; margin-top: 0.4rem; }
main { padding: 1.25rem; }
#grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 340px), 1fr)); }
#empty, #no-match { color: var(--muted); text-align: center; padding: 3rem 1rem; }
.toolbar { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; margin-bottom: 1rem; }
.toolbar input { font: inherit; padding: 0.35rem 0.6rem; border: 1px solid var(--line); border-radius: 6px;
  min-width: 14rem; }
.states { display: flex; flex-wrap: wrap; gap: 0.4rem; }
.states button { border-radius: 999px; padding: 0.2rem 0.75rem; }
.states button[aria-pressed="true"] { background: #111827; border-color: #111827; color: #fff; }
.tile { background: var(--card); border-radius: 10px; overflow: hidden; border: 1px solid var(--line);
  display: flex; flex-direction: column; box-shadow: 0 1px 2px rgba(0, 0, 0, 0.04); }
.screen { position: relative; aspect-ratio: 16 / 9; background: #000; }
.screen video { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
.overlay { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  color: #e5e7eb; background: rgba(0, 0, 0, 0.55); font-size: 0.95rem; text-align: center; padding: 1rem; }
.info { padding: 0.7rem 0.9rem 0.9rem; display: flex; flex-direction: column; gap: 0.45rem; }
.title-row { display: flex; align-items: center; gap: 0.5rem; }
.name { margin: 0; font-size: 1rem; font-weight: 600; overflow-wrap: anywhere; flex: 1; }
.badge { font-size: 0.75rem; font-weight: 600; padding: 0.1rem 0.55rem; border-radius: 999px; color: #fff;
  background: #64748b; text-transform: lowercase; white-space: nowrap; }
.badge[data-state="streaming"] { background: #16a34a; }
.badge[data-state="connecting"] { background: #2563eb; }
.badge[data-state="retrying"] { background: #d97706; }
.badge[data-state="failed"] { background: #dc2626; }
.badge[data-state="disabled"] { background: #6b7280; }
.badge[data-state="idle"] { background: #475569; }
.meta { margin: 0; color: var(--muted); font-size: 0.85rem; }
.error { margin: 0; color: var(--danger); font-size: 0.85rem; overflow-wrap: anywhere; }
.notes { margin: 0; padding-left: 1.1rem; color: #92400e; font-size: 0.85rem; }
.actions { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; }
.actions a { margin-left: auto; color: var(--accent); font-size: 0.9rem; }
details.embed summary { cursor: pointer; color: var(--muted); font-size: 0.9rem; }
details.embed textarea { width: 100%; margin: 0.4rem 0; font: 0.8rem ui-monospace, SFMono-Regular, Menlo, monospace;
  resize: vertical; border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem; }
.signing { margin-top: 0.5rem; display: flex; flex-direction: column; gap: 0.3rem; }
.signing pre { margin: 0; padding: 0.45rem; background: #f1f5f9; border-radius: 6px; overflow-x: auto;
  font: 0.75rem ui-monospace, SFMono-Regular, Menlo, monospace; }
dialog { border: 0; border-radius: 12px; padding: 0; width: min(32rem, calc(100vw - 2rem));
  box-shadow: 0 20px 50px rgba(0, 0, 0, 0.3); }
dialog::backdrop { background: rgba(17, 24, 39, 0.55); }
dialog form { padding: 1.25rem; display: flex; flex-direction: column; gap: 0.35rem; }
dialog h2 { margin: 0 0 0.5rem; font-size: 1.1rem; }
dialog label { font-weight: 600; font-size: 0.9rem; margin-top: 0.4rem; }
dialog label.check { font-weight: 400; display: flex; gap: 0.5rem; align-items: center; }
dialog input[type="text"], dialog input[type="password"], dialog select { font: inherit; padding: 0.4rem 0.5rem; border: 1px solid var(--line);
  border-radius: 6px; width: 100%; }
dialog input[aria-invalid="true"] { border-color: var(--danger); }
.field-error, .form-error { margin: 0; color: var(--danger); font-size: 0.85rem; min-height: 0; }
.hint { margin: 0; color: var(--muted); font-size: 0.8rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0 0.75rem; }
.pair label { display: block; }
.probe-result { margin: 0.4rem 0 0; padding: 0.45rem 0.6rem; border-radius: 6px; background: #f1f5f9; font-size: 0.85rem;
  overflow-wrap: anywhere; }
.probe-result[data-ok="true"] { background: #ecfdf5; color: #166534; }
.probe-result[data-ok="false"] { background: #fef2f2; color: var(--danger); }
#probe { margin-right: auto; }
.dialog-actions { display: flex; justify-content: flex-end; gap: 0.5rem; margin-top: 0.8rem; }
[hidden] { display: none !important; }
`;

/**
 * Browser-side (not type-checked). Builds every element with textContent/setAttribute: nothing a
 * camera or a user supplies is ever parsed as HTML (S11).
 */
const DASHBOARD_SCRIPT = `${PLAYER_SCRIPT}
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('config').textContent);
  var KEY_STORAGE = 'camgate.apiKey';
  var STATES = ['streaming', 'connecting', 'retrying', 'failed', 'disabled', 'idle'];
  var PLAYER_TEXT = {
    connecting: 'Connecting\\u2026',
    down: 'Camera offline \\u2014 reconnecting\\u2026',
    blocked: 'Autoplay blocked: open the camera to watch',
    unsupported: 'This browser cannot play HLS video',
    expired: 'Access expired \\u2014 renewing\\u2026',
    token: 'No playback token \\u2014 retrying\\u2026',
  };
  var grid = document.getElementById('grid');
  var empty = document.getElementById('empty');
  var notice = document.getElementById('notice');
  var login = document.getElementById('login');
  var keyForm = document.getElementById('key-form');
  var keyInput = document.getElementById('key-input');
  var keyError = document.getElementById('key-error');
  var addButton = document.getElementById('add-button');
  var signOut = document.getElementById('sign-out');
  var main = document.querySelector('main');
  var dialog = document.getElementById('camera-dialog');
  var form = document.getElementById('camera-form');
  var formTitle = document.getElementById('form-title');
  var formError = document.getElementById('form-error');
  var urlHint = document.getElementById('url-hint');
  var template = document.getElementById('tile-template');
  var toolbar = document.getElementById('toolbar');
  var filterInput = document.getElementById('filter');
  var statesBar = document.getElementById('states');
  var noMatch = document.getElementById('no-match');
  var tiles = new Map();
  // Fifty cameras: find one by name or id, or see only those in one state (the failing ones).
  var filterText = '';
  var filterState = '';
  var shownStates = '';
  var editing = null;
  var pollTimer = 0;
  var waitingForKey = false;
  // A key typed in is kept (sessionStorage) once the gateway took it: a refused key is never kept.
  var keyConfirmed = true;

  // The API key lives in this tab's sessionStorage only: never in a URL, a cookie (which other
  // sites' requests would carry) or storage that outlives it; it is gone when the tab closes.
  function storedKey() {
    try { return sessionStorage.getItem(KEY_STORAGE) || ''; } catch (e) { return ''; }
  }
  function storeKey(key) {
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key); else sessionStorage.removeItem(KEY_STORAGE);
    } catch (e) { /* storage refused: the key lasts as long as the page */ }
    memoryKey = key;
  }
  var memoryKey = storedKey();

  function AuthNeeded() {}

  function api(method, path, body) {
    var headers = { accept: 'application/json' };
    if (memoryKey) headers.authorization = 'Bearer ' + memoryKey;
    var init = { method: method, headers: headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      if (res.status === 401) {
        askForKey(memoryKey !== '');
        throw new AuthNeeded();
      }
      // Too many requests without a key from this address (others behind the same proxy): the
      // key panel still shows, since the right key is never refused for them.
      if (res.status === 429 && !memoryKey && config.keyed) askForKey(false);
      if (res.status === 204) return { ok: true, status: 204, data: null };
      return res.json().then(
        function (data) { return { ok: res.ok, status: res.status, data: data }; },
        function () { return { ok: res.ok, status: res.status, data: null }; }
      );
    });
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = text === '';
  }

  /** The login screen: nothing of the cameras shows (or plays) until the gateway takes a key. */
  function askForKey(wrong) {
    waitingForKey = true;
    clearTimeout(pollTimer);
    if (wrong) storeKey('');
    tiles.forEach(removeTile);
    keyError.textContent = wrong ? 'That key was refused. Try again.' : '';
    showNotice('');
    main.hidden = true;
    addButton.hidden = true;
    signOut.hidden = true;
    login.hidden = false;
    keyInput.focus();
  }

  // The input has no name and the form no action: even without this script, the key never goes into a URL.
  keyForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var key = keyInput.value.trim();
    if (key === '') return;
    memoryKey = key;
    keyConfirmed = false;
    keyInput.value = '';
    login.hidden = true;
    main.hidden = false;
    addButton.hidden = false;
    waitingForKey = false;
    refresh();
  });

  signOut.addEventListener('click', function () {
    storeKey('');
    askForKey(false);
  });

  // ------------------------------------------------------------ tiles

  function el(root, selector) { return root.querySelector(selector); }

  // Every URL of this page is relative, so it works under a reverse proxy's path prefix.
  function livePath(id, file, token) {
    return 'live/' + encodeURIComponent(id) + '/' + (token ? 't/' + token + '/' : '') + file;
  }

  /**
   * Signed cameras' tiles play with tokens minted through the API (POST .../playback-tokens, the
   * API key as for any request): short-lived, renewed at 80% of their life while the tile plays.
   * The player reads the tile's token object at each request, so a renewed token goes on playing
   * without a reload.
   */
  var TOKEN_TTL_S = 600;
  var RENEW_AT = 0.8;
  var TOKEN_RETRY_MS = 10000;
  var EMBED_TOKEN_TTL_S = 3600;

  function mintToken(id, ttlSeconds) {
    return api('POST', 'v1/cameras/' + encodeURIComponent(id) + '/playback-tokens', { ttlSeconds: ttlSeconds });
  }

  /** A new token for the tile (its token object changed in place: the player holds it), then \`then\`. */
  function renewToken(tile, then) {
    if (tile.minting) return;
    tile.minting = true;
    clearTimeout(tile.renewTimer);
    // On this browser's clock: the gateway minted the token after this.
    var asked = Date.now();
    var failed = function () {
      tile.minting = false;
      if (tiles.get(tile.id) !== tile) return;
      if (tile.player) tile.renewTimer = setTimeout(function () { renewToken(tile); }, TOKEN_RETRY_MS);
      else {
        tile.playerState = 'token';
        showOverlay(tile);
      }
    };
    mintToken(tile.id, TOKEN_TTL_S).then(function (res) {
      if (!res.ok || !res.data || typeof res.data.token !== 'string') return failed();
      tile.minting = false;
      if (tiles.get(tile.id) !== tile) return;
      var token = tile.token || (tile.token = { current: '', expiresAt: 0, renewAt: 0 });
      token.current = res.data.token;
      token.expiresAt = asked + TOKEN_TTL_S * 1000;
      token.renewAt = asked + TOKEN_TTL_S * RENEW_AT * 1000;
      if (then) then();
      if (!tile.player) return;
      clearTimeout(tile.renewTimer);
      tile.renewTimer = setTimeout(function () { renewToken(tile); }, token.renewAt - Date.now());
      if (tile.playerState === 'expired') tile.player.renew();
    }, failed);
  }

  function formatBitrate(bits) {
    if (!bits) return '';
    return bits >= 1e6 ? (bits / 1e6).toFixed(1) + ' Mbit/s' : Math.round(bits / 1e3) + ' kbit/s';
  }

  // A wall of cameras: only tiles on screen play, and beyond 4 tiles each plays the video alone
  // (tiles are muted). Over HTTP/1.1 those play the standard playlist: an LL-HLS player holds a
  // blocking request open per playlist, and a browser has 6 HTTP/1.1 connections per origin, while
  // standard HLS requests all end at once, so any number of tiles share the 6. Over HTTP/2 (the
  // gateway with a certificate) one connection carries every held request: LL-HLS for all.
  var WALL_TILES = 4;
  var navigation = typeof performance !== 'undefined' && typeof performance.getEntriesByType === 'function' &&
    performance.getEntriesByType('navigation')[0];
  var MULTIPLEXED = !!navigation && (navigation.nextHopProtocol === 'h2' || navigation.nextHopProtocol === 'h3');
  var onScreen = new Set();
  var observer = typeof IntersectionObserver === 'function'
    ? new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          var tile = tiles.get(entry.target.getAttribute('data-id'));
          if (!tile || tile.node !== entry.target) return;
          if (entry.isIntersecting) {
            onScreen.add(tile.id);
            if (!unavailable(tile.camera) && !tile.player) startPlayer(tile);
          } else {
            onScreen.delete(tile.id);
            stopPlayer(tile);
          }
        });
      })
    : null;

  function visible(tile) { return observer === null || onScreen.has(tile.id); }

  function createTile(camera) {
    var node = template.content.firstElementChild.cloneNode(true);
    var tile = {
      id: camera.id, node: node, camera: camera, player: null, playerState: 'connecting',
      token: null, minting: false, renewTimer: 0, playback: '',
    };
    node.setAttribute('data-id', camera.id);
    el(node, '.open').addEventListener('click', function (event) {
      if (tile.camera.playback === 'signed') openSigned(tile, event);
    });
    el(node, '.edit').addEventListener('click', function () { openForm(tile.camera); });
    el(node, '.delete').addEventListener('click', function () { removeCamera(tile); });
    el(node, '.copy').addEventListener('click', function () {
      copyText(el(node, '.snippet'), el(node, '.copy'));
    });
    tiles.set(camera.id, tile);
    grid.appendChild(node);
    if (observer) observer.observe(node);
    return tile;
  }

  /**
   * A camera that cannot stream (failed: wrong password, wrong path...) gets no player: it would
   * only poll for a stream that does not come, and count as a viewer. The tile says why, in the
   * camera's own words, until a poll shows another state.
   */
  function unavailable(camera) {
    return camera.enabled === false || (camera.status && camera.status.state === 'failed');
  }

  function unavailableText(camera) {
    if (camera.enabled === false) return 'Disabled';
    var error = camera.status && camera.status.lastError;
    return 'Camera unavailable \u2014 ' + (error && error.message ? String(error.message) : 'it failed');
  }

  /** The overlay says what the player says, or what the gateway says when the player only waits. */
  function showOverlay(tile) {
    var text;
    var cameraState = tile.camera.status && tile.camera.status.state;
    if (unavailable(tile.camera)) text = unavailableText(tile.camera);
    else if (tile.playerState === 'playing' || tile.playerState === 'ready') text = undefined;
    else if (['blocked', 'unsupported', 'expired', 'token'].indexOf(tile.playerState) !== -1) text = PLAYER_TEXT[tile.playerState];
    else if (cameraState === 'retrying') text = PLAYER_TEXT.down;
    else text = PLAYER_TEXT[tile.playerState] || PLAYER_TEXT.connecting;
    var overlay = el(tile.node, '.overlay');
    overlay.hidden = text === undefined;
    el(overlay, '.overlay-text').textContent = text || '';
  }

  function startPlayer(tile) {
    if (tile.camera.playback !== 'signed') return play(tile, null);
    // A token with most of its life left is used again (a tile scrolled back into view).
    if (tile.token && Date.now() < tile.token.renewAt) return play(tile, tile.token);
    renewToken(tile, function () {
      if (!tile.player && visible(tile) && !unavailable(tile.camera)) play(tile, tile.token);
    });
  }

  function play(tile, token) {
    var video = el(tile.node, 'video');
    video.muted = true;
    var wall = tiles.size > WALL_TILES;
    var lowLatency = !wall || MULTIPLEXED;
    var file = wall ? (lowLatency ? 'video.m3u8' : 'standard-video.m3u8') : lowLatency ? 'index.m3u8' : 'standard.m3u8';
    var src = livePath(tile.id, file, token && token.current);
    tile.playback = tile.camera.playback;
    tile.player = camgatePlayer(video, src, {
      autoplay: true,
      lowLatency: lowLatency,
      token: token,
      onState: function (state) {
        tile.playerState = state;
        showOverlay(tile);
        // Expired (the tab slept past the renewal): a new token, and the player starts again.
        if (state === 'expired') renewToken(tile);
      },
    });
    if (token) {
      clearTimeout(tile.renewTimer);
      tile.renewTimer = setTimeout(function () { renewToken(tile); }, Math.max(0, token.renewAt - Date.now()));
    }
  }

  function stopPlayer(tile) {
    if (tile.player) tile.player.destroy();
    clearTimeout(tile.renewTimer);
    tile.player = null;
    tile.playerState = 'stopped';
  }

  /**
   * "Open player" of a signed camera: its embed page with a token of its own, minted on the click
   * (a request of a few milliseconds: the click still counts for popup blockers). The page is opened
   * with noopener: a window opened from this one otherwise gets a copy of its sessionStorage, the
   * API key with it, and keeps it after Sign out.
   */
  function openSigned(tile, event) {
    event.preventDefault();
    mintToken(tile.id, EMBED_TOKEN_TTL_S).then(
      function (res) {
        if (res.ok && res.data && typeof res.data.token === 'string') {
          var page = 'embed/' + encodeURIComponent(tile.id) + '/t/' + res.data.token;
          window.open(new URL(page, document.baseURI).href, '_blank', 'noopener,noreferrer');
          return;
        }
        showNotice((res.data && res.data.detail) || 'No playback token could be minted for this camera.');
      },
      function () { showNotice('No playback token could be minted for this camera.'); }
    );
  }

  function updateTile(tile, camera) {
    tile.camera = camera;
    var node = tile.node;
    var status = camera.status || {};
    var state = STATES.indexOf(status.state) === -1 ? 'idle' : status.state;
    tile.state = state;
    el(node, '.name').textContent = camera.name;
    el(node, 'video').setAttribute('aria-label', camera.name);
    var badge = el(node, '.badge');
    badge.textContent = state;
    badge.setAttribute('data-state', state);

    var meta = [];
    var tracks = Array.isArray(status.tracks) ? status.tracks : [];
    tracks.forEach(function (track) {
      if (track.kind === 'video' && track.width && track.height) meta.push(track.width + '\\u00d7' + track.height);
    });
    var rate = formatBitrate(status.bitrate);
    if (rate) meta.push(rate);
    if (typeof status.viewers === 'number') meta.push(status.viewers + (status.viewers === 1 ? ' viewer' : ' viewers'));
    if (camera.onDemand) meta.push('on demand');
    el(node, '.meta').textContent = meta.join(' \\u00b7 ');

    var error = el(node, '.error');
    var message = status.lastError && status.lastError.message;
    var retry = status.nextAttemptAt ? Date.parse(status.nextAttemptAt) - Date.now() : NaN;
    error.textContent = message
      ? String(message) + (retry > 1500 ? ' (next attempt in ' + Math.round(retry / 1000) + ' s)' : '')
      : '';
    error.hidden = !message || state === 'streaming';

    var notes = el(node, '.notes');
    notes.replaceChildren();
    tracks.forEach(function (track) {
      if (track.browserPlayable !== false) return;
      var item = document.createElement('li');
      item.textContent = (track.kind || 'track') + (track.codec ? ' (' + track.codec + ')' : '') +
        ' not playable in browsers' + (track.reason ? ': ' + track.reason : '');
      notes.appendChild(item);
    });
    notes.hidden = notes.childElementCount === 0;

    var links = camera.links || {};
    el(node, '.open').setAttribute('href', 'embed/' + encodeURIComponent(camera.id));
    var snippet = el(node, '.snippet');
    // The gateway builds it absolute (CAMGATE_PUBLIC_URL): it is pasted on other sites. A signed
    // camera's is a template: the site's backend puts a token it mints in place of {token}.
    var text = typeof links.snippet === 'string' ? links.snippet : '';
    if (snippet.value !== text) snippet.value = text;
    var signing = links.tokenRequired === true && links.signing ? links.signing : null;
    el(node, '.signing').hidden = signing === null;
    if (signing) {
      setText(el(node, '.signing-text'), 'Signed camera: your site\\u2019s backend mints a playback token for each page view ' +
        'and puts it in place of {token}. ' + String(signing.explanation || ''));
      setText(el(node, '.signing-node'), String(signing.node || ''));
      setText(el(node, '.signing-python'), String(signing.python || ''));
    }

    // A camera switched between public and signed: its player starts again with the right URLs.
    if (tile.player && tile.playback !== camera.playback) stopPlayer(tile);
    if (unavailable(camera)) stopPlayer(tile);
    else if (!tile.player && visible(tile)) startPlayer(tile);
    showOverlay(tile);
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function removeTile(tile) {
    stopPlayer(tile);
    if (observer) observer.unobserve(tile.node);
    onScreen.delete(tile.id);
    tile.node.remove();
    tiles.delete(tile.id);
  }

  function render(cameras) {
    var seen = new Set();
    cameras.forEach(function (camera) {
      if (!camera || typeof camera.id !== 'string') return;
      seen.add(camera.id);
      updateTile(tiles.get(camera.id) || createTile(camera), camera);
    });
    tiles.forEach(function (tile) { if (!seen.has(tile.id)) removeTile(tile); });
    empty.hidden = tiles.size !== 0;
    renderStates();
    applyFilter();
  }

  // ------------------------------------------------------------ filter

  /** One button per state that some camera is in, with its count; pressing one shows only those. */
  function renderStates() {
    var counts = {};
    tiles.forEach(function (tile) { counts[tile.state] = (counts[tile.state] || 0) + 1; });
    if (filterState && !counts[filterState]) filterState = '';
    var labels = [['', tiles.size + (tiles.size === 1 ? ' camera' : ' cameras')]];
    STATES.forEach(function (state) {
      if (counts[state]) labels.push([state, counts[state] + ' ' + state]);
    });
    toolbar.hidden = tiles.size < 2;
    // Rebuilt only when the counts changed: a poll or a press must not take the keyboard focus away.
    var key = JSON.stringify(labels);
    if (key !== shownStates) {
      shownStates = key;
      statesBar.replaceChildren.apply(statesBar, labels.map(function (label) { return stateButton(label[0], label[1]); }));
    }
    statesBar.querySelectorAll('button').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-state') === filterState));
    });
  }

  function stateButton(state, text) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = text;
    button.setAttribute('data-state', state);
    button.addEventListener('click', function () {
      filterState = filterState === state ? '' : state;
      renderStates();
      applyFilter();
    });
    return button;
  }

  /** Tiles that do not match are hidden: off screen, they stop playing (the observer sees them go). */
  function applyFilter() {
    var shown = 0;
    tiles.forEach(function (tile) {
      var name = String(tile.camera.name || '').toLowerCase();
      var match = (filterText === '' || name.indexOf(filterText) !== -1 || tile.id.indexOf(filterText) !== -1) &&
        (filterState === '' || tile.state === filterState);
      tile.node.hidden = !match;
      if (match) shown++;
    });
    noMatch.hidden = shown !== 0 || tiles.size === 0;
  }

  filterInput.addEventListener('input', function () {
    filterText = filterInput.value.trim().toLowerCase();
    applyFilter();
  });

  function copyText(textarea, button) {
    function done(ok) {
      button.textContent = ok ? 'Copied' : 'Select and copy';
      setTimeout(function () { button.textContent = 'Copy'; }, 1500);
    }
    function fallback() {
      textarea.focus();
      textarea.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(textarea.value).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  // ------------------------------------------------------------ polling

  function fetchAll(page, items) {
    return api('GET', 'v1/cameras?perPage=100&page=' + page).then(function (res) {
      if (!res.ok || !res.data || !Array.isArray(res.data.items)) throw res;
      items = items.concat(res.data.items);
      return page < res.data.pageCount && page < 50 ? fetchAll(page + 1, items) : items;
    });
  }

  function refresh() {
    clearTimeout(pollTimer);
    return fetchAll(1, []).then(
      function (cameras) {
        if (!keyConfirmed) {
          keyConfirmed = true;
          storeKey(memoryKey);
        }
        signOut.hidden = !memoryKey;
        showNotice('');
        render(cameras);
        schedule();
      },
      function (err) {
        if (err instanceof AuthNeeded) return;
        if (err && err.status === 404 && !config.api) {
          showNotice('This gateway runs without a camera registry: there is no camera API to show.');
          addButton.hidden = true;
          return;
        }
        var detail = err && err.data && err.data.detail;
        showNotice(detail ? 'The gateway answered: ' + detail : 'The gateway cannot be reached. Retrying\\u2026');
        schedule();
      }
    );
  }

  function schedule() {
    clearTimeout(pollTimer);
    if (!waitingForKey) pollTimer = setTimeout(refresh, config.pollMs);
  }

  // ------------------------------------------------------------ add / edit / delete

  var FIELDS = ['name', 'url', 'username', 'password', 'transport', 'audio', 'playback', 'onDemand', 'enabled'];
  var SETTINGS = ['name', 'url', 'transport', 'audio', 'playback', 'onDemand', 'enabled'];
  var probeResult = document.getElementById('probe-result');
  var probeButton = document.getElementById('probe');
  var duplicateRow = document.getElementById('duplicate-row');
  var passwordHint = document.getElementById('password-hint');

  /** The URL split for the form: credentials go to their own fields, the URL keeps the rest. */
  function splitUrl(url) {
    var match = /^(rtsps?:[/][/])([^@/?#]*)@(.*)$/i.exec(url || '');
    if (!match) return { url: url || '', username: '' };
    var userinfo = match[2];
    var colon = userinfo.indexOf(':');
    var user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    try { user = decodeURIComponent(user); } catch (e) { /* shown as it is */ }
    return { url: match[1] + match[3], username: user };
  }

  /** Where a URL leads: scheme, host and port (the scheme's default filled in), for the password rule. */
  function placeOf(url) {
    var match = /^(rtsps?):[/][/](?:[^@/?#]*@)?([[][^\\]]*\\]|[^:/?#]*)(?::(\\d+))?/i.exec(url || '');
    if (!match) return { scheme: '', host: '', port: '' };
    var scheme = match[1].toLowerCase();
    return { scheme: scheme, host: match[2].toLowerCase(), port: match[3] || (scheme === 'rtsps' ? '322' : '554') };
  }

  /** The gateway's rule: same host, same port (unless rtsp became rtsps), never rtsps to rtsp. */
  function samePlace(a, b) {
    var from = placeOf(a);
    var to = placeOf(b);
    return from.host === to.host && (from.port === to.port || from.scheme !== to.scheme) &&
      !(from.scheme === 'rtsps' && to.scheme === 'rtsp');
  }

  function clearErrors() {
    formError.textContent = '';
    probeResult.textContent = '';
    probeResult.hidden = true;
    form.querySelectorAll('[data-error-for]').forEach(function (node) {
      node.textContent = '';
      node.hidden = true;
    });
    form.querySelectorAll('[aria-invalid]').forEach(function (node) { node.removeAttribute('aria-invalid'); });
  }

  function showProblem(problem, status) {
    var general = [];
    var first = null;
    var fieldErrors = problem && Array.isArray(problem.errors) ? problem.errors : [];
    fieldErrors.forEach(function (item) {
      var field = item && typeof item.field === 'string' ? item.field : '';
      var message = item && typeof item.message === 'string' ? item.message : 'is invalid';
      var slot = FIELDS.indexOf(field) === -1 ? null : form.querySelector('[data-error-for="' + field + '"]');
      if (slot) {
        slot.textContent = slot.textContent ? slot.textContent + '; ' + message : message;
        slot.hidden = false;
        var control = input(field);
        if (control) {
          control.setAttribute('aria-invalid', 'true');
          if (!first) first = control;
        }
      } else {
        general.push((field ? field + ': ' : '') + message);
      }
    });
    if (general.length === 0 && fieldErrors.length === 0) {
      general.push(problem && problem.detail ? problem.detail : 'The gateway answered ' + status + '.');
    }
    formError.textContent = general.join('; ');
    if (first) first.focus();
  }

  function openForm(camera) {
    editing = camera ? Object.assign({}, camera) : null;
    clearErrors();
    form.reset();
    formTitle.textContent = camera ? 'Edit camera' : 'Add camera';
    urlHint.hidden = !camera;
    duplicateRow.hidden = true;
    input('allowDuplicateSource').checked = false;
    input('password').placeholder = camera && camera.hasPassword ? 'unchanged' : '';
    passwordHint.hidden = !(camera && camera.hasPassword);
    // The gateway's default: signed when it has an API key (it serves a network), public otherwise.
    input('playback').value = config.keyed ? 'signed' : 'public';
    if (camera) {
      var split = splitUrl(camera.url);
      editing.formUrl = split.url;
      editing.formUsername = split.username;
      input('name').value = camera.name;
      input('url').value = split.url;
      input('username').value = split.username;
      input('transport').value = camera.transport;
      input('audio').value = camera.audio;
      input('playback').value = camera.playback === 'signed' ? 'signed' : 'public';
      input('onDemand').checked = !!camera.onDemand;
      input('enabled').checked = camera.enabled !== false;
    }
    if (typeof dialog.showModal === 'function') dialog.showModal(); else dialog.setAttribute('open', '');
    input('name').focus();
  }

  function closeForm() {
    editing = null;
    if (typeof dialog.close === 'function') dialog.close(); else dialog.removeAttribute('open');
  }

  function input(name) { return form.elements.namedItem(name); }

  function formValues() {
    return {
      name: input('name').value,
      url: input('url').value.trim(),
      username: input('username').value,
      password: input('password').value,
      transport: input('transport').value,
      audio: input('audio').value,
      playback: input('playback').value,
      onDemand: input('onDemand').checked,
      enabled: input('enabled').checked,
    };
  }

  /**
   * What to send: for a new camera, everything (credentials only when typed); for an edit, only
   * what changed. The password is write-only: empty keeps the stored one, which the gateway never
   * sends to another host, so a changed host needs it typed again.
   */
  function requestBody(values) {
    var body = {};
    if (!editing) {
      SETTINGS.forEach(function (field) { body[field] = values[field]; });
      if (values.username !== '') body.username = values.username;
      if (values.password !== '') body.password = values.password;
    } else {
      SETTINGS.forEach(function (field) {
        var before = field === 'url' ? editing.formUrl : editing[field];
        if (values[field] !== before) body[field] = values[field];
      });
      if (values.username !== editing.formUsername) body.username = values.username === '' ? null : values.username;
      if (values.password !== '') body.password = values.password;
    }
    if (input('allowDuplicateSource').checked) body.allowDuplicateSource = true;
    return body;
  }

  /** A stored password is kept for the same user on the same host only: otherwise it must be typed. */
  function passwordNeeded(values) {
    return !!editing && editing.hasPassword && values.password === '' && values.username !== '' &&
      (!samePlace(editing.formUrl, values.url) || values.username !== editing.formUsername);
  }
  var PASSWORD_AGAIN = {
    errors: [{ field: 'password', message: 'the address or user name changed: type the password again (a stored password is only kept for the same user on the same host)' }],
  };

  /** The form's values, or null (with the reason shown) when the password must be typed again. */
  function checkedValues() {
    clearErrors();
    var values = formValues();
    if (!passwordNeeded(values)) return values;
    showProblem(PASSWORD_AGAIN);
    return null;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var values = checkedValues();
    if (!values) return;
    var body = requestBody(values);
    var request;
    if (editing) {
      if (Object.keys(body).length === 0) { closeForm(); return; }
      request = api('PATCH', 'v1/cameras/' + encodeURIComponent(editing.id), body);
    } else {
      request = api('POST', 'v1/cameras', body);
    }
    var submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    request.then(
      function (res) {
        submit.disabled = false;
        if (!res.ok) {
          if (res.data && res.data.code === 'CAMGATE_ERR_DUPLICATE_SOURCE') duplicateRow.hidden = false;
          showProblem(res.data, res.status);
          return;
        }
        closeForm();
        refresh();
      },
      function (err) {
        submit.disabled = false;
        if (!(err instanceof AuthNeeded)) formError.textContent = 'The gateway cannot be reached.';
        else formError.textContent = 'Enter the API key above, then save again.';
      }
    );
  });

  // Test connection: the gateway connects with what the form says (the stored password where the
  // field is empty), receives a few seconds and reports the tracks; nothing is saved.
  function describeProbe(result) {
    var tracks = (result.tracks || []).map(function (track) {
      var parts = [String(track.codec || track.kind).toUpperCase()];
      if (track.width && track.height) parts.push(track.width + '\u00d7' + track.height);
      if (track.fps) parts.push(Math.round(track.fps) + ' fps');
      if (track.sampleRate) parts.push(track.sampleRate / 1000 + ' kHz');
      if (track.browserPlayable === false) parts.push('(not playable in browsers' + (track.reason ? ': ' + track.reason : '') + ')');
      return parts.join(' ');
    });
    return '\u2713 Connected over ' + String(result.transport).toUpperCase() + ': ' +
      (tracks.length ? tracks.join('; ') : 'no tracks');
  }

  probeButton.addEventListener('click', function () {
    var values = checkedValues();
    if (!values) return;
    var body = requestBody(values);
    delete body.allowDuplicateSource;
    if (!editing) delete body.name;
    var path = editing ? 'v1/cameras/' + encodeURIComponent(editing.id) + '/probe' : 'v1/cameras/probe';
    probeButton.disabled = true;
    probeResult.hidden = false;
    probeResult.removeAttribute('data-ok');
    probeResult.textContent = 'Connecting to the camera\u2026';
    api('POST', path, body).then(
      function (res) {
        probeButton.disabled = false;
        if (res.ok && res.data) {
          probeResult.setAttribute('data-ok', 'true');
          probeResult.textContent = describeProbe(res.data);
        } else if (res.data && res.data.cameraError) {
          probeResult.setAttribute('data-ok', 'false');
          probeResult.textContent = '\u2717 ' + res.data.cameraError.message + ' [' + res.data.cameraError.code + ']';
        } else {
          probeResult.hidden = true;
          showProblem(res.data, res.status);
        }
      },
      function (err) {
        probeButton.disabled = false;
        probeResult.hidden = true;
        formError.textContent = err instanceof AuthNeeded ? 'Enter the API key above, then try again.' : 'The gateway cannot be reached.';
      }
    );
  });

  document.getElementById('cancel').addEventListener('click', closeForm);
  addButton.addEventListener('click', function () { openForm(null); });

  function removeCamera(tile) {
    if (!window.confirm('Delete the camera \\u201c' + tile.camera.name + '\\u201d? Its stream and embed links stop working.')) return;
    api('DELETE', 'v1/cameras/' + encodeURIComponent(tile.id)).then(
      function (res) {
        if (res.ok || res.status === 404) removeTile(tile);
        else showNotice((res.data && res.data.detail) || 'The camera could not be deleted.');
        empty.hidden = tiles.size !== 0;
      },
      function (err) {
        if (!(err instanceof AuthNeeded)) showNotice('The gateway cannot be reached.');
      }
    );
  }

  if (config.keyed && !memoryKey) askForKey(false);
  else refresh();
})();
`;

// The dashboard changes cameras: no other site may frame it (clickjacking).
const DASHBOARD_CSP = pageCsp({ script: DASHBOARD_SCRIPT, style: DASHBOARD_STYLE, frameAncestors: "'none'" });

function fieldError(field: string): string {
  return `<p class="field-error" data-error-for="${field}" hidden></p>`;
}

function dashboardPage(config: { version: string; api: boolean; keyed: boolean; pollMs: number }): string {
  return `${pageHead('camgate', DASHBOARD_STYLE)}
<header>
<h1>camgate ${escapeHtml(config.version)}</h1>
<nav>
<button type="button" class="primary" id="add-button">Add camera</button>
<a href="docs">API docs</a>
<button type="button" id="sign-out" hidden>Sign out</button>
</nav>
</header>
<section id="login" hidden>
<form id="key-form" autocomplete="off">
<h2>Sign in</h2>
<p class="hint">This gateway is protected by its API key (CAMGATE_API_KEY). It is kept in this browser tab only, and forgotten when the tab closes.</p>
<label for="key-input">API key</label>
<input id="key-input" type="password" autocomplete="off" spellcheck="false" required>
<p class="field-error" id="key-error" role="alert"></p>
<button type="submit" class="primary">Sign in</button>
</form>
</section>
<p class="banner" id="notice" role="status" hidden></p>
<main>
<div class="toolbar" id="toolbar" hidden>
<input type="search" id="filter" placeholder="Filter by name or id" aria-label="Filter cameras by name or id" autocomplete="off" spellcheck="false">
<div class="states" id="states" role="group" aria-label="Show cameras in one state"></div>
</div>
<p id="no-match" hidden>No camera matches the filter.</p>
<div id="grid"></div>
<p id="empty" hidden>No cameras yet. Press <strong>Add camera</strong> and give it the camera’s RTSP URL.</p>
</main>
<dialog id="camera-dialog">
<form id="camera-form" novalidate>
<h2 id="form-title">Add camera</h2>
<label for="f-name">Name</label>
<input type="text" id="f-name" name="name" maxlength="200" required placeholder="Front door">
${fieldError('name')}
<label for="f-url">RTSP URL</label>
<input type="text" id="f-url" name="url" maxlength="2048" required spellcheck="false" autocomplete="off" placeholder="rtsp://192.168.1.20:554/stream1">
<p class="hint" id="url-hint" hidden>Secrets in the URL show as ***: leave them as they are to keep them.</p>
${fieldError('url')}
<div class="pair">
<div><label for="f-username">User name</label>
<input type="text" id="f-username" name="username" maxlength="256" spellcheck="false" autocomplete="off">
${fieldError('username')}</div>
<div><label for="f-password">Password</label>
<input type="password" id="f-password" name="password" maxlength="256" autocomplete="new-password">
${fieldError('password')}</div>
</div>
<p class="hint" id="password-hint" hidden>Leave the password empty to keep the stored one.</p>
<label for="f-transport">Transport</label>
<select id="f-transport" name="transport">
<option value="auto">Auto (TCP, then UDP)</option>
<option value="tcp">TCP (interleaved)</option>
<option value="udp">UDP</option>
</select>
${fieldError('transport')}
<label for="f-audio">Audio</label>
<select id="f-audio" name="audio">
<option value="auto">Auto (when the browser can play it)</option>
<option value="off">Off</option>
</select>
${fieldError('audio')}
<label for="f-playback">Playback</label>
<select id="f-playback" name="playback">
<option value="public">Public: anyone who can reach the gateway</option>
<option value="signed">Signed: only with a playback token</option>
</select>
<p class="hint">Signed: web pages embed the camera with tokens their server mints (see the embed snippet); this dashboard mints its own.</p>
${fieldError('playback')}
<label class="check"><input type="checkbox" name="onDemand"> On demand: pull the camera only while someone watches</label>
${fieldError('onDemand')}
<label class="check"><input type="checkbox" name="enabled" checked> Enabled</label>
${fieldError('enabled')}
<label class="check" id="duplicate-row" hidden><input type="checkbox" name="allowDuplicateSource"> Add it anyway: a second connection to the same camera stream</label>
<p class="probe-result" id="probe-result" role="status" hidden></p>
<p class="form-error" id="form-error" role="alert"></p>
<div class="dialog-actions">
<button type="button" id="probe">Test connection</button>
<button type="button" id="cancel">Cancel</button>
<button type="submit" class="primary">Save</button>
</div>
</form>
</dialog>
<template id="tile-template">
<article class="tile">
<div class="screen"><video muted playsinline autoplay></video><div class="overlay"><span class="overlay-text">Connecting…</span></div></div>
<div class="info">
<div class="title-row"><h2 class="name"></h2><span class="badge"></span></div>
<p class="meta"></p>
<p class="error" hidden></p>
<ul class="notes" hidden></ul>
<div class="actions">
<button type="button" class="edit">Edit</button>
<button type="button" class="delete danger">Delete</button>
<a class="open" target="_blank" rel="noopener">Open player</a>
</div>
<details class="embed"><summary>Embed on a web page</summary>
<textarea class="snippet" rows="3" readonly spellcheck="false"></textarea>
<button type="button" class="copy">Copy</button>
<div class="signing" hidden>
<p class="hint signing-text"></p>
<p class="hint">Node:</p>
<pre class="signing-node"></pre>
<p class="hint">Python:</p>
<pre class="signing-python"></pre>
</div>
</details>
</div>
</article>
</template>
<script type="application/json" id="config">${jsonForScript(config)}</script>
<script src="assets/hls.min.js"></script>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * `GET /`: the dashboard, one self-contained page (inline CSS and JS, hls.js from /assets): the
 * cameras as live tiles with their states, add/edit/delete through `/v1/cameras`, embed snippets.
 */
export function registerDashboard(
  app: FastifyInstance,
  options: { cameras: CameraManager | undefined; keyed?: boolean },
): void {
  const html = dashboardPage({
    version: VERSION,
    api: options.cameras !== undefined,
    keyed: options.keyed === true,
    pollMs: POLL_MS,
  });
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 200, DASHBOARD_CSP, html));
}
