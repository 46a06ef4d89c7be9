import '../player/camgate-player.js';
import type { CamgatePlayerState } from '../player/camgate-player.js';
import { tokenExpiry, withToken } from '../shared/stream-url.js';

/**
 * The embed page's script (/embed/<id>, apps/gateway/src/http/embed-page.ts): reads the config
 * block and drives `<camgate-player>`. A camera that cannot stream (`failed`, `disabled`) gets no
 * player: the page says why, in the camera's own words, and waits for the state to change (a held
 * status request, not a poll of the playlist), so it is no viewer of a camera that cannot stream.
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
export interface EmbedConfig {
  id: string;
  name: string;
  src: string;
  status: string;
  poster?: string;
  autoplay: boolean;
  muted: boolean;
  controls: boolean;
  token?: string;
  expiresAt?: number;
  now?: number;
}

interface CameraStatus {
  state: string;
  reason?: { message: string } | null;
}

/** A token's characters (base64url and dots); the gateway checks the token itself. */
const TOKEN_SHAPE = /^[A-Za-z0-9_.-]+$/;
const MAX_TOKEN_LENGTH = 4096;
/** A status answer that came back at once with the same state is asked again only after this. */
const RETRY_MS = 5000;
const EXPIRED_TEXT = 'Access to this camera has expired — reload the page';

const config = JSON.parse(document.getElementById('config')?.textContent ?? '{}') as EmbedConfig;
const player = document.querySelector('camgate-player');
const overlay = document.getElementById('overlay');
const message = document.getElementById('message');
const button = document.getElementById('play');
const notice = document.getElementById('notice');
if (player === null || overlay === null || message === null || button === null || notice === null) {
  throw new Error('the embed page lacks its player');
}

// A token's exp is on the gateway's clock (or its signer's): this browser's may differ.
const skew = typeof config.now === 'number' ? config.now - Date.now() : 0;
let token = config.token;
let checking = false;

for (const flag of ['autoplay', 'muted', 'controls'] as const) player.toggleAttribute(flag, config[flag]);
if (token !== undefined && typeof config.expiresAt === 'number') {
  player.setAttribute('token-expires-at', String(config.expiresAt - skew));
}

type PageState = CamgatePlayerState | 'unavailable';

/**
 * The page's overlay (the player's own is off: `no-overlay`): the player's words, or the page's
 * for a camera that cannot stream; none while playing. `body[data-state]` says the state.
 */
function show(text: string, state: PageState): void {
  if (overlay === null || message === null || button === null || notice === null) return;
  const playing = state === 'playing';
  overlay.hidden = playing || (state === 'ready' && config.controls);
  message.textContent = playing ? '' : text;
  // Paused by the viewer (the video's pause button): Play starts it again (not when out of view).
  const userPaused = state === 'paused' && player?.userPaused === true;
  button.hidden = state !== 'blocked' && state !== 'ready' && !userPaused;
  // Playing with a message: the audio left out (video only).
  notice.textContent = playing ? text : '';
  notice.hidden = !playing || text === '';
  document.body.dataset['state'] = state;
}

function expired(): boolean {
  const expiresAt = Number(player?.getAttribute('token-expires-at') ?? NaN);
  return token !== undefined && Date.now() >= expiresAt;
}

function tellParent(): void {
  if (window.parent !== window) window.parent.postMessage({ type: 'camgate:expired', id: config.id }, '*');
}

function startPlayer(): void {
  // The poster too only now: a camera that cannot stream is not asked for anything but its state
  // (a snapshot request counts a viewer, and may start an on-demand camera).
  if (config.poster !== undefined && !player?.hasAttribute('poster')) player?.setAttribute('poster', config.poster);
  if (player?.getAttribute('src') !== config.src) player?.setAttribute('src', config.src);
}

/** No player (it stops loading): this text instead (a camera that cannot stream, a refused token). */
function showUnavailable(text: string, state: 'unavailable' | 'expired'): void {
  player?.removeAttribute('src');
  show(text, state);
}

function describe(status: CameraStatus): string {
  if (status.state === 'disabled') return 'This camera is disabled';
  return `Camera unavailable — ${status.reason?.message ?? 'it failed'}`;
}

const EXPIRED = Symbol('expired');

/**
 * Asks for the camera's state; with `awaited`, the answer comes when the state is no longer that
 * (or after the gateway's hold time). An answer that comes back at once with the same state (a
 * gateway holding too many requests, or closing) is asked again only after RETRY_MS.
 */
async function checkStatus(awaited: string): Promise<void> {
  if (checking) return;
  checking = true;
  const asked = Date.now();
  let status: CameraStatus | typeof EXPIRED | null;
  try {
    const url = config.status + (awaited === '' ? '' : `?while=${encodeURIComponent(awaited)}`);
    const response = await fetch(url, { cache: 'no-store' });
    if (response.ok) status = (await response.json()) as CameraStatus;
    // Refused with an expired token: no use asking again with it.
    else if (response.status === 404 && expired()) status = EXPIRED;
    // Waiting for a failed camera, an error (a proxy's 502, a shutdown's 503) is no news: ask
    // again later rather than play a camera that failed.
    else if (awaited !== '') throw new Error(`status ${response.status}`);
    else status = null;
  } catch {
    checking = false;
    if (awaited !== '') setTimeout(() => void checkStatus(awaited), RETRY_MS);
    else startPlayer();
    return;
  }
  checking = false;
  if (status === EXPIRED) {
    showUnavailable(EXPIRED_TEXT, 'expired');
    tellParent();
  } else if (status !== null && (status.state === 'failed' || status.state === 'disabled')) {
    showUnavailable(describe(status), 'unavailable');
    const state = status.state;
    const again = () => void checkStatus(state);
    if (state === awaited && Date.now() - asked < RETRY_MS) setTimeout(again, RETRY_MS);
    else again();
  } else {
    startPlayer();
  }
}

player.addEventListener('camgate-state', (event) => {
  const { state } = event.detail;
  // A player without a source (the camera cannot stream) says nothing: the page does.
  if (!player.hasAttribute('src')) return;
  show(event.detail.message, state);
  // Offline: is the camera retrying (keep trying) or failed (say why, stop)?
  if (state === 'down') void checkStatus('');
  if (state === 'expired') tellParent();
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data = event.data as { type?: unknown; token?: unknown } | null;
  if (event.source !== window.parent || token === undefined || data === null || typeof data !== 'object') return;
  const next = data.token;
  if (data.type !== 'camgate:token' || typeof next !== 'string') return;
  if (next.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(next)) return;
  token = next;
  player.setAttribute('token-expires-at', String(tokenExpiry(next) - skew));
  config.src = withToken(config.src, next);
  config.status = withToken(config.status, next);
  if (config.poster !== undefined) config.poster = withToken(config.poster, next);
  // Playing (or waiting after `expired`): renewed in place, the player's next request carries it.
  if (player.hasAttribute('src')) player.renew(config.src);
  else if (document.body.dataset['state'] === 'expired') void checkStatus('');
});

button.addEventListener('click', () => {
  player.play();
});
show('Connecting…', 'connecting');
void checkStatus('');
