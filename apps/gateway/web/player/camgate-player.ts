import type HlsClass from 'hls.js';
import type {
  ErrorData,
  HlsConfig,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderContext,
  PlaylistLoaderConstructor,
} from 'hls.js';
import {
  chooseVariant,
  codecSpellings,
  isVideoCodec,
  parseVariants,
  restrictPlaylist,
  undecodableMessage,
  videoOnlyMessage,
  type CodecCheck,
  type VariantChoice,
} from '../shared/codecs.js';
import { sameStream, tokenExpiry, tokenOf, withToken } from '../shared/stream-url.js';
import { hlsSettings } from './hls-settings.js';
import { PLAYER_STYLE } from './player-style.js';

/**
 * `<camgate-player>`: a camera's live stream (LL-HLS) in any page, with one module script
 * (docs/architecture.md "Front-end", decision 4 of issue 13):
 *
 *   <script type="module" src="https://gateway/assets/web/camgate-player.js"></script>
 *   <camgate-player src="https://gateway/live/door/index.m3u8" autoplay muted controls></camgate-player>
 *
 * It plays with hls.js (lowLatencyMode; loaded from the gateway, next to this file) where the
 * browser has Media Source Extensions, natively where it has not (iOS Safari), and says what is
 * going on in words over the video. Before it loads a stream it reads the multivariant
 * playlist's CODECS and asks the browser about those exact strings: a camera whose video this
 * browser cannot decode (H.265 in most browsers) is `undecodable`, not "offline"; audio it
 * cannot decode is left out (video only, and it says so). It reconnects by itself (1 s, 2 s,
 * 4 s... up to 30 s), notices a stream that stops moving, and stops loading while the page is
 * hidden or the element is off-screen, to start again at the live edge.
 *
 * Signed playback: `src` may carry a token (`/live/<id>/t/<token>/index.m3u8`). Setting `src` to
 * the same stream with another token (or calling `renew(src)`) renews it in place: hls.js's next
 * request carries it, with no reload. When the stream is refused after the token expired
 * (`token-expires-at`, ms on this browser's clock, or else the token's own `exp`) the state is
 * `expired` and the player waits for a new token.
 */
export type CamgatePlayerState =
  'connecting' | 'playing' | 'ready' | 'blocked' | 'down' | 'expired' | 'unsupported' | 'undecodable' | 'paused';

/** The `camgate-state` event's detail. */
export interface CamgateStateDetail {
  state: CamgatePlayerState;
  /** The state in words, as the player shows it ('' while playing, unless it plays video only). */
  message: string;
}

/** The first reconnection waits 1 s, each next one twice as long, up to 30 s (old player, kept). */
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
/** Playing but not moving for this long: the stream stalled for good, start again. */
const STALL_MS = 10_000;
/**
 * Not playing this long after the start: say the camera is down. The gateway holds a playlist
 * request up to 10 s for a stream that has not started, and hls.js asks again before it gives up.
 */
const CONNECT_MS = 10_000;
/** How often the stall watchdog looks. */
const WATCHDOG_MS = 2000;
/** The multivariant playlist's answer: the gateway holds it up to 10 s for a starting camera. */
const PLAYLIST_TIMEOUT_MS = 15_000;
/**
 * Holding the live edge (low latency). hls.js starts at the most recent independent part, which
 * may be up to a GOP behind its target latency (PART-HOLD-BACK), and falls behind after a stall;
 * its own catching up (`maxLiveSyncPlaybackRate`) needs more than a second buffered, which a
 * player this close to the edge never has. So the player checks every RESYNC_MS: more than
 * RESYNC_S behind the target, it jumps to the target (a seek within what is buffered); more than
 * CATCH_UP_S behind, it plays at CATCH_UP_RATE (pitch kept) until within IN_SYNC_S.
 */
const RESYNC_MS = 250;
const RESYNC_S = 0.5;
const CATCH_UP_S = 0.1;
const IN_SYNC_S = 0.03;
/** 10% faster: unnoticeable for a camera, and 100 ms made up per second. */
const CATCH_UP_RATE = 1.1;
/** A multivariant playlist is a few hundred bytes; anything this big is not ours. */
const MAX_PLAYLIST_CHARS = 256 * 1024;

