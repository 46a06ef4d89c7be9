/**
 * Read batching (RtspSessionOptions.readBatchMs): a deferred connection's socket
 * is drained on one timer shared by all connections of the process, instead of
 * on every readiness event (each a wake-up, a read and a callback chain).
 *
 * Mechanism: sockets read with `onread` into one buffer. While a connection is
 * deferred, a plain TCP socket pauses after a read that did not fill the buffer
 * (the kernel's receive buffer was drained: libuv makes the same inference); a
 * full read means more is waiting, so it keeps reading and batching never caps
 * throughput. Each tick resumes the paused sockets, which then read everything
 * that arrived since. TLS delivers at most one record per read (16 KiB, RFC 8446
 * §5.1; 1.4 KB when the camera writes a record per packet), so a short read says
 * nothing there: a deferred TLS socket is paused instead at the end of the tick's
 * drain (setImmediate runs after the poll phase in which the resumed sockets
 * read what was waiting).
 *
 * A deferral ends one tick early: at the first tick where tick time + period
 * reaches its end, the socket reads as data arrives again (no timer of its own),
 * until the next deferUntil().
 */

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
}

interface Group {
  periodMs: number;
  members: Set<ReadBatch>;
  timer: NodeJS.Timeout | undefined;
  /** A setImmediate pausing TLS members at the end of this tick's drain is pending. */
  drainEndPending: boolean;
}

/** One connection's membership; see the module comment. */
export class ReadBatch {
  /** Reads are batched: paused between ticks. */
  #deferred = false;
  /** Paused by the scheduler, to be resumed at the next tick. */
  #paused = false;
  #until = 0;
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

  /**
   * Batches reads until `monotonicMs` (performance.now() clock), ending one tick early. An end
   * within one period from now (or in the past) reads at once again.
   */
  deferUntil(monotonicMs: number): void {
    if (this.#left) return;
    this.#until = monotonicMs;
    if (this.#scheduler.now() + this.#group.periodMs >= monotonicMs) {
      this.#eager();
      return;
    }
    this.#deferred = true;
    this.#scheduler.start(this.#group);
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

  /** @internal a tick at `now`; whether it resumed the socket. */
  tick(now: number): boolean {
    if (this.#deferred && now + this.#group.periodMs >= this.#until) this.#deferred = false;
    if (!this.#paused) return false;
    this.#paused = false;
    this.#reader.resume();
    return true;
  }

  /** @internal the end of a tick's drain: a TLS member still deferred stops reading until the next tick. */
  drainEnd(): void {
    if (!this.#deferred || this.#paused || this.#options.pauseOnShortRead) return;
    this.#paused = true;
    this.#reader.pause();
  }

  /** @internal */
  get needsDrainEnd(): boolean {
    return this.#deferred && !this.#options.pauseOnShortRead;
  }

  #eager(): void {
    this.#deferred = false;
    if (this.#paused) {
      this.#paused = false;
      this.#reader.resume();
    }
  }
}

/**
 * The shared timer(s) of read batching: one interval per distinct period in use (in practice one,
 * the gateway's readBatchMs), running only while some connection is deferred. The interval keeps
 * the process alive on purpose: a paused socket does not (libuv stops its handle), and a session
 * whose sockets are all paused is still running.
 */
export class ReadScheduler {
  readonly now: () => number;
  /** Sockets resumed by a tick (each a batched drain), since the start: for tests and metrics. */
  resumes = 0;
  readonly #groups = new Map<number, Group>();

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Timers running (for tests and metrics: 0 when no connection is deferred). */
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
      group = { periodMs, members: new Set(), timer: undefined, drainEndPending: false };
      this.#groups.set(periodMs, group);
    }
    const batch = new ReadBatch(this, group, reader, options);
    group.members.add(batch);
    return batch;
  }

  /** @internal */
  start(group: Group): void {
    group.timer ??= setInterval(() => this.#tick(group), group.periodMs);
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

  #tick(group: Group): void {
    const now = this.now();
    let deferred = false;
    let drainEnd = false;
    for (const member of group.members) {
      if (member.tick(now)) this.resumes++;
      if (member.deferred) deferred = true;
      if (member.needsDrainEnd) drainEnd = true;
    }
    if (drainEnd && !group.drainEndPending) {
      group.drainEndPending = true;
      setImmediate(() => {
        group.drainEndPending = false;
        for (const member of group.members) member.drainEnd();
      });
    }
    if (!deferred) this.#stop(group);
  }

  #stop(group: Group): void {
    if (group.timer === undefined) return;
    clearInterval(group.timer);
    group.timer = undefined;
  }
}

/** The process's scheduler: every session's connection joins it. */
export const defaultReadScheduler = new ReadScheduler();
