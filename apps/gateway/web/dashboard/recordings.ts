// A recording camera's timeline under its tile (issue 15): the last 24 hours as a bar with the
// recorded spans, a click plays the recording from that time (hls.js on the VOD playlist, seeking
// by PROGRAM-DATE-TIME), "Back to live" stops it, and a link downloads a minute from the time
// picked (clip.mp4). Built with textContent/setAttribute only (S11).
import type HlsClass from 'hls.js';
import type { ApiClient, Camera } from './api.js';

/** The timeline covers the last day. */
const WINDOW_MS = 24 * 60 * 60 * 1000;
/** The timeline is read again when opened, and every minute while it is open. */
const REFRESH_MS = 60_000;
/** A VOD playlist from a minute before the time picked to 2 hours after (a playlist of ~1,200 segments). */
const BEFORE_MS = 60_000;
const AFTER_MS = 2 * 60 * 60 * 1000;
/** "Download" exports this much from the time picked. */
const CLIP_SECONDS = 60;
/** A click after a span's end plays its last 10 seconds. */
const LAST_SECONDS_MS = 10_000;
/** Tokens for a signed camera's recordings: 10 minutes. */
const TOKEN_TTL_S = 600;

const HLS_URL = new URL('../vendor/hls.js', import.meta.url).href;
type HlsModule = typeof HlsClass;

interface Span {
  start: string;
  end: string;
}

function part<T extends HTMLElement>(root: ParentNode, selector: string, type: new () => T): T {
  const node = root.querySelector(selector);
  if (!(node instanceof type)) throw new Error(`the recordings panel has no ${selector}`);
  return node;
}

