// One camera's tile: its picture (a <camgate-player>, a refreshing still, or nothing), its state,
// per-track status, links and actions. Every element is built with textContent/setAttribute:
// nothing a camera or a user supplies is ever parsed as HTML (S11).
import type { CamgatePlayer } from '../player/camgate-player.js';
import type { ApiClient, Camera, CameraState, SnapshotProblem } from './api.js';
import { RecordingsPanel } from './recordings.js';
import {
  errorText,
  metaText,
  PLAYER_TEXT,
  trackLines,
  transcodeText,
  unavailable,
  unavailableText,
} from './status-text.js';

export const STATES: readonly CameraState[] = ['streaming', 'connecting', 'retrying', 'failed', 'disabled', 'idle'];

/**
 * Signed cameras' tiles play with tokens minted through the API (POST .../playback-tokens, the API
 * key as for any request): 10 minutes, renewed at 80% of their life while the tile plays. The
 * player takes a renewed token in place (its `src` set to the same stream with the new token).
 */
const TOKEN_TTL_S = 600;
const RENEW_AT = 0.8;
/** A mint that failed (the gateway restarting, a network blip) is tried again after 10 s. */
const TOKEN_RETRY_MS = 10_000;
/** "Open player" of a signed camera: an hour, long enough for someone watching a while. */
const EMBED_TOKEN_TTL_S = 3600;

/** What a tile shows: a player, a still (click to play), or nothing (the camera cannot stream). */
export type TileMode = 'player' | 'still' | 'none';

/** What a tile needs from the page. */
export interface TileContext {
  api: ApiClient;
  template: HTMLTemplateElement;
  openForm(camera: Camera): void;
  removeCamera(tile: Tile): void;
  showNotice(text: string): void;
  /** The still was clicked: the wall makes room for this tile to play. */
  requestPlay(tile: Tile): void;
}

interface Token {
  value: string;
  /** This browser's clock, ms. */
  expiresAt: number;
  renewAt: number;
}

function part(root: ParentNode, selector: string): HTMLElement;
function part<T extends HTMLElement>(root: ParentNode, selector: string, type: new () => T): T;
function part(root: ParentNode, selector: string, type: new () => HTMLElement = HTMLElement): HTMLElement {
  const node = root.querySelector(selector);
  if (!(node instanceof type)) throw new Error(`the tile template has no ${selector}`);
  return node;
}

function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Every URL of the page is relative, so it works under a reverse proxy's path prefix. */
function livePath(id: string, file: string, token: string | null): string {
  return `live/${encodeURIComponent(id)}/${token === null ? '' : `t/${token}/`}${file}`;
}

export class Tile {
  readonly id: string;
  readonly node: HTMLElement;
  camera: Camera;
  /** The badge's state (an unknown one shows as idle). */
  state: CameraState = 'idle';
  #mode: TileMode = 'none';
  readonly #ctx: TileContext;
  readonly #screen: HTMLElement;
  readonly #overlay: HTMLElement;
  readonly #overlayText: HTMLElement;
  readonly #playButton: HTMLButtonElement;
  #player: CamgatePlayer | null = null;
  #playerState: CamgatePlayer['state'] = 'connecting';
  #playerMessage = '';
  /** The settings the player started with (see #playerKey): a change starts it again. */
  #playerKey = '';
  #token: Token | null = null;
  #minting = false;
  #tokenFailed = false;
  #renewTimer = 0;
  #still: HTMLImageElement | null = null;
  /** The latest still (a data: URL), '' before the first. */
  #stillUrl = '';
  #stillProblem: SnapshotProblem | null = null;
  #removed = false;
  readonly #recordings: RecordingsPanel;

