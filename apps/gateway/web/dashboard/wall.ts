// The wall of tiles: which cameras have a tile, which tiles play and which show stills (the
// browser's connection budget), and the filter (a state, a name or id).
import type { Camera } from './api.js';
import type { Stills } from './stills.js';
import { STATES, Tile, type TileContext } from './tile.js';

/**
 * HTTP/1.1: a browser opens at most 6 connections per origin (Chromium, Firefox and Safari alike),
 * and an LL-HLS player keeps one busy per playlist it plays (its blocking reload is held until the
 * next part, rfc8216bis §6.2.5.2), so a seventh held request waits behind the others and every
 * tile falls behind. One connection stays free for the API's polls, the stills and token mints;
 * the other 5 go to the playlists of the tiles that play (2 for a camera with audio: video and
 * audio). Tiles past the budget show refreshing stills, click to play.
 */
const HTTP1_CONNECTIONS = 6;
const RESERVED_CONNECTIONS = 1;
/**
 * HTTP/2 (the gateway with a certificate, or a proxy speaking it): one connection carries every
 * held request, so the budget is what this browser decodes at once. 24 videos fill any screen;
 * past that each tile is a few hundred pixels wide and a still shows as much.
 */
const MULTIPLEXED_PLAYING_TILES = 24;

function multiplexed(): boolean {
  const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
  return navigation !== undefined && (navigation.nextHopProtocol === 'h2' || navigation.nextHopProtocol === 'h3');
}

export interface WallElements {
  grid: HTMLElement;
  empty: HTMLElement;
  noMatch: HTMLElement;
  toolbar: HTMLElement;
  statesBar: HTMLElement;
  filterInput: HTMLInputElement;
}

export class Wall {
  readonly tiles = new Map<string, Tile>();
  readonly #els: WallElements;
  readonly #ctx: TileContext;
  #stills: Stills | null = null;
  readonly #multiplexed = multiplexed();
  readonly #onScreen = new Set<Tile>();
  readonly #observer: IntersectionObserver;
  /** Tiles clicked to play, the latest first: they play before the others. */
  #picked: Tile[] = [];
  // Fifty cameras: find one by name or id, or see only those in one state (the failing ones).
  #filterText = '';
  #filterState = '';
  /** The state buttons shown, by state, updated in place (see #renderStates). */
  readonly #stateButtons = new Map<string, HTMLButtonElement>();
  #assigning = false;