/** hh:mm of a time, in the browser's zone. */
function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export class RecordingsPanel {
  readonly #root: HTMLDetailsElement;
  readonly #api: ApiClient;
  readonly #bar: HTMLElement;
  readonly #times: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #live: HTMLButtonElement;
  readonly #clip: HTMLAnchorElement;
  readonly #message: HTMLElement;
  #camera: Camera;
  #windowEnd = 0;
  /** The spans drawn, ms since the epoch. */
  #spans: Array<{ from: number; to: number }> = [];
  #timer = 0;
  #hls: HlsClass | null = null;

  constructor(root: HTMLDetailsElement, api: ApiClient, camera: Camera) {
    this.#root = root;
    this.#api = api;
    this.#camera = camera;
    this.#bar = part(root, '.timeline', HTMLElement);
    this.#times = part(root, '.timeline-times', HTMLElement);
    this.#video = part(root, '.recorded', HTMLVideoElement);
    this.#live = part(root, '.back-to-live', HTMLButtonElement);
    this.#clip = part(root, '.clip', HTMLAnchorElement);
    this.#message = part(root, '.recordings-message', HTMLElement);
    root.addEventListener('toggle', () => {
      if (root.open) void this.refresh();
      else this.#stop();
    });
    this.#bar.addEventListener('click', (event) => {
      const box = this.#bar.getBoundingClientRect();
      const at = this.#windowEnd - WINDOW_MS + ((event.clientX - box.left) / box.width) * WINDOW_MS;
      const recorded = this.#nearestRecorded(at);
      if (recorded !== undefined) void this.play(Math.round(recorded));
    });
    this.#live.addEventListener('click', () => {
      this.#stopVideo();
    });
    this.update(camera);
  }

  /** Shown for cameras that record or have recorded (a status with recording). */
  update(camera: Camera): void {
    this.#camera = camera;
    const shown = camera.recording?.enabled === true || (camera.status?.recording ?? null) !== null;
    this.#root.hidden = !shown;
    if (!shown) this.#stop();
  }

  /** Reads the last day's spans and draws them. */
  async refresh(): Promise<void> {
    window.clearTimeout(this.#timer);
    if (!this.#root.open || this.#root.hidden) return;
    this.#timer = window.setTimeout(() => void this.refresh(), REFRESH_MS);
    const end = Date.now();
    const result = await this.#api.recordings(this.#camera.id, end - WINDOW_MS, end);
    if ('problem' in result) {
      this.#say(result.problem);
      return;
    }
    this.#windowEnd = end;
    this.#spans = result.spans.map((span: Span) => ({ from: Date.parse(span.start), to: Date.parse(span.end) }));
    const blocks = this.#spans.map(({ from, to }) => {
      const block = document.createElement('span');
      block.className = 'span';
      block.style.left = `${((from - (end - WINDOW_MS)) / WINDOW_MS) * 100}%`;
      block.style.width = `${Math.max(((to - from) / WINDOW_MS) * 100, 0.2)}%`;
      block.title = `${clock(from)} – ${clock(to)}`;
      return block;
    });
    this.#bar.replaceChildren(...blocks);
    this.#bar.setAttribute('data-spans', String(blocks.length));
    this.#times.textContent = `${clock(end - WINDOW_MS)} … ${clock(end - WINDOW_MS / 2)} … ${clock(end)} (now)`;
    this.#say(
      blocks.length === 0 ? 'Nothing recorded in the last 24 hours yet.' : 'Click the timeline to play from a time.',
    );
  }

  /** Plays the recording from `at` (ms since the epoch) below the timeline. */
  async play(at: number): Promise<void> {
    const token = this.#camera.playback === 'signed' ? await this.#api.mintToken(this.#camera.id, TOKEN_TTL_S) : null;
    if (token !== null && 'problem' in token) {
      this.#say(token.problem);
      return;
    }
    const suffix = token === null ? '' : `&token=${encodeURIComponent(token.token)}`;
    const id = encodeURIComponent(this.#camera.id);
    const src = `recordings/${id}/vod.m3u8?start=${at - BEFORE_MS}&end=${at + AFTER_MS}${suffix}`;
    this.#clip.href = `recordings/${id}/clip.mp4?start=${at}&duration=${CLIP_SECONDS}${suffix}`;
    this.#clip.hidden = false;
    this.#stopVideo();
    const Hls = await (import(HLS_URL) as Promise<{ default: HlsModule }>).then((module) => module.default);
    const video = this.#video;
    video.hidden = false;
    this.#live.hidden = false;
    this.#say(`Recording from ${new Date(at).toLocaleString()}`);
    const hls = new Hls();
    this.#hls = hls;
    hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
      // Seek to the time picked: the first segment's PROGRAM-DATE-TIME is its start.
      const first = data.details.fragments[0];
      const pdt = first?.programDateTime;
      if (first !== undefined && typeof pdt === 'number')
        video.currentTime = Math.max(0, first.start + (at - pdt) / 1000);
      void video.play().catch(() => undefined);
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) this.#say(`The recording cannot be played (${data.details}).`);
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  }

  /**
   * The recorded time nearest `at`: a span is drawn at least a few minutes wide (the bar is a day),
   * so a click beside a short one plays its start or its last seconds.
   */
  #nearestRecorded(at: number): number | undefined {
    let best: number | undefined;
    for (const { from, to } of this.#spans) {
      const candidate = Math.min(Math.max(at, from), Math.max(from, to - LAST_SECONDS_MS));
      if (best === undefined || Math.abs(candidate - at) < Math.abs(best - at)) best = candidate;
    }
    return best;
  }

  /** The tile goes away. */
  close(): void {
    this.#stop();
  }

  #stop(): void {
    window.clearTimeout(this.#timer);
    this.#stopVideo();
  }

  #stopVideo(): void {
    this.#hls?.destroy();
    this.#hls = null;
    this.#video.removeAttribute('src');
    this.#video.hidden = true;
    this.#live.hidden = true;
  }

  #say(text: string): void {
    if (this.#message.textContent !== text) this.#message.textContent = text;
  }
}