const MESSAGES: Record<CamgatePlayerState, string> = {
  connecting: 'Connecting…',
  playing: '',
  ready: 'Press play to watch',
  blocked: 'Press play to watch',
  down: 'Camera offline — reconnecting…',
  expired: 'Access to this camera has expired — reload the page',
  unsupported: 'This browser cannot play HLS video',
  undecodable: 'This browser cannot decode this camera’s video.',
  paused: 'Paused',
};
const HIDDEN_MESSAGE = 'Paused while out of view';

/** hls.js's ES module, next to this file on the gateway (/assets/web/vendor/hls.js). */
const HLS_URL = new URL('../vendor/hls.js', import.meta.url).href;
type Hls = HlsClass;
type HlsModule = typeof HlsClass;
let hlsModule: Promise<HlsModule> | undefined;

/** Loads hls.js once per page (again after a failed load). */
function loadHls(): Promise<HlsModule> {
  if (hlsModule === undefined) {
    const loading = (import(HLS_URL) as Promise<{ default: HlsModule }>).then((module) => module.default);
    loading.catch(() => {
      if (hlsModule === loading) hlsModule = undefined;
    });
    hlsModule = loading;
  }
  return hlsModule;
}

/** MediaSource, or Safari's ManagedMediaSource (iOS 17.1+), or none. */
function mediaSource(): typeof MediaSource | undefined {
  const scope = globalThis as { ManagedMediaSource?: typeof MediaSource; MediaSource?: typeof MediaSource };
  return scope.MediaSource ?? scope.ManagedMediaSource;
}

/**
 * Asks MSE about the exact codec string (and its other spellings: FLAC, Opus), then Media
 * Capabilities (hardware decoders) where present: decodable if any spelling is.
 */
const mseCheck: CodecCheck = async (codec, kind, variant) => {
  for (const spelling of codecSpellings(codec)) if (await mseCheckOne(spelling, kind, variant)) return true;
  return false;
};

const mseCheckOne: CodecCheck = async (codec, kind, variant) => {
  const type = `${kind}/mp4; codecs="${codec}"`;
  if (mediaSource()?.isTypeSupported(type) !== true) return false;
  const capabilities = (navigator as Partial<Navigator>).mediaCapabilities;
  if (capabilities === undefined) return true;
  const config: MediaDecodingConfiguration =
    kind === 'video'
      ? {
          type: 'media-source',
          video: {
            contentType: type,
            width: variant.width ?? 1280,
            height: variant.height ?? 720,
            bitrate: variant.bandwidth ?? 2_000_000,
            framerate: variant.frameRate ?? 25,
          },
        }
      : { type: 'media-source', audio: { contentType: type } };
  try {
    return (await capabilities.decodingInfo(config)).supported;
  } catch {
    // It cannot tell (a configuration it does not know): MSE said yes.
    return true;
  }
};

/** A native HLS player (Safari) says what it plays through canPlayType. */
function nativeCheck(video: HTMLVideoElement): CodecCheck {
  return (codec, kind) =>
    Promise.resolve(codecSpellings(codec).some((c) => video.canPlayType(`${kind}/mp4; codecs="${c}"`) !== ''));
}

/** The codecs of a MIME type's `codecs` parameter (`video/mp4;codecs="hvc1.1.6.L93.B0"`). */
function mimeCodecs(mimeType: string | undefined): string[] {
  const list = /codecs="?([^";]*)"?/i.exec(mimeType ?? '')?.[1] ?? '';
  return list
    .split(',')
    .map((codec) => codec.trim())
    .filter((codec) => codec !== '');
}

/**
 * hls.js's own loader, with the multivariant playlist rewritten by `rewrite`: only the variant
 * this browser decodes, without the audio it cannot decode.
 */
function rewritingLoader(Hls: HlsModule, rewrite: (playlist: string) => string): PlaylistLoaderConstructor {
  const Base = Hls.DefaultConfig.loader;
  class RewritingLoader extends Base {
    override load(context: LoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>) {
      if ((context.type as string) !== 'manifest') {
        super.load(context, config, callbacks);
        return;
      }
      super.load(context, config, {
        ...callbacks,
        onSuccess: (response, stats, loaded, details) => {
          const data = typeof response.data === 'string' ? rewrite(response.data) : response.data;
          callbacks.onSuccess({ ...response, ...(data === undefined ? {} : { data }) }, stats, loaded, details);
        },
      });
    }
  }
  return RewritingLoader as unknown as PlaylistLoaderConstructor;
}

