/**
 * Browser-side (not type-checked): `camgatePlayer(video, src, { autoplay, onState, token })` plays
 * an LL-HLS stream with hls.js (lowLatencyMode), or natively where MSE is missing (iOS Safari), and
 * reconnects by itself: a fatal hls.js error, a native `error`/`stalled`, or 10 s without progress
 * while playing tears the player down and starts it again after 1 s, 2 s, 4 s... up to 30 s. Not
 * playing 10 s after the start, or a playlist error before the first frame, reports `down` too.
 * `options.lowLatency` (default true): false plays the same stream as standard HLS (whole
 * segments, no blocking requests). `onState` hears `connecting`, `playing`, `ready` (loaded, not
 * autoplaying), `blocked` (the browser refused to autoplay), `down` (reconnecting), `expired` and
 * `unsupported`.
 *
 * Signed playback: `options.token` is `{ current, expiresAt }`, the token that `src` carries as its
 * `/t/<token>/` segment and when it expires (ms, this browser's clock). The caller may replace
 * `current` at any time (a renewed token): hls.js's next request carries it, with no reload (its
 * xhrSetup opens each request with the new token; hls.js opens the request itself only when
 * xhrSetup did not, hls.js 1.7 xhr-loader.ts). Going down once the token has expired reports
 * `expired` instead of `down` and stops retrying (a refused token is not a camera that is down)
 * until `renew()` is called with a new token in place. Returns `{ renew(), destroy() }`.
 *
 * Also defines `camgateWithToken(url, token)` (the URL with its token segment replaced) and
 * `camgateTokenExpiry(token)` (a JWT's `exp` in ms, unverified: only to know when to say
 * `expired`; NaN when unreadable).
 */
export const PLAYER_SCRIPT = String.raw`
// The token segment of a stream URL: the one right before the file name (a camera id may be "t").
var CAMGATE_TOKEN_SEGMENT = /\/t\/[A-Za-z0-9_.-]+\/(?=[^\/?#]*(?:[?#]|$))/;
function camgateWithToken(url, token) {
  return url.replace(CAMGATE_TOKEN_SEGMENT, function () { return '/t/' + token + '/'; });
}
function camgateTokenExpiry(token) {
  try {
    var payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : NaN;
  } catch (e) {
    return NaN;
  }
}
function camgatePlayer(video, src, options) {
  var FIRST_DELAY_MS = 1000, MAX_DELAY_MS = 30000, STALL_MS = 10000, CONNECT_MS = 10000;
  var hls = null, timer = 0, delay = FIRST_DELAY_MS, stopped = false, current = '', waiting = false;
  var connectTimer = 0;
  var lastTime = -1, lastProgress = Date.now();
  var token = options.token || null;
  var useHlsJs = typeof Hls !== 'undefined' && Hls.isSupported();
  var useNative = !useHlsJs && video.canPlayType('application/vnd.apple.mpegurl') !== '';
  function state(next) {
    if (next === current) return;
    current = next;
    options.onState(next);
  }
  function expired() {
    return !!token && Date.now() >= token.expiresAt;
  }
  /** Down: 'down', or 'expired' (torn down, waiting for renew()) once the token has expired. */
  function down() {
    if (!expired()) {
      state('down');
      return false;
    }
    teardown();
    waiting = true;
    state('expired');
    return true;
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
    if (stopped || timer || waiting) return;
    teardown();
    if (down()) return;
    timer = setTimeout(function () {
      timer = 0;
      start();
    }, delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
  function swapToken(xhr, url) {
    var next = camgateWithToken(url, token.current);
    if (next !== url) xhr.open('GET', next, true);
  }
  function start() {
    if (stopped) return;
    lastProgress = Date.now();
    var source = token ? camgateWithToken(src, token.current) : src;
    if (useHlsJs) {
      var config = { lowLatencyMode: options.lowLatency !== false };
      if (token) config.xhrSetup = swapToken;
      hls = new Hls(config);
      hls.on(Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) retry();
        // hls.js retries a playlist that answers 404/503 by itself: already say the camera is down.
        else if (current !== 'playing' && data.type === Hls.ErrorTypes.NETWORK_ERROR) down();
      });
      hls.on(Hls.Events.MANIFEST_PARSED, play);
      hls.loadSource(source);
      hls.attachMedia(video);
    } else if (useNative) {
      // Safari's player cannot change a URL: a renewed token is taken up when it reconnects.
      video.src = source;
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
    if (stopped || timer || waiting || video.paused || current !== 'playing') return;
    if (Date.now() - lastProgress > STALL_MS) retry();
  }, 2000);
  // The gateway holds a playlist request up to 10 s for a stream that has not started, and hls.js
  // asks again before it gives up: say the camera is down well before that.
  function connecting() {
    state('connecting');
    clearTimeout(connectTimer);
    connectTimer = setTimeout(function () {
      if (current === 'connecting') down();
    }, CONNECT_MS);
  }
  connecting();
  start();
  return {
    renew: function () {
      if (stopped || !waiting) return;
      waiting = false;
      delay = FIRST_DELAY_MS;
      connecting();
      start();
    },
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
