/**
 * Read batching (RtspSessionOptions.readBatchMs): a deferred connection's socket
 * is drained on one timer shared by all connections of the process, instead of
 * on every readiness event (each a wake-up, a read and a callback chain).
 *
 * Mechanism: sockets read with `onread` into one buffer. While a connection is
 * deferred, a plain TCP socket pauses after a read that did not fill the buffer
 * (the kernel's receive buffer was drained: libuv makes the same inference); a
 * full read means more is waiting, so it keeps reading and batching never caps
 * throughput. A deferred connection is drained `readBatchMs` after its deferral
 * began and every `readBatchMs` after that. Deferrals begin when a camera's part
 * closes, so the drains of many cameras are spread over the period as their
 * parts are, and share wake-ups with other cameras' deadlines on the grid: no
 * wake-up reads every socket at once (a drain of 50 sockets at one tick could
 * hold up a camera whose deadline fell in it). A drain reads:
 * - in place, where the connection can read its socket synchronously
 *   ({@link ReadBatchOptions.drain}: plain TCP with a file descriptor). The socket
 *   stays paused, so the drain costs one read(2) in the timer's callback and no
 *   wake-up of its own. Resuming it instead costs two: libuv leaves a stopped
 *   socket in epoll until it next becomes readable (a wake-up that reads nothing,
 *   then epoll_ctl DEL), and a resumed one is added again (ADD) and read in the
 *   next poll;
 * - otherwise by resuming the paused socket, which then reads everything waiting.
 *   TLS delivers at most one record per read (16 KiB, RFC 8446 §5.1; 1.4 KB when
 *   the camera writes a record per packet), so a short read says nothing there: a
 *   deferred TLS socket is paused instead at the end of its drain (setImmediate
 *   runs after the poll phase in which the resumed sockets read what was waiting).
 *
 * A deferral ends at its deadline, rounded down to {@link DEADLINE_GRID_MS}, as
 * drains are: the shared timer wakes then, the socket is resumed, reads what
 * waits and from then on reads as data arrives, until the next deferUntil(). The
 * caller's deadline is "just before the frame I must not delay may arrive", so
 * between deadlines a camera costs a read per drain in a wake-up shared with
 * other cameras, and near one it reads at once.
 */

/**
 * Deadlines and drains are rounded down to this grid, so that connections whose times fall within it
 * share one wake-up (at 200 cameras, 1000 deadlines and 1000 drains a second become at most 250
 * wake-ups). Small against the caller's slack (SessionBridge leaves 10 ms before the frame may arrive).
 */
export const DEADLINE_GRID_MS = 4;
/** A timer set for time t may run when performance.now() is a fraction of a millisecond short of t (libuv counts whole ms). */
const TIMER_EARLY_MS = 1;

/** What the scheduler drives: a socket reading with `onread` (net.Socket has both). */
export interface PausableReader {
  pause(): unknown;
  resume(): unknown;
}

export interface ReadBatchOptions {
  /** Pause after a read shorter than `capacity` (plain TCP); otherwise at the end of each drain (TLS). */
  pauseOnShortRead: boolean;
  /** The read buffer's size: a read this long may have left more data waiting. */
  capacity: number;
  /**
   * Reads what waits on the paused socket synchronously, leaving it paused (see the module
   * comment). Called by a drain instead of resume(), only while paused. It may end the deferral
   * (what it read asks for deferUntil() with a near deadline: the socket is resumed) or close the
   * connection (leave()). Absent: drains resume the socket.
   */
  drain?: () => void;
}

interface Group {
  periodMs: number;
  members: Set<ReadBatch>;
  /** Runs at the earliest drain or deadline of the deferred members. */
  timer: NodeJS.Timeout | undefined;
  /** When the timer runs (monotonic ms). */
  wakeAt: number;
  /** A setImmediate pausing TLS members at the end of their drain is pending. */
  drainEndPending: boolean;
}

/** `ms` rounded down to the grid. */
function onGrid(ms: number): number {
  return Math.floor(ms / DEADLINE_GRID_MS) * DEADLINE_GRID_MS;
}