  constructor(els: WallElements, ctx: Omit<TileContext, 'requestPlay'>) {
    this.#els = els;
    this.#ctx = {
      ...ctx,
      requestPlay: (tile) => {
        this.#pick(tile);
      },
    };
    // Only tiles on screen play or refresh a still; a tile scrolled away lets its place go.
    this.#observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const tile = this.tiles.get(entry.target.getAttribute('data-id') ?? '');
        if (tile?.node !== entry.target) continue;
        if (entry.isIntersecting) this.#onScreen.add(tile);
        else this.#onScreen.delete(tile);
      }
      this.assign();
    });
    els.filterInput.addEventListener('input', () => {
      this.#filterText = els.filterInput.value.trim().toLowerCase();
      this.#applyFilter();
    });
  }

  set stills(stills: Stills) {
    this.#stills = stills;
  }

  /** On screen and not filtered out. */
  shown(tile: Tile): boolean {
    return this.#onScreen.has(tile) && !tile.node.hidden;
  }

  render(cameras: Camera[]): void {
    const seen = new Set<string>();
    for (const camera of cameras) {
      seen.add(camera.id);
      let tile = this.tiles.get(camera.id);
      if (tile === undefined) {
        tile = new Tile(camera, this.#ctx);
        this.tiles.set(camera.id, tile);
        this.#els.grid.append(tile.node);
        this.#observer.observe(tile.node);
      }
      tile.update(camera);
    }
    for (const tile of this.tiles.values()) if (!seen.has(tile.id)) this.remove(tile);
    this.#els.empty.hidden = this.tiles.size !== 0;
    this.#renderStates();
    this.#applyFilter();
  }

  remove(tile: Tile): void {
    this.#observer.unobserve(tile.node);
    this.#onScreen.delete(tile);
    this.#picked = this.#picked.filter((t) => t !== tile);
    this.#stills?.forget(tile);
    tile.remove();
    this.tiles.delete(tile.id);
    this.#els.empty.hidden = this.tiles.size !== 0;
    this.assign();
  }

  clear(): void {
    for (const tile of [...this.tiles.values()]) this.remove(tile);
  }

  #pick(tile: Tile): void {
    this.#picked = [tile, ...this.#picked.filter((t) => t !== tile)];
    this.assign();
  }

  /**
   * Which tiles play: those clicked (the latest first), then the others on screen in the wall's
   * order, as long as the budget lasts; the rest on screen show stills. A camera that cannot
   * stream gets neither.
   */
  assign(): void {
    if (this.#assigning) return;
    this.#assigning = true;
    const ordered = [...this.tiles.values()];
    const candidates = [...this.#picked, ...ordered.filter((t) => !this.#picked.includes(t))].filter(
      (t) => this.shown(t) && !t.unavailable,
    );
    let budget = this.#multiplexed ? MULTIPLEXED_PLAYING_TILES : HTTP1_CONNECTIONS - RESERVED_CONNECTIONS;
    const playing = new Set<Tile>();
    for (const tile of candidates) {
      const cost = this.#multiplexed ? 1 : tile.playlists;
      if (cost > budget) continue;
      budget -= cost;
      playing.add(tile);
    }
    // The picked tiles past the budget are forgotten: they would push the latest pick out.
    this.#picked = this.#picked.filter((t) => playing.has(t));
    for (const tile of ordered) {
      const before = tile.mode;
      const mode = tile.unavailable ? 'none' : playing.has(tile) ? 'player' : this.shown(tile) ? 'still' : 'none';
      // Scrolled away: a still stays (it costs nothing); a player goes (its connection is freed).
      if (mode === 'none' && before === 'still' && !tile.unavailable) continue;
      tile.setMode(mode);
      if (mode !== before && mode !== 'none' && !tile.hasStill) this.#stills?.now(tile);
    }
    this.#assigning = false;
  }

  // ------------------------------------------------------------ filter

  /** One button per state that some camera is in, with its count; pressing one shows only those. */
  #renderStates(): void {
    const counts = new Map<string, number>();
    for (const tile of this.tiles.values()) counts.set(tile.state, (counts.get(tile.state) ?? 0) + 1);
    if (this.#filterState !== '' && !counts.has(this.#filterState)) this.#filterState = '';
    const size = this.tiles.size;
    const labels: Array<[string, string]> = [['', `${size} ${size === 1 ? 'camera' : 'cameras'}`]];
    for (const state of STATES) {
      const count = counts.get(state);
      if (count !== undefined) labels.push([state, `${count} ${state}`]);
    }
    this.#els.toolbar.hidden = size < 2;
    // Buttons are kept and updated in place, never rebuilt: a count changing at a poll (a camera
    // going from retrying to connecting elsewhere on the wall) must not take the keyboard focus
    // from the button the user pressed. Only a state no camera is in any more loses its button.
    const wanted = new Set(labels.map(([state]) => state));
    for (const [state, button] of this.#stateButtons) {
      if (wanted.has(state)) continue;
      const hadFocus = button === document.activeElement;
      button.remove();
      this.#stateButtons.delete(state);
      if (hadFocus) this.#stateButtons.get('')?.focus();
    }
    let previous: HTMLButtonElement | null = null;
    for (const [state, text] of labels) {
      let button = this.#stateButtons.get(state);
      if (button === undefined) {
        button = this.#stateButton(state);
        this.#stateButtons.set(state, button);
      }
      if (button.textContent !== text) button.textContent = text;
      button.setAttribute('aria-pressed', String(state === this.#filterState));
      // Moved only when out of order (insertBefore on the focused node would blur it in some browsers).
      const expected: ChildNode | null = previous === null ? this.#els.statesBar.firstChild : previous.nextSibling;
      if (expected !== button) this.#els.statesBar.insertBefore(button, expected);
      previous = button;
    }
  }

  #stateButton(state: string): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('data-state', state);
    button.addEventListener('click', () => {
      this.#filterState = this.#filterState === state ? '' : state;
      this.#renderStates();
      this.#applyFilter();
    });
    return button;
  }

  /** Tiles that do not match are hidden: off screen, they stop playing (the observer sees them go). */
  #applyFilter(): void {
    let shown = 0;
    for (const tile of this.tiles.values()) {
      const name = tile.camera.name.toLowerCase();
      const text = this.#filterText;
      const match =
        (text === '' || name.includes(text) || tile.id.includes(text)) &&
        (this.#filterState === '' || tile.state === this.#filterState);
      tile.node.hidden = !match;
      if (match) shown++;
    }
    this.#els.noMatch.hidden = shown !== 0 || this.tiles.size === 0;
    this.assign();
  }
}