/** The multivariant playlist as read for a stream (token left out), and the variant chosen from it. */
interface Chosen {
  stream: string;
  choice: VariantChoice;
  /** '' for a media playlist (no variants to choose from). */
  playlist: string;
}

export class CamgatePlayer extends HTMLElement {
  static readonly observedAttributes = [
    'src',
    'autoplay',
    'muted',
    'controls',
    'poster',
    'low-latency',
    'token-expires-at',
    'no-overlay',
  ];

  readonly #video: HTMLVideoElement;
  readonly #overlay: HTMLElement;
  readonly #text: HTMLElement;
  readonly #button: HTMLButtonElement;
  readonly #notice: HTMLElement;

  #state: CamgatePlayerState = 'connecting';
  #message = MESSAGES.connecting;
  /** The first state is told too (the initial `connecting`). */
  #told = false;
  /** Said while playing: the audio left out. */
  #videoOnly = '';
  /** Each start's number: an answer to an older start is dropped. */
  #run = 0;
  #hls: Hls | undefined;
  #native = false;
  #retryTimer = 0;
  #syncTimer = 0;
  #connectTimer = 0;
  #watchdog = 0;
  #delay = FIRST_DELAY_MS;
  /** Expired: torn down until a new token comes. */
  #waiting = false;
  /** Unsupported or undecodable: nothing to do until `src` changes. */
  #stopped = false;
  /** pause() (or the video's own pause button): no loading until play(). */
  #userPaused = false;
  /** play() was called: play even without `autoplay`. */
  #userPlayed = false;
  #hidden = false;
  #offscreen = false;
  #observer: IntersectionObserver | undefined;
  /** The stream, resolved against the page, with the current token. */
  #src = '';
  /** The variant chosen for `#src`'s stream (token left out of the key): asked once per stream. */
  #choice: Chosen | undefined;
  /** Cancels the start under way's playlist request (torn down: it holds one of few connections). */
  #abort: AbortController | undefined;
  #lastTime = -1;
  #lastProgress = 0;
  #tearingDown = false;
  /** A start is under way (hls.js loading, the playlist asked). */
  #starting = false;
  /** Between connectedCallback and disconnectedCallback (an upgrade sets attributes before). */
  #connected = false;
  /** The intersection observer's first report is still to come: start on it, not before. */
  #unseen = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(PLAYER_STYLE);
    root.adoptedStyleSheets = [sheet];
    this.#video = document.createElement('video');
    this.#video.part.add('video');
    this.#video.playsInline = true;
    this.#overlay = document.createElement('div');
    this.#overlay.className = 'overlay';
    this.#overlay.part.add('overlay');
    this.#overlay.setAttribute('role', 'status');
    this.#overlay.setAttribute('aria-live', 'polite');
    this.#text = document.createElement('span');
    this.#text.className = 'message';
    this.#button = document.createElement('button');
    this.#button.type = 'button';
    this.#button.textContent = '▶ Play';
    this.#button.hidden = true;
    this.#overlay.append(this.#text, this.#button);
    this.#notice = document.createElement('div');
    this.#notice.className = 'notice';
    this.#notice.part.add('notice');
    this.#notice.hidden = true;
    root.append(this.#video, this.#overlay, this.#notice);
    this.#button.addEventListener('click', () => {
      this.play();
    });
    this.#video.addEventListener('playing', () => {
      this.#delay = FIRST_DELAY_MS;
      this.#lastProgress = Date.now();
      this.#setState('playing');
    });
    this.#video.addEventListener('timeupdate', () => {
      if (this.#video.currentTime !== this.#lastTime) {
        this.#lastTime = this.#video.currentTime;
        this.#lastProgress = Date.now();
      }
    });
    // Not `stalled`: Safari fires it during live HLS as it waits for the next part; a stream that
    // really stops is the progress watchdog's (#checkStall).
    this.#video.addEventListener('error', () => {
      if (this.#native && this.#video.hasAttribute('src')) this.#retry();
    });
    // The video's own pause button: a live stream paused stops loading (its source goes)...
    this.#video.addEventListener('pause', () => {
      if (!this.#tearingDown && this.#state === 'playing' && !this.#hidden && !this.#offscreen) this.pause();
    });
    // ...and its play button starts it again, live (the video has no source by then: play() on
    // it only fires `play`).
    this.#video.addEventListener('play', () => {
      if (this.#userPaused) this.play();
    });
    this.#render();
  }

  /** The player's state (read-only); `camgate-state` events tell each change. */
  get state(): CamgatePlayerState {
    return this.#state;
  }

  /**
   * Paused by the viewer (pause(), or the video's own pause button), not by being out of view:
   * a page drawing its own overlay (`no-overlay`) offers its Play button then.
   */
  get userPaused(): boolean {
    return this.#userPaused;
  }

  /** Plays (also without `autoplay`), or resumes after pause(): at the live edge. */
  play(): void {
    this.#userPlayed = true;
    if (this.#userPaused) {
      this.#userPaused = false;
      this.#resume();
    } else if (this.#session()) {
      this.#playVideo();
    }
  }

  /** Stops playing and loading; play() starts again at the live edge. */
  pause(): void {
    if (this.#userPaused) return;
    this.#userPaused = true;
    this.#suspend(MESSAGES.paused);
  }

  /** Renews the token in place: `src` is the same stream with a new token (another stream loads anew). */
  renew(src: string): void {
    this.setAttribute('src', src);
  }

  connectedCallback(): void {
    this.#connected = true;
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#hidden = document.visibilityState === 'hidden';
    this.#watchdog = window.setInterval(this.#checkStall, WATCHDOG_MS);
    if (typeof IntersectionObserver === 'function') {
      // Its first report comes at once: start then, not before (no start and stop off-screen).
      this.#unseen = true;
      this.#observer = new IntersectionObserver((entries) => {
        const entry = entries[entries.length - 1];
        if (entry === undefined) return;
        if (this.#unseen) {
          this.#unseen = false;
          this.#offscreen = !entry.isIntersecting;
          // Off-screen from the start: stop what an upgrade with a `src` may have started.
          if (this.#offscreen) this.#suspend(HIDDEN_MESSAGE);
          else this.#resume();
        } else {
          this.#setVisibility(this.#hidden, !entry.isIntersecting);
        }
      });
      this.#observer.observe(this);
    }
    this.#applyAttributes();
    this.#render();
    this.#resume();
  }

  disconnectedCallback(): void {
    this.#connected = false;
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#observer?.disconnect();
    this.#observer = undefined;
    clearInterval(this.#watchdog);
    this.#halt();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value) return;
    switch (name) {
      case 'src':
        this.#onSrc(value);
        break;
      case 'low-latency':
        if (this.#connected) this.#reload();
        break;
      case 'no-overlay':
        this.#render();
        break;
      default:
        this.#applyAttributes();
    }
  }

  #applyAttributes(): void {
    const video = this.#video;
    video.muted = this.hasAttribute('muted');
    video.defaultMuted = video.muted;
    video.controls = this.hasAttribute('controls');
    const poster = this.getAttribute('poster');
    if (poster === null) video.removeAttribute('poster');
    else video.poster = poster;
  }

  #onSrc(value: string | null): void {
    const next = value === null || value === '' ? '' : new URL(value, document.baseURI).href;
    const token = tokenOf(next);
    if (this.#src !== '' && next !== '' && token !== undefined && sameStream(this.#src, next)) {
      // The same stream with a new token: hls.js's next request carries it (xhrSetup reads #src).
      this.#src = next;
      if (this.#waiting && !this.#expired()) {
        this.#waiting = false;
        this.#delay = FIRST_DELAY_MS;
        this.#resume();
      }
      return;
    }
    this.#src = next;
    this.#choice = undefined;
    if (this.#connected) this.#reload();
  }

  /** Starts anew (another stream, another mode). */
  #reload(): void {
    this.#halt();
    this.#stopped = false;
    this.#waiting = false;
    this.#delay = FIRST_DELAY_MS;
    this.#resume();
  }

  /** Starts when it should run: connected, a source, not paused, visible. */
  #resume(): void {
    if (!this.#connected || this.#unseen || this.#src === '' || this.#stopped || this.#waiting || this.#session())
      return;
    if (this.#userPaused || this.#hidden || this.#offscreen) {
      this.#setState('paused', this.#userPaused ? MESSAGES.paused : HIDDEN_MESSAGE);
      return;
    }
    this.#setState('connecting');
    clearTimeout(this.#connectTimer);
    this.#connectTimer = window.setTimeout(() => {
      if (this.#state === 'connecting') this.#down();
    }, CONNECT_MS);
    void this.#start();
  }

  /** Stops loading (paused, hidden, off-screen); an expired or undecodable state stays. */
  #suspend(message: string): void {
    this.#halt();
    this.#delay = FIRST_DELAY_MS;
    if (!this.#stopped && !this.#waiting) this.#setState('paused', message);
  }

  #setVisibility(hidden: boolean, offscreen: boolean): void {
    const was = this.#hidden || this.#offscreen;
    this.#hidden = hidden;
    this.#offscreen = offscreen;
    const now = hidden || offscreen;
    if (now && !was) this.#suspend(HIDDEN_MESSAGE);
    else if (!now && (was || !this.#session())) this.#resume();
  }

  readonly #onVisibility = (): void => {
    this.#setVisibility(document.visibilityState === 'hidden', this.#offscreen);
  };

  readonly #checkStall = (): void => {
    if (this.#retryTimer !== 0 || this.#waiting || this.#video.paused || this.#state !== 'playing') return;
    if (Date.now() - this.#lastProgress > STALL_MS) this.#retry();
  };

  /** Whether a player is running or about to (a start under way, a reconnection planned). */
  #session(): boolean {
    return this.#hls !== undefined || this.#native || this.#retryTimer !== 0 || this.#starting;
  }

  async #start(): Promise<void> {
    const run = ++this.#run;
    this.#starting = true;
    this.#lastProgress = Date.now();
    // Its own abort, with the timeout on the same controller (AbortSignal.any is too new for
    // Safari before 17.4): torn down, the playlist request goes at once.
    const abort = new AbortController();
    this.#abort = abort;
    const timeout = window.setTimeout(() => {
      abort.abort(new DOMException('the playlist did not answer', 'TimeoutError'));
    }, PLAYLIST_TIMEOUT_MS);
    try {
      // hls.js where there is MSE (it says so itself: Hls.isSupported), else the native player.
      const mse = mediaSource() !== undefined;
      if (!mse && this.#video.canPlayType('application/vnd.apple.mpegurl') === '') {
        this.#stopped = true;
        this.#setState('unsupported');
        return;
      }
      // hls.js loads while the playlist is read.
      const [Hls, chosen] = await Promise.all([
        mse ? loadHls() : undefined,
        this.#chooseVariant(mse ? mseCheck : nativeCheck(this.#video), run, abort.signal),
      ]);
      if (run !== this.#run) return;
      const useHlsJs = Hls?.isSupported() === true;
      if (!useHlsJs && this.#video.canPlayType('application/vnd.apple.mpegurl') === '') {
        this.#stopped = true;
        this.#setState('unsupported');
        return;
      }
      const { choice, playlist } = chosen;
      if (playlist !== '' && choice.variant === undefined) {
        this.#undecodable(undecodableMessage(choice.undecodable, choice.undecodableAudio));
        return;
      }
      this.#videoOnly = choice.droppedAudio.length > 0 ? videoOnlyMessage(choice.droppedAudio) : '';
      if (Hls !== undefined && useHlsJs) this.#startHlsJs(Hls, chosen);
      else this.#startNative();
    } catch {
      if (run === this.#run) this.#retry();
    } finally {
      clearTimeout(timeout);
      if (this.#abort === abort) this.#abort = undefined;
      if (run === this.#run) this.#starting = false;
    }
  }

  /** Nothing this browser can decode: stopped, in words, until `src` changes. */
  #undecodable(message: string): void {
    this.#stopped = true;
    this.#halt();
    this.#setState('undecodable', message);
  }

  /**
   * Reads the multivariant playlist once per stream (a token change does not ask again); kept
   * only for the start that is still current (`run`): a late answer for an older `src` is not.
   */
  async #chooseVariant(check: CodecCheck, run: number, signal: AbortSignal): Promise<Chosen> {
    const stream = withToken(this.#src, '-');
    if (this.#choice?.stream === stream) return this.#choice;
    const response = await fetch(this.#src, { cache: 'no-store', credentials: 'same-origin', signal });
    if (!response.ok) throw new Error(`the playlist answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_PLAYLIST_CHARS || !text.startsWith('#EXTM3U')) throw new Error('not a playlist');
    const variants = parseVariants(text);
    // A media playlist (no variants): nothing to choose, the player finds out by playing.
    const found: Chosen =
      variants.length === 0
        ? {
            stream,
            playlist: '',
            choice: { variant: undefined, audio: [], droppedAudio: [], undecodable: [], undecodableAudio: [] },
          }
        : { stream, playlist: text, choice: await chooseVariant(variants, check) };
    if (run === this.#run) this.#choice = found;
    return found;
  }

  #startHlsJs(Hls: HlsModule, { choice, playlist }: Chosen): void {
    const config: Partial<HlsConfig> = hlsSettings(this.getAttribute('low-latency') !== 'false');
    if (tokenOf(this.#src) !== undefined) {
      // hls.js opens the request itself only when xhrSetup did not (hls.js 1.7 xhr-loader.ts).
      config.xhrSetup = (xhr, url) => {
        const token = tokenOf(this.#src);
        const next = token === undefined ? url : withToken(url, token);
        if (next !== url) xhr.open('GET', next, true);
      };
    }
    const variant = choice.variant;
    if (variant !== undefined && playlist !== '') {
      const variants = parseVariants(playlist).length;
      const keepAudio = choice.droppedAudio.length === 0;
      if (variants > 1 || !keepAudio)
        config.pLoader = rewritingLoader(Hls, (text) => restrictPlaylist(text, variant, keepAudio));
    }
    if (mediaSource() !== globalThis.MediaSource) this.#video.disableRemotePlayback = true;
    const hls = new Hls(config);
    this.#hls = hls;
    // hls.js found out itself that this browser cannot decode it (a stream without CODECS, a
    // browser that said yes and then refused the init segment): no use reconnecting.
    const codecErrors = new Set<string>([
      Hls.ErrorDetails.MANIFEST_INCOMPATIBLE_CODECS_ERROR,
      Hls.ErrorDetails.BUFFER_ADD_CODEC_ERROR,
      Hls.ErrorDetails.BUFFER_INCOMPATIBLE_CODECS_ERROR,
    ]);
    hls.on(Hls.Events.ERROR, (_event, data: ErrorData) => {
      if (this.#hls !== hls) return;
      if (data.fatal && codecErrors.has(data.details)) {
        // The codecs it refused (the MIME type it tried), else the variant's as played.
        const codecs =
          data.mimeType === undefined
            ? [...(variant?.codecs.filter(isVideoCodec) ?? []), ...choice.audio]
            : mimeCodecs(data.mimeType);
        const audio = codecs.filter((codec) => !isVideoCodec(codec));
        this.#undecodable(undecodableMessage(codecs.filter(isVideoCodec), audio));
      } else if (data.fatal) {
        this.#retry();
      } else if (this.#state === 'connecting' && data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // hls.js retries a playlist that answers 404/503 by itself: already say the camera is down
        // (only while connecting: a hiccup of a stream that plays, or waits for play, is not that).
        this.#down();
      }
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      this.#autoplay();
    });
    if (hls.config.lowLatencyMode) {
      clearInterval(this.#syncTimer);
      this.#syncTimer = window.setInterval(() => {
        this.#resync(hls);
      }, RESYNC_MS);
    }
    hls.loadSource(this.#src);
    hls.attachMedia(this.#video);
  }

  /** Back to the live edge (hls.js's target) when behind it: see RESYNC_S. */
  #resync(hls: Hls): void {
    const video = this.#video;
    const target = hls.liveSyncPosition;
    const targetLatency = hls.targetLatency;
    if (this.#hls !== hls || video.paused || video.seeking || target === null || targetLatency === null) return;
    const behind = hls.latency - targetLatency;
    if (!Number.isFinite(behind)) return;
    const { buffered } = video;
    const end = buffered.length === 0 ? 0 : buffered.end(buffered.length - 1);
    // Only within what is buffered: a seek past it would wait for data (a stall of its own).
    if (behind > RESYNC_S && target > video.currentTime && end > target + CATCH_UP_S) {
      video.currentTime = target;
      video.playbackRate = 1;
      return;
    }
    const catchingUp = video.playbackRate > 1;
    video.playbackRate = behind > (catchingUp ? IN_SYNC_S : CATCH_UP_S) ? CATCH_UP_RATE : 1;
  }

  #startNative(): void {
    // Safari's player cannot change a URL: a renewed token is taken up when it reconnects.
    this.#native = true;
    this.#video.src = this.#src;
    this.#autoplay();
  }

  #autoplay(): void {
    if (!this.hasAttribute('autoplay') && !this.#userPlayed) {
      if (this.#state !== 'playing') this.#setState('ready');
      return;
    }
    this.#playVideo();
  }

  #playVideo(): void {
    const run = this.#run;
    this.#video.play().catch((err: unknown) => {
      if (run === this.#run && err instanceof DOMException && err.name === 'NotAllowedError') this.#setState('blocked');
    });
  }

  #expired(): boolean {
    const token = tokenOf(this.#src);
    if (token === undefined) return false;
    const attribute = this.getAttribute('token-expires-at');
    const expiresAt = attribute === null || attribute === '' ? tokenExpiry(token) : Number(attribute);
    return Date.now() >= expiresAt;
  }

  /** Down: `down`, or `expired` (torn down, waiting for a new token) once the token has expired. */
  #down(): boolean {
    if (!this.#expired()) {
      this.#setState('down');
      return false;
    }
    this.#halt();
    this.#waiting = true;
    this.#setState('expired');
    return true;
  }

  #retry(): void {
    if (this.#retryTimer !== 0 || this.#waiting || this.#stopped) return;
    this.#teardown();
    if (this.#down()) return;
    this.#retryTimer = window.setTimeout(() => {
      this.#retryTimer = 0;
      void this.#start();
    }, this.#delay);
    this.#delay = Math.min(this.#delay * 2, MAX_DELAY_MS);
  }

  /** Stops the player and every timer but the watchdog. */
  #halt(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = 0;
    clearTimeout(this.#connectTimer);
    this.#teardown();
  }

  #teardown(): void {
    this.#run++;
    this.#starting = false;
    this.#abort?.abort();
    this.#abort = undefined;
    this.#tearingDown = true;
    clearInterval(this.#syncTimer);
    this.#video.playbackRate = 1;
    try {
      this.#hls?.destroy();
      this.#hls = undefined;
      if (this.#video.hasAttribute('src')) {
        this.#video.removeAttribute('src');
        this.#video.load();
      }
      this.#native = false;
    } finally {
      this.#tearingDown = false;
    }
  }

  #setState(state: CamgatePlayerState, message = MESSAGES[state]): void {
    const said = state === 'playing' ? this.#videoOnly : message;
    if (this.#told && state === this.#state && said === this.#message) return;
    this.#told = true;
    this.#state = state;
    this.#message = said;
    this.#render();
    const detail: CamgateStateDetail = { state, message: said };
    this.dispatchEvent(new CustomEvent('camgate-state', { detail, bubbles: true, composed: true }));
  }

  #render(): void {
    const state = this.#state;
    const overlay = state !== 'playing' && !(state === 'ready' && this.hasAttribute('controls'));
    this.#overlay.hidden = !overlay || this.hasAttribute('no-overlay');
    this.#text.textContent = state === 'ready' ? '' : this.#message;
    this.#button.hidden = state !== 'blocked' && state !== 'ready' && !(state === 'paused' && this.#userPaused);
    this.#notice.hidden = state !== 'playing' || this.#videoOnly === '' || this.hasAttribute('no-overlay');
    this.#notice.textContent = this.#videoOnly;
    // For pages' CSS (`camgate-player[data-state="down"]`); not in the constructor (no attributes there).
    if (this.isConnected) this.dataset['state'] = state;
  }
}

/** For TypeScript pages: `document.querySelector('camgate-player')` is one. */
declare global {
  interface HTMLElementTagNameMap {
    'camgate-player': CamgatePlayer;
  }
  interface HTMLElementEventMap {
    'camgate-state': CustomEvent<CamgateStateDetail>;
  }
}

if (customElements.get('camgate-player') === undefined) customElements.define('camgate-player', CamgatePlayer);
