import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionTicker } from './session-ticker.js';

describe('SessionTicker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0, toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one interval for all its listeners, only while it has some', () => {
    const ticker = new SessionTicker({ periodMs: 500, now: () => Date.now() });
    const seen: string[] = [];
    const a = { tick: (now: number) => seen.push(`a${now}`) };
    const b = { tick: (now: number) => seen.push(`b${now}`) };
    expect([ticker.running, vi.getTimerCount()]).toEqual([false, 0]);
    ticker.add(a);
    ticker.add(b);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual(['a500', 'b500', 'a1000', 'b1000']);
    ticker.remove(a);
    expect(ticker.running).toBe(true);
    ticker.remove(b);
    ticker.remove(b); // idempotent
    expect([ticker.running, ticker.size, vi.getTimerCount()]).toEqual([false, 0, 0]);
  });

  it('lets a listener leave (a session failing in its watchdog) while the tick runs', () => {
    const ticker = new SessionTicker({ periodMs: 500, now: () => Date.now() });
    const seen: string[] = [];
    const b = { tick: () => seen.push('b') };
    const a = {
      tick: () => {
        seen.push('a');
        ticker.remove(a);
      },
    };
    ticker.add(a);
    ticker.add(b);
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual(['a', 'b', 'b']);
  });
});
