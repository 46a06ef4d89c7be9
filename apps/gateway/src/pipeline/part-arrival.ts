/**
 * Parts whose closing frames' arrival is remembered: 16 parts (3.2 s of 200 ms parts) is long enough
 * to hold one frame that came on time through a run of late reads, short enough to follow the drift
 * between the camera's clock and ours.
 */
const WINDOW = 16;
/** A closing frame this far past the previous one (ms of media) is a new timeline: forget the old. */
const MAX_PART_GAP_MS = 5000;

/**
 * When will the frame that closes the next part arrive? Read batching (SessionBridge) lets a
 * session's socket wait until just before then.
 *
 * The prediction stands on the camera's media clock, not on when the last part went out: a closing
 * frame that was read late (in a batch) would otherwise push every later deadline by as much, and
 * batching would keep missing the frame it waits for. Each part published gives one sample, the
 * time its closing frame was read minus its media time; a frame read late only makes its sample
 * larger, so the smallest sample of the last {@link WINDOW} parts is the camera's timing as it
 * arrives, free of our lateness. The next closing frame is due one part of media later on it.
 */
export class PartArrival {
  readonly #offsets = new Float64Array(WINDOW);
  #count = 0;
  #next = 0;
  #lastMediaMs = Number.NaN;

  /** A part went out when its closing frame (media time `mediaMs`, the camera's clock in ms) was read at `readAt` (monotonic ms). */
  observe(mediaMs: number, readAt: number): void {
    const last = this.#lastMediaMs;
    if (!Number.isNaN(last) && (mediaMs <= last || mediaMs - last > MAX_PART_GAP_MS)) this.reset();
    this.#lastMediaMs = mediaMs;
    this.#offsets[this.#next] = readAt - mediaMs;
    this.#next = (this.#next + 1) % WINDOW;
    if (this.#count < WINDOW) this.#count++;
  }

  /** Monotonic ms at which the next part's closing frame may arrive, `partMs` of media after the last; undefined before any part. */
  nextArrival(partMs: number): number | undefined {
    if (this.#count === 0) return undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#count; i++) earliest = Math.min(earliest, this.#offsets[i] as number);
    return this.#lastMediaMs + partMs + earliest;
  }

  /** The timeline was re-based (a reconnect, a timestamp jump): nothing learned applies. */
  reset(): void {
    this.#count = 0;
    this.#next = 0;
    this.#lastMediaMs = Number.NaN;
  }
}
