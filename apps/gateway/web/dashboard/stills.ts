// Snapshots for tiles (decision 3 of issue 13): the poster of a tile that starts playing, and a
// refreshing still for a tile that does not play (a wall larger than the browser's connection
// budget, see wall.ts). Only tiles on screen, in a visible tab, ask for pictures.
import { AuthNeeded, type ApiClient } from './api.js';
import type { Tile } from './tile.js';

/** A still tile shows a picture at most 5 s old: enough to see who is at the door. */
const STILL_REFRESH_MS = 5000;
/**
 * At most 2 snapshot requests at once: they share the browser's 6 HTTP/1.1 connections per origin
 * with the playing tiles and the API's polls, so a wall of stills never starves the players.
 */
const STILL_FETCHES_AT_ONCE = 2;
/**
 * The widths asked for: a few steps, so tiles of about the same size share the gateway's cached
 * picture (it caches per width) instead of each asking for its own pixel count.
 */
const STILL_WIDTHS = [320, 480, 640, 960] as const;
const MAX_STILL_WIDTH = 1280;
/** Without ffmpeg no snapshot can come: asked again once a minute (the gateway looks for it as often). */
const NO_FFMPEG_RETRY_MS = 60_000;

export function stillWidth(pixels: number): number {
  return STILL_WIDTHS.find((width) => width >= pixels) ?? MAX_STILL_WIDTH;
}

/**
 * The picture as a `data:` URL: the page's CSP allows `img-src 'self' data:`, and a data URL needs
 * no revoking (a JPEG still is a few tens of kilobytes).
 */
function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      resolve(typeof reader.result === 'string' ? reader.result : '');
    });
    reader.addEventListener('error', () => {
      reject(reader.error ?? new Error('the picture could not be read'));
    });
    reader.readAsDataURL(blob);
  });
}

export class Stills {
  readonly #api: ApiClient;
  readonly #shown: (tile: Tile) => boolean;
  readonly #tiles: () => Iterable<Tile>;
  /** When each tile last asked (ms): a tile asks again STILL_REFRESH_MS after. */
  readonly #asked = new Map<Tile, number>();
  readonly #queue: Tile[] = [];
  #running = 0;
  #timer = 0;
  #controller = new AbortController();
  /** Until when no snapshot is asked for: the gateway said it has no ffmpeg. */
  #noFfmpegUntil = 0;

  /** `shown`: the tile is on screen and not filtered out. */
  constructor(api: ApiClient, tiles: () => Iterable<Tile>, shown: (tile: Tile) => boolean) {
    this.#api = api;
    this.#tiles = tiles;
    this.#shown = shown;
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.#timer !== 0) this.tick();
    });
  }

  /** Starts asking (once: later calls change nothing until stop()). */
  start(): void {
    if (this.#timer === 0) this.tick();
  }

  /** Asks for the pictures that are due now, and again in STILL_REFRESH_MS. */
  tick(): void {
    window.clearTimeout(this.#timer);
    this.#timer = window.setTimeout(() => {
      this.tick();
    }, STILL_REFRESH_MS);
    if (document.visibilityState !== 'visible' || Date.now() < this.#noFfmpegUntil) return;
    const now = Date.now();
    for (const tile of this.#tiles()) {
      if (!this.#due(tile, now)) continue;
      this.#asked.set(tile, now);
      if (!this.#queue.includes(tile)) this.#queue.push(tile);
    }
    this.#next();
  }

  /** A still is refreshed while shown; a playing tile asks once, for its poster. */
  #due(tile: Tile, now: number): boolean {
    if (tile.unavailable || !this.#shown(tile)) return false;
    const asked = this.#asked.get(tile);
    if (tile.mode === 'still') return asked === undefined || now - asked >= STILL_REFRESH_MS;
    return tile.mode === 'player' && asked === undefined;
  }

  #next(): void {
    while (this.#running < STILL_FETCHES_AT_ONCE) {
      const tile = this.#queue.shift();
      if (tile === undefined) return;
      if (!this.#shown(tile) || tile.mode === 'none') continue;
      this.#running++;
      void this.#fetch(tile, this.#controller.signal).finally(() => {
        this.#running--;
        this.#next();
      });
    }
  }

  async #fetch(tile: Tile, signal: AbortSignal): Promise<void> {
    try {
      const answer = await this.#api.snapshot(tile.id, stillWidth(tile.pixelWidth), signal);
      if (signal.aborted) return;
      if (answer instanceof Blob) {
        const url = await dataUrl(answer);
        tile.setStill({ url });
        return;
      }
      if (answer.code.endsWith('FFMPEG_NOT_FOUND')) this.#noFfmpegUntil = Date.now() + NO_FFMPEG_RETRY_MS;
      tile.setStill(answer);
    } catch (err) {
      // Aborted (signed out), refused (the login shows) or unreachable (the next tick asks again).
      if (!(err instanceof AuthNeeded) && !signal.aborted) this.#asked.delete(tile);
    }
  }

  /** A tile that just became a still asks at once rather than at the next tick. */
  now(tile: Tile): void {
    if (Date.now() < this.#noFfmpegUntil || this.#queue.includes(tile)) return;
    this.#asked.set(tile, Date.now());
    this.#queue.unshift(tile);
    this.#next();
  }

  forget(tile: Tile): void {
    this.#asked.delete(tile);
    const at = this.#queue.indexOf(tile);
    if (at !== -1) this.#queue.splice(at, 1);
  }

  /** Signed out: nothing more is asked, and what is on its way is dropped. */
  stop(): void {
    window.clearTimeout(this.#timer);
    this.#timer = 0;
    this.#controller.abort();
    this.#controller = new AbortController();
    this.#queue.length = 0;
    this.#asked.clear();
  }
}