/** What the shared timer did to one member's socket. */
type Wake = 'none' | 'resumed' | 'drained';

/** One connection's membership; see the module comment. */
export class ReadBatch {
  /** Reads are batched: paused between drains until the deadline. */
  #deferred = false;
  /** Paused by the scheduler, to be resumed at the next drain or the deadline. */
  #paused = false;
  /** The deferral's end, on the grid (monotonic ms). */
  #eagerAt = 0;
  /** The next drain while deferred, on the grid (monotonic ms). */
  #drainAt = 0;
  /** Resumed by a drain (no ReadBatchOptions.drain): to be paused at the end of it. */
  #drainEnding = false;
  #left = false;
  readonly #reader: PausableReader;
  readonly #options: ReadBatchOptions;
  readonly #group: Group;
  readonly #scheduler: ReadScheduler;

  /** @internal created by ReadScheduler.join() */
  constructor(scheduler: ReadScheduler, group: Group, reader: PausableReader, options: ReadBatchOptions) {
    this.#scheduler = scheduler;
    this.#group = group;
    this.#reader = reader;
    this.#options = options;
  }

  get deferred(): boolean {
    return this.#deferred;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** @internal when the timer must run for this member next (its drain or its deadline). */
  get nextWake(): number {
    return Math.min(this.#eagerAt, this.#drainAt);
  }

  /**
   * Batches reads until `monotonicMs` (performance.now() clock), rounded down to
   * {@link DEADLINE_GRID_MS}. An end within one grid step from now (or in the past) reads at once
   * again.
   */
  deferUntil(monotonicMs: number): void {
    if (this.#left) return;
    const eagerAt = onGrid(monotonicMs);
    const now = this.#scheduler.now();
    if (eagerAt - now < DEADLINE_GRID_MS) {
      this.#eager();
      return;
    }
    this.#eagerAt = eagerAt;
    // A new deferral drains a period from now; one moved while it runs keeps its drains.
    if (!this.#deferred) this.#drainAt = onGrid(now + this.#group.periodMs);
    this.#deferred = true;
    this.#scheduler.defer(this.#group, this.nextWake);
  }

  /** Called by the socket's onread callback after handling `bytes`: whether to keep reading. */
  afterRead(bytes: number): boolean {
    if (!this.#deferred || !this.#options.pauseOnShortRead || bytes >= this.#options.capacity) return true;
    this.#paused = true;
    return false;
  }

  /** Leaves the scheduler (the connection closed); reads at once if it is still reading. Idempotent. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#deferred = false;
    this.#paused = false;
    this.#scheduler.remove(this.#group, this);
  }

  /** @internal the shared timer at `now`: ends the deferral or drains, when due; what it did to the socket. */
  wake(now: number): Wake {
    if (!this.#deferred) return 'none';
    if (now + TIMER_EARLY_MS >= this.#eagerAt) {
      const paused = this.#paused;
      this.#eager();
      return paused ? 'resumed' : 'none';
    }
    if (now + TIMER_EARLY_MS < this.#drainAt) return 'none';
    this.#drainAt = onGrid(now + this.#group.periodMs);
    if (!this.#options.pauseOnShortRead) {
      // TLS: reads until the end of this drain, whatever it holds.
      this.#drainEnding = true;
      if (!this.#paused) return 'none';
    } else if (!this.#paused) {
      return 'none';
    } else if (this.#options.drain !== undefined) {
      this.#options.drain();
      return 'drained';
    }
    this.#paused = false;
    this.#reader.resume();
    return 'resumed';
  }

  /** @internal the end of a drain: a TLS member still deferred stops reading until its next one. */
  drainEnd(): void {
    if (!this.#drainEnding) return;
    this.#drainEnding = false;
    if (!this.#deferred || this.#paused) return;
    this.#paused = true;
    this.#reader.pause();
  }

  /** @internal */
  get needsDrainEnd(): boolean {
    return this.#drainEnding;
  }

  #eager(): void {
    this.#deferred = false;
    this.#drainEnding = false;
    if (this.#paused) {
      this.#paused = false;
      this.#reader.resume();
    }
  }
}

/**
 * The shared timer(s) of read batching: one per distinct period in use (in practice one, the
 * gateway's readBatchMs), set for the earliest drain or deadline of the deferred connections, and
 * running only while some connection is deferred. The timer keeps the process alive on purpose:
 * a paused socket does not (libuv stops its handle), and a session whose sockets are all paused is
 * still running.
 */
export class ReadScheduler {
  readonly now: () => number;
  /** Sockets resumed by the timer (a batched drain without ReadBatchOptions.drain, or a deadline), since the start: for tests and metrics. */
  resumes = 0;
  /** Paused sockets read in place by a batched drain (ReadBatchOptions.drain), since the start. */
  drains = 0;
  /** Times the shared timer ran, since the start (each one wake-up for every connection it served). */
  wakes = 0;
  /** deferUntil() calls that deferred (a deadline at least one grid step away), since the start. */
  deferrals = 0;
  readonly #groups = new Map<number, Group>();

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Timers running (for tests and metrics: 0 once no connection is deferred, from the next wake at the latest). */
  get activeTimers(): number {
    let n = 0;
    for (const group of this.#groups.values()) if (group.timer !== undefined) n++;
    return n;
  }

  /** Connections registered. */
  get size(): number {
    let n = 0;
    for (const group of this.#groups.values()) n += group.members.size;
    return n;
  }

  /** Registers a connection whose reads may be batched every `periodMs`; it reads at once until deferUntil(). */
  join(reader: PausableReader, periodMs: number, options: ReadBatchOptions): ReadBatch {
    let group = this.#groups.get(periodMs);
    if (group === undefined) {
      group = { periodMs, members: new Set(), timer: undefined, wakeAt: 0, drainEndPending: false };
      this.#groups.set(periodMs, group);
    }
    const batch = new ReadBatch(this, group, reader, options);
    group.members.add(batch);
    return batch;
  }

  /** @internal a member is deferred and needs the timer at `at` (its drain or deadline): the timer runs by then. */
  defer(group: Group, at: number): void {
    this.deferrals++;
    if (group.timer === undefined || at < group.wakeAt) this.#arm(group, at);
  }

  /** @internal */
  remove(group: Group, batch: ReadBatch): void {
    group.members.delete(batch);
    if (group.members.size === 0) {
      this.#stop(group);
      this.#groups.delete(group.periodMs);
    } else if (![...group.members].some((member) => member.deferred)) {
      this.#stop(group);
    }
  }

  #arm(group: Group, at: number): void {
    if (group.timer !== undefined) clearTimeout(group.timer);
    group.wakeAt = at;
    // Whole milliseconds, as Node counts them anyway: a fractional delay would make it a timer list of its own.
    group.timer = setTimeout(() => this.#wake(group), Math.max(0, Math.ceil(at - this.now())));
  }

  #wake(group: Group): void {
    group.timer = undefined;
    this.wakes++;
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    let deferred = false;
    let drainEnd = false;
    for (const member of group.members) {
      const woke = member.wake(now);
      if (woke === 'resumed') this.resumes++;
      else if (woke === 'drained') this.drains++;
      if (member.deferred) {
        deferred = true;
        if (member.nextWake < next) next = member.nextWake;
      }
      if (member.needsDrainEnd) drainEnd = true;
    }
    if (drainEnd && !group.drainEndPending) {
      group.drainEndPending = true;
      setImmediate(() => {
        group.drainEndPending = false;
        for (const member of group.members) member.drainEnd();
      });
    }
    if (deferred) this.#arm(group, next);
  }

  #stop(group: Group): void {
    if (group.timer === undefined) return;
    clearTimeout(group.timer);
    group.timer = undefined;
  }
}

/** The process's scheduler: every session's connection joins it. */
export const defaultReadScheduler = new ReadScheduler();