  constructor(camera: Camera, ctx: TileContext) {
    this.id = camera.id;
    this.camera = camera;
    this.#ctx = ctx;
    const node = ctx.template.content.firstElementChild?.cloneNode(true);
    if (!(node instanceof HTMLElement)) throw new Error('the tile template is empty');
    this.node = node;
    node.setAttribute('data-id', camera.id);
    this.#screen = part(node, '.screen');
    this.#overlay = part(node, '.overlay');
    this.#overlayText = part(node, '.overlay-text');
    this.#playButton = part(node, '.play', HTMLButtonElement);
    this.#playButton.addEventListener('click', () => {
      // Autoplay refused (a browser's policy): a click is the gesture it waits for.
      if (this.#player !== null) this.#player.play();
      else ctx.requestPlay(this);
    });
    this.#screen.addEventListener('click', (event) => {
      if (this.#mode === 'still' && event.target !== this.#playButton) ctx.requestPlay(this);
    });
    part(node, '.open').addEventListener('click', (event) => {
      if (this.camera.playback === 'signed') this.#openSigned(event);
    });
    part(node, '.edit').addEventListener('click', () => {
      ctx.openForm(this.camera);
    });
    part(node, '.delete').addEventListener('click', () => {
      ctx.removeCamera(this);
    });
    this.#recordings = new RecordingsPanel(part(node, '.recordings', HTMLDetailsElement), ctx.api, camera);
    const copy = part(node, '.copy', HTMLButtonElement);
    copy.addEventListener('click', () => {
      copyText(part(node, '.snippet', HTMLTextAreaElement), copy);
    });
  }

  static #keyOf(camera: Camera): string {
    return `${camera.playback} ${camera.transcode ?? 'off'}`;
  }

  get mode(): TileMode {
    return this.#mode;
  }

  /** A tile with audio plays two playlists (video and audio), each holding a request open in LL-HLS. */
  get playlists(): number {
    if (this.camera.audio === 'off') return 1;
    const tracks = this.camera.status?.tracks ?? [];
    return tracks.some((t) => t.kind === 'audio' && t.browsers !== 'none' && t.delivered !== null) ? 2 : 1;
  }

  get unavailable(): boolean {
    return unavailable(this.camera);
  }

  update(camera: Camera): void {
    this.camera = camera;
    const node = this.node;
    const status = camera.status ?? { state: 'idle' };
    const state = STATES.includes(status.state) ? status.state : 'idle';
    this.state = state;
    setText(part(node, '.name'), camera.name);
    this.#screen.setAttribute('aria-label', camera.name);
    const badge = part(node, '.badge');
    setText(badge, state);
    badge.setAttribute('data-state', state);
    setText(part(node, '.meta'), metaText(camera));

    const error = part(node, '.error');
    const message = errorText(status, Date.now());
    setText(error, message);
    error.hidden = message === '' || state === 'streaming';

    this.#renderTracks();
    this.#recordings.update(camera);

    const links = camera.links ?? {};
    part(node, '.open').setAttribute('href', `embed/${encodeURIComponent(camera.id)}`);
    const snippet = part(node, '.snippet', HTMLTextAreaElement);
    // The gateway builds it absolute (CAMGATE_PUBLIC_URL): it is pasted on other sites. A signed
    // camera's is a template: the site's backend puts a token it mints in place of {token}.
    const text = typeof links.snippet === 'string' ? links.snippet : '';
    if (snippet.value !== text) snippet.value = text;
    const signing = links.tokenRequired === true && links.signing !== undefined ? links.signing : null;
    part(node, '.signing').hidden = signing === null;
    if (signing !== null) {
      setText(
        part(node, '.signing-text'),
        'Signed camera: your site’s backend mints a playback token for each page view and puts it in place of {token}. ' +
          (signing.explanation ?? ''),
      );
      setText(part(node, '.signing-node'), signing.node ?? '');
      setText(part(node, '.signing-python'), signing.python ?? '');
    }

    // Switched between public and signed, or transcoding turned on or off: the player starts again
    // (with the right URLs; with the variants the stream has now, which it reads once per start).
    if (this.#player !== null && this.#playerKey !== Tile.#keyOf(camera)) {
      this.#stopPlayer();
      if (this.#mode === 'player') this.#startPlayer();
    }
    this.#showOverlay();
  }

  /** Per-track status (decision 1 of issue 13), and the H.264 transcoding's when it has one. */
  #renderTracks(): void {
    const list = part(this.node, '.tracks');
    const items: HTMLLIElement[] = [];
    for (const track of this.camera.status?.tracks ?? []) {
      const { line, why } = trackLines(track);
      const item = document.createElement('li');
      item.setAttribute('data-browsers', track.browsers ?? '');
      item.append(line);
      if (why !== '') {
        const detail = document.createElement('span');
        detail.className = 'why';
        detail.textContent = why;
        item.append(detail);
      }
      items.push(item);
    }
    const transcode = this.camera.status?.transcode;
    if (transcode !== undefined && transcode !== null) {
      const item = document.createElement('li');
      item.className = 'transcode';
      item.setAttribute('data-state', transcode.state);
      item.textContent = transcodeText(transcode);
      items.push(item);
    }
    // Rebuilt only when the words changed: a poll must not close a selection someone is making.
    const key = items.map((item) => `${item.getAttribute('data-browsers') ?? ''}|${item.textContent}`).join('\n');
    if (list.getAttribute('data-key') !== key) {
      list.setAttribute('data-key', key);
      list.replaceChildren(...items);
    }
    list.hidden = items.length === 0;
  }

  /** Switches to a player, a still, or nothing (the wall decides; see wall.ts). */
  setMode(mode: TileMode): void {
    if (this.#removed) return;
    const before = this.#mode;
    this.#mode = mode;
    this.#screen.setAttribute('data-mode', mode);
    if (mode !== 'player' && before === 'player') this.#stopPlayer();
    if (mode === 'player' && this.#player === null) this.#startPlayer();
    if (mode === 'still') this.#showStillElement();
    else this.#removeStillElement();
    this.#showOverlay();
  }

  // ------------------------------------------------------------ player

  #startPlayer(): void {
    if (this.camera.playback !== 'signed') {
      this.#createPlayer(null);
      return;
    }
    // A token with most of its life left is used again (a tile scrolled back into view).
    if (this.#token !== null && Date.now() < this.#token.renewAt) {
      this.#createPlayer(this.#token);
      return;
    }
    void this.#renewToken();
  }

  #createPlayer(token: Token | null): void {
    const player = document.createElement('camgate-player');
    // Tiles are muted (a wall of sound is noise), start by themselves, and have no controls:
    // "Open player" is for watching one camera.
    player.setAttribute('muted', '');
    player.setAttribute('autoplay', '');
    player.setAttribute('src', livePath(this.id, 'index.m3u8', token?.value ?? null));
    if (token !== null) player.setAttribute('token-expires-at', String(token.expiresAt));
    if (this.#stillUrl !== '') player.setAttribute('poster', this.#stillUrl);
    // The tile says what the player says (its events), with the camera's side of the story.
    player.setAttribute('no-overlay', '');
    player.setAttribute('aria-label', this.camera.name);
    player.addEventListener('camgate-state', (event) => {
      if (player !== this.#player) return;
      this.#playerState = event.detail.state;
      this.#playerMessage = event.detail.message;
      this.#showOverlay();
      // Expired (the tab slept past the renewal): a new token, and the player starts again.
      if (this.#playerState === 'expired') void this.#renewToken();
    });
    this.#player = player;
    this.#playerState = 'connecting';
    this.#playerMessage = '';
    this.#playerKey = Tile.#keyOf(this.camera);
    this.#screen.prepend(player);
    if (token !== null) this.#scheduleRenewal(token);
  }

  #stopPlayer(): void {
    window.clearTimeout(this.#renewTimer);
    this.#player?.remove();
    this.#player = null;
    this.#playerState = 'connecting';
    this.#playerMessage = '';
  }

  #scheduleRenewal(token: Token): void {
    window.clearTimeout(this.#renewTimer);
    this.#renewTimer = window.setTimeout(
      () => {
        void this.#renewToken();
      },
      Math.max(0, token.renewAt - Date.now()),
    );
  }

  /** A new token; then the player starts with it, or takes it in place. */
  async #renewToken(): Promise<void> {
    if (this.#minting) return;
    this.#minting = true;
    window.clearTimeout(this.#renewTimer);
    // On this browser's clock: the gateway minted the token after this.
    const asked = Date.now();
    const minted = await this.#ctx.api.mintToken(this.id, TOKEN_TTL_S).catch(() => null);
    this.#minting = false;
    if (this.#removed || this.#mode !== 'player') return;
    if (minted === null || !('token' in minted)) {
      this.#tokenFailed = true;
      this.#renewTimer = window.setTimeout(() => {
        void this.#renewToken();
      }, TOKEN_RETRY_MS);
      this.#showOverlay();
      return;
    }
    this.#tokenFailed = false;
    const token: Token = {
      value: minted.token,
      expiresAt: asked + TOKEN_TTL_S * 1000,
      renewAt: asked + TOKEN_TTL_S * RENEW_AT * 1000,
    };
    this.#token = token;
    const player = this.#player;
    if (player === null) {
      this.#createPlayer(token);
      return;
    }
    const src = livePath(this.id, 'index.m3u8', token.value);
    player.setAttribute('token-expires-at', String(token.expiresAt));
    // Expired: the player stopped and waits for renew(); otherwise the same stream with another
    // token is taken in place, without a reload (decision 4 of issue 13).
    if (this.#playerState === 'expired') player.renew(src);
    else player.setAttribute('src', src);
    this.#scheduleRenewal(token);
  }

  /**
   * "Open player" of a signed camera: its embed page with a token of its own, minted on the click
   * (a request of a few milliseconds: the click still counts for popup blockers). The page is
   * opened with noopener: a window opened from this one otherwise gets a copy of its
   * sessionStorage, the API key with it, and keeps it after Sign out.
   */
  #openSigned(event: Event): void {
    event.preventDefault();
    const failed = 'No playback token could be minted for this camera.';
    this.#ctx.api.mintToken(this.id, EMBED_TOKEN_TTL_S).then(
      (minted) => {
        if (!('token' in minted)) {
          this.#ctx.showNotice(minted.problem);
          return;
        }
        const page = `embed/${encodeURIComponent(this.id)}/t/${minted.token}`;
        window.open(new URL(page, document.baseURI).href, '_blank', 'noopener,noreferrer');
      },
      () => {
        this.#ctx.showNotice(failed);
      },
    );
  }

  // ------------------------------------------------------------ still

  /** A picture (a data: URL), or why there is none. */
  setStill(still: { url: string } | SnapshotProblem): void {
    if (this.#removed) return;
    if ('url' in still) {
      this.#stillUrl = still.url;
      this.#stillProblem = null;
      if (this.#still !== null) this.#still.src = still.url;
      // The poster shows until the first frame: the one the player started with is enough.
      if (this.#player !== null && !this.#player.hasAttribute('poster')) this.#player.setAttribute('poster', still.url);
    } else {
      this.#stillProblem = still;
    }
    this.#showOverlay();
  }

  get hasStill(): boolean {
    return this.#stillUrl !== '';
  }

  /** The still's width to ask for: the tile's width in device pixels. */
  get pixelWidth(): number {
    return Math.round(this.#screen.clientWidth * (window.devicePixelRatio || 1));
  }

  #showStillElement(): void {
    if (this.#still !== null) return;
    const still = document.createElement('img');
    still.className = 'still';
    still.alt = '';
    if (this.#stillUrl !== '') still.src = this.#stillUrl;
    this.#still = still;
    this.#screen.prepend(still);
  }

  #removeStillElement(): void {
    this.#still?.remove();
    this.#still = null;
  }

  // ------------------------------------------------------------ overlay

  /** The overlay says what the player says, or what the gateway says when the player only waits. */
  #showOverlay(): void {
    let text: string | undefined;
    let playable = false;
    const cameraState = this.camera.status?.state;
    if (this.unavailable) {
      text = unavailableText(this.camera);
    } else if (this.#mode === 'still') {
      playable = true;
      text = this.#stillProblem !== null && !this.hasStill ? stillProblemText(this.#stillProblem) : PLAYER_TEXT.still;
    } else if (this.#mode === 'none') {
      text = PLAYER_TEXT.connecting;
    } else if (this.#player === null) {
      text = this.#tokenFailed ? PLAYER_TEXT.token : PLAYER_TEXT.connecting;
    } else {
      const state = this.#playerState;
      if (state === 'playing' || state === 'ready' || state === 'paused') text = undefined;
      // The gateway's side: the camera is offline, not the page.
      else if (state === 'down' || (state === 'connecting' && cameraState === 'retrying')) text = PLAYER_TEXT.down;
      // The tile mints a new token at once: no reload needed.
      else if (state === 'expired') text = PLAYER_TEXT.expired;
      // Undecodable (H.265 here), unsupported, blocked: the player's own words.
      else text = this.#playerMessage !== '' ? this.#playerMessage : PLAYER_TEXT.connecting;
      playable = state === 'blocked';
    }
    this.#overlay.hidden = text === undefined;
    this.#overlay.setAttribute('data-player-state', this.#mode === 'player' ? this.#playerState : this.#mode);
    setText(this.#overlayText, text ?? '');
    this.#playButton.hidden = !playable;
  }

  remove(): void {
    this.#removed = true;
    this.#stopPlayer();
    this.#recordings.close();
    this.#removeStillElement();
    this.#stillUrl = '';
    this.node.remove();
  }
}

/** Why a tile has no still: the gateway's words for the two answers it documents. */
function stillProblemText(problem: SnapshotProblem): string {
  if (problem.code.endsWith('FFMPEG_NOT_FOUND')) return PLAYER_TEXT.noFfmpeg;
  return PLAYER_TEXT.noStill;
}

function copyText(textarea: HTMLTextAreaElement, button: HTMLButtonElement): void {
  const done = (ok: boolean) => {
    button.textContent = ok ? 'Copied' : 'Select and copy';
    window.setTimeout(() => {
      button.textContent = 'Copy';
    }, 1500);
  };
  const fallback = () => {
    textarea.focus();
    textarea.select();
    let ok: boolean;
    try {
      // The one way to copy where the Clipboard API is missing (plain http:// on a LAN address).
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    done(ok);
  };
  if (window.isSecureContext && 'clipboard' in navigator) {
    navigator.clipboard.writeText(textarea.value).then(() => {
      done(true);
    }, fallback);
  } else {
    fallback();
  }
}
