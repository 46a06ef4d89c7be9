import { describe, expect, it } from 'vitest';
import { PDT_MAX_LAG_MS, ProgramDateTime } from './program-date-time.js';

const T0 = Date.UTC(2026, 11, 6, 3, 12, 0);

describe('ProgramDateTime', () => {
  it('follows the media clock within an epoch, whatever the wall clock jitters', () => {
    const pdt = new ProgramDateTime();
    expect(pdt.segment(T0, 10, true)).toBe(T0);
    // The next segment 2 s later on the timeline; its frame arrived 80 ms late or 30 ms early.
    expect(pdt.segment(T0 + 2080, 12, false)).toBe(T0 + 2000);
    expect(pdt.segment(T0 + 3970, 14, false)).toBe(T0 + 4000);
  });

  it('jumps forward when the wall clock is more than a second ahead, and follows from there', () => {
    const pdt = new ProgramDateTime();
    pdt.segment(T0, 10, true);
    expect(pdt.segment(T0 + 2000 + PDT_MAX_LAG_MS, 12, false)).toBe(T0 + 2000);
    expect(pdt.segment(T0 + 2000 + PDT_MAX_LAG_MS + 1, 12, false)).toBe(T0 + 3001);
    expect(pdt.segment(T0, 14, false)).toBe(T0 + 5001);
  });

  it('never goes back within an epoch; a new epoch takes the wall clock', () => {
    const pdt = new ProgramDateTime();
    pdt.segment(T0, 10, true);
    expect(pdt.segment(T0 - 60_000, 12, false)).toBe(T0 + 2000);
    expect(pdt.segment(T0 - 60_000, 14, true)).toBe(T0 - 60_000);
  });

  it('gives a time on the timeline (audio beside video), or the fallback before any anchor', () => {
    const pdt = new ProgramDateTime();
    expect(pdt.at(11, 42)).toBe(42);
    pdt.segment(T0, 10, true);
    expect(pdt.at(10.5, 42)).toBe(T0 + 500);
  });
});
