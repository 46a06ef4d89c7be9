import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEADLINE_GRID_MS, ReadScheduler } from './read-scheduler.js';

const PERIOD = 20;
const CAPACITY = 64 * 1024;

/** A socket stand-in: counts pause() and resume() and knows whether it reads. */
function fakeSocket() {
  const socket = {
    reading: true,
    resumes: 0,
    pauses: 0,
    pause() {
      socket.reading = false;
      socket.pauses++;
    },
    resume() {
      socket.reading = true;
      socket.resumes++;
    },
  };
  return socket;
}

describe('ReadScheduler (fake clock)', () => {
  let scheduler: ReadScheduler;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date'] });
    scheduler = new ReadScheduler({ now: () => Date.now() });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads at once until deferred; no timer without a deferred connection', () => {
    const socket = fakeSocket();
    const batch = scheduler.join(socket, PERIOD, { pauseOnShortRead: true, capacity: CAPACITY });
    expect(batch.afterRead(100)).toBe(true);
    expect(scheduler.activeTimers).toBe(0);
    // An end within one grid step reads at once: no timer either.
    batch.deferUntil(Date.now() + DEADLINE_GRID_MS - 1);
    expect(batch.deferred).toBe(false);
    expect(scheduler.activeTimers).toBe(0);
  });

  it('TCP: pauses after a short read while deferred, keeps reading after a full one, resumes on each tick', () => {
    const socket = fakeSocket();
    const batch = scheduler.join(socket, PERIOD, { pauseOnShortRead: true, capacity: CAPACITY });
    batch.deferUntil(Date.now() + 200);
    expect(scheduler.activeTimers).toBe(1);
    expect(batch.afterRead(CAPACITY)).toBe(true); // more is waiting: throughput is never capped
    expect(batch.afterRead(1400)).toBe(false); // drained: wait for the tick
    expect(batch.paused).toBe(true);
    vi.advanceTimersByTime(PERIOD);
    expect(socket.resumes).toBe(1);
    expect(batch.paused).toBe(false);
    expect(batch.afterRead(5000)).toBe(false);
    vi.advanceTimersByTime(PERIOD);
    expect(socket.resumes).toBe(2);
  });

  it('ends a deferral at its deadline (rounded down to the grid) between drains, then stops its timer', () => {
    const socket = fakeSocket();
    const batch = scheduler.join(socket, PERIOD, { pauseOnShortRead: true, capacity: CAPACITY });
    const start = Date.now();
    batch.deferUntil(start + 5 * PERIOD + 5); // 105 ms: on the grid, 104
    for (let drain = 1; drain <= 5; drain++) {
      // Each drain (20, 40, 60, 80 and 100 ms) resumes the socket, which reads and pauses again.
      expect(batch.afterRead(10)).toBe(false);
      vi.advanceTimersByTime(PERIOD);
      expect([batch.deferred, socket.resumes]).toEqual([true, drain]);
    }
    expect(batch.afterRead(10)).toBe(false);
    vi.advanceTimersByTime(3);
    expect(batch.deferred).toBe(true);
    vi.advanceTimersByTime(1);
    expect(Date.now() - start).toBe(104);
    expect([batch.deferred, batch.paused, socket.resumes]).toEqual([false, false, 6]);
    expect(batch.afterRead(10)).toBe(true);
    expect(scheduler.activeTimers).toBe(0);
    batch.deferUntil(Date.now() + 100);
    expect(scheduler.activeTimers).toBe(1);
  });

  it('in place (ReadBatchOptions.drain): a drain reads the paused socket without resuming it; the deadline resumes it', () => {
    const socket = fakeSocket();
    let drained = 0;
    const batch = scheduler.join(socket, PERIOD, {
      pauseOnShortRead: true,
      capacity: CAPACITY,
      drain: () => drained++,
    });
    const start = Date.now();
    batch.deferUntil(start + 3 * PERIOD + 5); // on the grid: 64 ms
    // Not paused yet (no short read): a drain has nothing to do.
    vi.advanceTimersByTime(PERIOD);
    expect([drained, socket.resumes]).toEqual([0, 0]);
    expect(batch.afterRead(10)).toBe(false);
    for (let tick = 1; tick <= 2; tick++) {
      vi.advanceTimersByTime(PERIOD);
      expect([drained, socket.resumes, batch.paused]).toEqual([tick, 0, true]);
    }
    expect([scheduler.drains, scheduler.resumes]).toEqual([2, 0]);
    // The deadline: the socket reads as data arrives again, through libuv.
    vi.advanceTimersByTime(64 - 3 * PERIOD);
    expect(Date.now() - start).toBe(64);
    expect([drained, socket.resumes, batch.deferred, batch.paused]).toEqual([2, 1, false, false]);
  });

  it('each connection drains a period after its deferral began: drains are spread as the deferrals are, not all at once', () => {
    const drained = [0, 0];
    const sockets = [fakeSocket(), fakeSocket()];
    const batches = sockets.map((socket, i) =>
      scheduler.join(socket, 100, {
        pauseOnShortRead: true,
        capacity: CAPACITY,
        drain: () => drained[i]!++,
      }),
    );
    const start = Date.now();
    batches[0]!.deferUntil(start + 1000);
    batches[0]!.afterRead(10);
    vi.advanceTimersByTime(40);
    batches[1]!.deferUntil(start + 1000);
    batches[1]!.afterRead(10);
    // Moved while it runs, a deferral keeps its drains.
    batches[0]!.deferUntil(start + 1200);
    vi.advanceTimersByTime(60); // 100 ms
    expect(drained).toEqual([1, 0]);
    vi.advanceTimersByTime(40); // 140 ms
    expect(drained).toEqual([1, 1]);
    vi.advanceTimersByTime(60); // 200 ms
    expect(drained).toEqual([2, 1]);
    expect(scheduler.wakes).toBe(3);
    expect(sockets.map((socket) => socket.resumes)).toEqual([0, 0]);
  });

  it('TLS: a deferred socket is paused at the end of its own drain; a paused one is resumed for it', () => {
    const sockets = [fakeSocket(), fakeSocket()];
    const batches = sockets.map((socket) =>
      scheduler.join(socket, 100, { pauseOnShortRead: false, capacity: CAPACITY }),
    );
    batches[0]!.deferUntil(Date.now() + 1000);
    vi.advanceTimersByTime(50);
    batches[1]!.deferUntil(Date.now() + 1000);
    vi.advanceTimersByTime(51); // 101 ms: the first's drain and its setImmediate
    expect(sockets.map((socket) => [socket.pauses, socket.resumes])).toEqual([
      [1, 0],
      [0, 0],
    ]);
    vi.advanceTimersByTime(50); // 151 ms: the second's
    expect(sockets.map((socket) => [socket.pauses, socket.resumes])).toEqual([
      [1, 0],
      [1, 0],
    ]);
    vi.advanceTimersByTime(50); // 201 ms: the first is resumed for its drain, and paused at its end
    expect(sockets.map((socket) => [socket.pauses, socket.resumes])).toEqual([
      [2, 1],
      [1, 0],
    ]);
  });

  it('in place: what a drain reads may end the deferral (the socket resumes) or close the connection (no timer left)', () => {
    const socket = fakeSocket();
    const batch = scheduler.join(socket, PERIOD, {
      pauseOnShortRead: true,
      capacity: CAPACITY,
      // A frame read asks for a deadline within a grid step: read at once from now.
      drain: () => batch.deferUntil(Date.now() + 1),
    });
    batch.deferUntil(Date.now() + 10 * PERIOD);
    batch.afterRead(10);
    vi.advanceTimersByTime(PERIOD);
    expect([socket.resumes, batch.deferred, batch.paused]).toEqual([1, false, false]);
    expect(scheduler.activeTimers).toBe(0);

    const closing = fakeSocket();
    const leaving = scheduler.join(closing, PERIOD, {
      pauseOnShortRead: true,
      capacity: CAPACITY,
      drain: () => leaving.leave(), // the camera hung up: read(2) returned 0
    });
    leaving.deferUntil(Date.now() + 10 * PERIOD);
    leaving.afterRead(10);
    vi.advanceTimersByTime(PERIOD);
    expect([closing.resumes, scheduler.size, scheduler.activeTimers]).toEqual([0, 1, 0]);
  });

  it('wakes once for deadlines that fall in one grid step, and before the next drain for an earlier one', () => {
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    const batches = sockets.map((s) => scheduler.join(s, 100, { pauseOnShortRead: true, capacity: CAPACITY }));
    const start = Date.now();
    // Deadlines at 41, 42 and 43 ms: one grid step (40), well before the drain at 100 ms.
    batches.forEach((batch, i) => {
      batch.deferUntil(start + 41 + i);
      batch.afterRead(10);
    });
    vi.advanceTimersByTime(39);
    expect(scheduler.wakes).toBe(0);
    vi.advanceTimersByTime(1);
    expect(scheduler.wakes).toBe(1);
    expect(batches.map((b) => b.deferred)).toEqual([false, false, false]);
    expect(sockets.map((s) => s.resumes)).toEqual([1, 1, 1]);
    expect(scheduler.activeTimers).toBe(0);
    // A later deadline, then an earlier one: the timer moves to the earlier.
    batches[0]?.deferUntil(Date.now() + 80);
    batches[1]?.deferUntil(Date.now() + 20);
    vi.advanceTimersByTime(20);
    expect(scheduler.wakes).toBe(2);
    expect([batches[0]?.deferred, batches[1]?.deferred]).toEqual([true, false]);
    vi.advanceTimersByTime(60);
    expect(scheduler.wakes).toBe(3);
    expect(batches[0]?.deferred).toBe(false);
  });

  it('a deadline resumes only its own socket; the others wait for the drain or their own deadline', () => {
    const sockets = [fakeSocket(), fakeSocket()];
    const batches = sockets.map((s) => scheduler.join(s, 100, { pauseOnShortRead: true, capacity: CAPACITY }));
    batches[0]?.deferUntil(Date.now() + 20);
    batches[1]?.deferUntil(Date.now() + 60);
    for (const batch of batches) expect(batch.afterRead(10)).toBe(false);
    vi.advanceTimersByTime(20);
    expect(sockets.map((s) => s.resumes)).toEqual([1, 0]);
    expect(batches.map((b) => b.paused)).toEqual([false, true]);
    // Deferred again, later than it was: the timer's earlier wake finds nothing due and it stays paused.
    batches[1]?.deferUntil(Date.now() + 70);
    vi.advanceTimersByTime(40);
    expect([sockets[1]?.resumes, batches[1]?.paused]).toEqual([0, true]);
    vi.advanceTimersByTime(30);
    expect([sockets[1]?.resumes, batches[1]?.deferred]).toEqual([1, false]);
  });

  it('a TLS socket paused at a drain is resumed by its deadline before the next drain', () => {
    const socket = fakeSocket();
    const batch = scheduler.join(socket, PERIOD, { pauseOnShortRead: false, capacity: CAPACITY });
    batch.deferUntil(Date.now() + PERIOD + 8);
    vi.advanceTimersByTime(PERIOD + 1); // the drain, then its setImmediate
    expect([socket.pauses, socket.resumes]).toEqual([1, 0]);
    vi.advanceTimersByTime(7);
    expect([batch.deferred, socket.resumes, socket.reading]).toEqual([false, 1, true]);
  });

  it('a deferral ended early by the owner resumes a paused socket at once', () => {
    const socket = fakeSocket();
    const batch = scheduler.join(socket, PERIOD, { pauseOnShortRead: true, capacity: CAPACITY });
    batch.deferUntil(Date.now() + 1000);
    expect(batch.afterRead(10)).toBe(false);
    batch.deferUntil(0);
    expect(socket.resumes).toBe(1);
    expect(batch.afterRead(10)).toBe(true);
  });

  it('TLS: never pauses on a short read (one record per read); pauses at the end of each tick’s drain', () => {
    const socket = fakeSocket();
    const batch = scheduler.join(socket, PERIOD, { pauseOnShortRead: false, capacity: CAPACITY });
    batch.deferUntil(Date.now() + 1000);
    expect(batch.afterRead(1404)).toBe(true);
    vi.advanceTimersByTime(PERIOD); // the tick
    expect(socket.pauses).toBe(0);
    vi.advanceTimersByTime(1); // its setImmediate (the fake clock runs it a millisecond on)
    expect(socket.pauses).toBe(1);
    expect(socket.reading).toBe(false);
    vi.advanceTimersByTime(PERIOD - 2);
    expect(socket.resumes).toBe(0);
    vi.advanceTimersByTime(2); // resumed at the tick, paused again after its drain
    expect([socket.resumes, socket.pauses]).toEqual([1, 2]);
  });

  it('one timer for every connection with the same period; leaving releases it (no open handle)', () => {
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    const batches = sockets.map((s) => scheduler.join(s, PERIOD, { pauseOnShortRead: true, capacity: CAPACITY }));
    for (const batch of batches) {
      batch.deferUntil(Date.now() + 10_000);
      batch.afterRead(10);
    }
    expect(scheduler.activeTimers).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(PERIOD);
    expect(sockets.map((s) => s.resumes)).toEqual([1, 1, 1]);
    batches[0]?.leave();
    batches[1]?.leave();
    expect(scheduler.activeTimers).toBe(1);
    batches[2]?.leave();
    batches[2]?.leave(); // idempotent
    expect([scheduler.activeTimers, scheduler.size, vi.getTimerCount()]).toEqual([0, 0, 0]);
    // A connection that left is not driven any more.
    batches[0]?.deferUntil(Date.now() + 10_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
