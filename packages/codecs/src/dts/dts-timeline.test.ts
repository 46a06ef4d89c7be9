import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { DtsTimeline } from './dts-timeline.js';

const D = 3600; // 25 fps

/**
 * Coding orders (presentation indices in decode order) of GOPs as encoders make them:
 * I P B B (no pyramid), I P B b b (pyramid), and so on.
 */
const gop = {
  noB: [0, 1, 2, 3, 4, 5, 6, 7],
  bf2: [0, 3, 1, 2, 6, 4, 5, 9, 7, 8],
  pyramid: [0, 4, 2, 1, 3, 8, 6, 5, 7, 12, 10, 9, 11],
};

function run(
  order: readonly number[],
  options: { depth: number | undefined; start?: number; hint?: number; sequenceEvery?: number } = { depth: 0 },
): number[] {
  const timeline = new DtsTimeline();
  const start = options.start ?? 0;
  let sequenceStart = 0;
  return order.map((index, n) => {
    const starts = n === 0 || (options.sequenceEvery !== undefined && n % options.sequenceEvery === 0);
    if (starts) sequenceStart = index;
    return timeline.push({
      pts: start + index * D,
      poc: 2 * (index - sequenceStart),
      startsSequence: starts,
      reorderDepth: options.depth,
      frameDurationHint: options.hint,
    });
  });
}

/** x264/x265's DTS: the n-th smallest PTS, shifted back by the reorder depth. */
function encoderDts(order: readonly number[], depth: number, start = 0): number[] {
  const sorted = [...order].sort((a, b) => a - b);
  return order.map((_, n) => start + ((sorted[n] as number) - depth) * D);
}

