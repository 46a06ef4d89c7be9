import { BitWriter } from '@camgate/bits';
import { describe, expect, it } from 'vitest';
import { planSubframe, writeSubframe } from './subframe.js';

describe('planSubframe / writeSubframe (RFC 9639 §9.2)', () => {
  const sine = Int32Array.from({ length: 256 }, (_, i) => Math.round(12000 * Math.sin(i / 5)));
  const cases: Array<[name: string, samples: Int32Array, kind: string, order?: number]> = [
    ['all equal: CONSTANT', new Int32Array(32).fill(-5), 'constant'],
    [
      'a straight line: FIXED order 2 (its second difference is 0)',
      Int32Array.from({ length: 32 }, (_, i) => 3 * i - 40),
      'fixed',
      2,
    ],
    [
      'a steady value with noise of ±1: FIXED order 0',
      Int32Array.from({ length: 64 }, (_, i) => ((i * 7) % 3) - 1),
      'fixed',
      0,
    ],
    ['a smooth sine: a high FIXED order', sine, 'fixed'],
    [
      'alternating full scale: VERBATIM',
      Int32Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 32767 : -32768)),
      'verbatim',
    ],
  ];
  it.each(cases)('%s, and the planned size is the written size', (_name, samples, kind, order) => {
    const plan = planSubframe(samples, 16, new Float64Array(samples.length));
    expect(plan.kind).toBe(kind);
    if (order !== undefined) expect(plan.order).toBe(order);
    const w = new BitWriter();
    writeSubframe(w, samples, 16, plan);
    expect(w.position).toBe(plan.bits);
  });

  it('a sine takes well under half of verbatim', () => {
    const plan = planSubframe(sine, 16, new Float64Array(sine.length));
    expect(plan.order).toBeGreaterThanOrEqual(2);
    expect(plan.bits).toBeLessThan((16 * sine.length) / 2);
  });
});
