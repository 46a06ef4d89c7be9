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