describe('DtsTimeline', () => {
  it('gives DTS = PTS without reordering', () => {
    expect(run(gop.noB, { depth: 0 })).toEqual(gop.noB.map((i) => i * D));
  });

  it('matches the encoder with 2 B-frames (depth 1) and b-pyramid (depth 2)', () => {
    expect(run(gop.bf2, { depth: 1, hint: D })).toEqual(encoderDts(gop.bf2, 1));
    expect(run(gop.pyramid, { depth: 2, hint: D })).toEqual(encoderDts(gop.pyramid, 2));
  });

  it('extrapolates the first DTS with 30 fps when no frame rate is known (only those)', () => {
    const dts = run(gop.pyramid, { depth: 2 });
    expect(dts.slice(0, 2)).toEqual([-6000, -3000]);
    expect(dts.slice(2)).toEqual(encoderDts(gop.pyramid, 2).slice(2));
  });

  it('works with PTS near 2^40 and beyond 2^53 / 90000', () => {
    for (const start of [2 ** 40 + 17, 2 ** 52]) {
      expect(run(gop.pyramid, { depth: 2, hint: D, start })).toEqual(encoderDts(gop.pyramid, 2, start));
    }
  });

  it('continues the ranks across sequences (closed GOPs with IDR)', () => {
    const twoGops = [...gop.pyramid.slice(0, 9), ...gop.pyramid.slice(0, 9).map((i) => i + 9)];
    expect(run(twoGops, { depth: 2, hint: D, sequenceEvery: 9 })).toEqual(encoderDts(twoGops, 2));
  });

  it('restarts when a new sequence goes back in time, and is non-decreasing again from there', () => {
    const timeline = new DtsTimeline();
    const push = (pts: number, poc: number, startsSequence: boolean) =>
      timeline.push({ pts, poc, startsSequence, reorderDepth: 1, frameDurationHint: D });
    expect([push(100 * D, 0, true), push(102 * D, 4, false), push(101 * D, 2, false)]).toEqual([
      99 * D,
      100 * D,
      101 * D,
    ]);
    expect(push(10 * D, 0, true)).toBe(9 * D);
    expect(push(12 * D, 4, false)).toBe(10 * D);
  });

  it('learns the depth from POC gaps when the stream does not signal it', () => {
    const dts = run(gop.pyramid, { depth: undefined, hint: D });
    for (let n = 1; n < dts.length; n++) expect(dts[n]).toBeGreaterThanOrEqual(dts[n - 1] as number);
    dts.forEach((value, n) => expect(value).toBeLessThanOrEqual((gop.pyramid[n] as number) * D));
    // POC 0 then 8: three pictures will come in between, so it holds the DTS until three are kept
    // back, then steps evenly (one frame further back than x264, which signals 2).
    expect(dts).toEqual([0, 0, 0, 0, D, 2 * D, 3 * D, 4 * D, 5 * D, 6 * D, 7 * D, 8 * D, 9 * D]);
  });

  it('learning gives DTS = PTS for streams without B-frames, and forgets a gap from a lost picture', () => {
    expect(run(gop.noB, { depth: undefined })).toEqual(gop.noB.map((i) => i * D));
    // Picture 3 lost: POC jumps by 4, so the depth becomes 1 until the next sequence shows no reordering.
    const lossy = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const dts = run(lossy, { depth: undefined, sequenceEvery: 4 });
    expect(dts.slice(8)).toEqual(lossy.slice(8).map((i) => i * D));
  });

  it('learning detects a POC step of 1', () => {
    const timeline = new DtsTimeline();
    const order = [0, 3, 1, 2, 6, 4, 5];
    const dts = order.map((index, n) =>
      timeline.push({
        pts: index * D,
        poc: index,
        startsSequence: n === 0,
        reorderDepth: undefined,
        frameDurationHint: D,
      }),
    );
    dts.forEach((value, n) => expect(value).toBeLessThanOrEqual((order[n] as number) * D));
  });

  it('refuses one picture with CODECS_REORDER_EXCEEDED when the stream reorders more than it said, then copes', () => {
    const timeline = new DtsTimeline();
    const results = gop.pyramid.map((index, n) => {
      try {
        return timeline.push({
          pts: index * D,
          poc: 2 * index,
          startsSequence: n === 0,
          reorderDepth: 1,
          frameDurationHint: D,
        });
      } catch (err) {
        expect(err).toMatchObject({ code: CodecsErrorCode.REORDER_EXCEEDED });
        return undefined;
      }
    });
    // b1 (decoded after P4 and B2) is the one that cannot be placed; from then on the depth is 2.
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(timeline.reorderDepth).toBe(2);
    const given = results.filter((r): r is number => r !== undefined);
    for (let n = 1; n < given.length; n++) expect(given[n]).toBeGreaterThanOrEqual(given[n - 1] as number);
  });

  it(
    'fuzz: DTS never decreases within a sequence, never exceeds PTS, and steps evenly when the depth is right',
    { timeout: fuzzTimeout() },
    () => {
      // Mini-GOPs: an anchor, then its B-frames in any coding order (up to 4, so reordering up to 4).
      const miniGop = fc.integer({ min: 1, max: 5 }).chain((size) =>
        fc
          .shuffledSubarray(
            Array.from({ length: size - 1 }, (_, i) => i),
            { minLength: size - 1, maxLength: size - 1 },
          )
          .map((bs) => ({ size, bs })),
      );
      fc.assert(
        fc.property(
          fc.array(miniGop, { minLength: 1, maxLength: 12 }),
          fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
          fc.integer({ min: 1, max: 9000 }),
          fc.boolean(),
          (gops, start, duration, signaled) => {
            // Presentation indices in coding order; depth = most pictures decoded before and shown after one.
            const order: number[] = [0];
            let base = 0;
            for (const { size, bs } of gops) {
              order.push(base + size, ...bs.map((b) => base + 1 + b));
              base += size;
            }
            let depth = 0;
            order.forEach((p, n) => {
              depth = Math.max(depth, order.slice(0, n).filter((q) => q > p).length);
            });
            const timeline = new DtsTimeline();
            const dts: number[] = [];
            order.forEach((p, n) => {
              const pts = start + p * duration;
              const value = timeline.push({
                pts,
                poc: 2 * p,
                startsSequence: n === 0,
                reorderDepth: signaled ? depth : undefined,
                frameDurationHint: duration,
              });
              expect(value).toBeLessThanOrEqual(pts);
              if (n > 0) expect(value).toBeGreaterThanOrEqual(dts[n - 1] as number);
              dts.push(value);
            });
            if (signaled) {
              for (let n = 1; n < dts.length; n++) expect((dts[n] as number) - (dts[n - 1] as number)).toBe(duration);
            }
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
  );

  it(
    'fuzz: any POC and PTS sequence gives non-decreasing DTS <= PTS or a CodecsError',
    { timeout: fuzzTimeout() },
    () => {
      const picture = fc.record({
        pts: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        poc: fc.integer({ min: -64, max: 64 }),
        startsSequence: fc.boolean(),
        reorderDepth: fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined }),
        frameDurationHint: fc.option(fc.integer({ min: 1, max: 90_000 }), { nil: undefined }),
      });
      fc.assert(
        fc.property(fc.array(picture, { minLength: 1, maxLength: 40 }), (pictures) => {
          const timeline = new DtsTimeline();
          let prev = -Infinity;
          for (const p of pictures) {
            let dts: number;
            try {
              dts = timeline.push(p);
            } catch (err) {
              expect(err).toBeInstanceOf(CodecsError);
              continue;
            }
            expect(Number.isSafeInteger(dts)).toBe(true);
            expect(dts).toBeLessThanOrEqual(p.pts);
            if (!p.startsSequence) expect(dts).toBeGreaterThanOrEqual(prev);
            prev = dts;
          }
        }),
        { numRuns: fuzzRuns() },
      );
    },
  );
});
