import { afterEach, describe, expect, it, vi } from 'vitest';
import { Waiters } from './waiters.js';

describe('Waiters', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('wakes the satisfied waiters on notify, and only them', async () => {
    vi.useFakeTimers();
    const waiters = new Waiters(() => Date.now());
    let value = 0;
    const a = waiters.wait(() => value >= 1, 1000);
    const b = waiters.wait(() => value >= 2, 1000);
    value = 1;
    waiters.notify();
    expect(await a).toBe(false);
    expect(waiters.size).toBe(1);
    value = 2;
    waiters.notify();
    expect(await b).toBe(false);
    expect(waiters.size).toBe(0);
  });

  it('a waiter whose signal aborts (the client left) is dropped at once; the others wait on', async () => {
    vi.useFakeTimers();
    const waiters = new Waiters(() => Date.now());
    let value = 0;
    const left = new AbortController();
    const gone = waiters.wait(() => value >= 1, 1000, left.signal);
    const stays = waiters.wait(() => value >= 1, 2000, new AbortController().signal);
    expect(waiters.size).toBe(2);
    left.abort();
    expect(await gone).toBe(true);
    expect(waiters.size).toBe(1);
    // Its deadline no longer drives the timer: the other waiter is still there after 1 s.
    await vi.advanceTimersByTimeAsync(1500);
    expect(waiters.size).toBe(1);
    value = 1;
    waiters.notify();
    expect(await stays).toBe(false);
    // Already aborted: nothing is held.
    expect(await waiters.wait(() => false, 1000, AbortSignal.abort())).toBe(true);
    expect(waiters.size).toBe(0);
  });

  it('times out with one timer, in deadline order', async () => {
    vi.useFakeTimers();
    const waiters = new Waiters(() => Date.now());
    const order: string[] = [];
    void waiters.wait(() => false, 300).then((t) => order.push(`a ${t}`));
    void waiters.wait(() => false, 100).then((t) => order.push(`b ${t}`));
    void waiters.wait(() => false, 200).then((t) => order.push(`c ${t}`));
    expect(vi.getTimerCount()).toBe(1);
    // Each at its own deadline: an earlier deadline arriving later re-arms the timer.
    await vi.advanceTimersByTimeAsync(150);
    expect(order).toEqual(['b true']);
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['b true', 'c true']);
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['b true', 'c true', 'a true']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('releaseAll answers everyone and leaves no timer', async () => {
    vi.useFakeTimers();
    const waiters = new Waiters(() => Date.now());
    const all = [waiters.wait(() => false, 1000), waiters.wait(() => false, 1000)];
    waiters.releaseAll();
    expect(await Promise.all(all)).toEqual([true, true]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a player holding a request per part re-arms the timer only when it runs, not per request', async () => {
    vi.useFakeTimers();
    const waiters = new Waiters(() => Date.now());
    const armed = vi.spyOn(globalThis, 'setTimeout');
    let part = 0;
    // 100 parts of 200 ms, each requested before it is published (a request held 600 ms at most).
    let held = waiters.wait(() => part >= 1, 600);
    for (let n = 1; n <= 100; n++) {
      await vi.advanceTimersByTimeAsync(200);
      part = n;
      const next = n + 1;
      const later = waiters.wait(() => part >= next, 600);
      waiters.notify();
      expect(await held).toBe(false);
      held = later;
    }
    // Once when the first request came, then once each time the timer ran: at the first deadline,
    // when the oldest request held is 400 ms from its own (every 400 ms of 20 s), where setting it
    // for every request and every publish was 200 times.
    expect(armed.mock.calls.length).toBeLessThanOrEqual(1 + (100 * 200) / 400);
    expect(vi.getTimerCount()).toBe(1);
    waiters.notify();
    part = 101;
    waiters.notify();
    expect(await held).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
