import type { BitWriter } from '@camgate/bits';

/**
 * Subframes of RFC 9639 §9.2 for one channel of a block: CONSTANT, VERBATIM or FIXED
 * (orders 0-4, §9.2.5) with a Rice-coded residual (§9.2.7, partition order 0), whichever
 * is smallest. No LPC: for camera audio (G.711 expanded to 16 bits) a fixed predictor gets
 * most of the gain at a fraction of the code.
 */

/** 4: the highest fixed-predictor order (RFC 9639 §9.2.5). */
const MAX_FIXED_ORDER = 4;
/** 14: Rice parameters 0..14 fit the 4-bit coding method; 15 is the escape code (§9.2.7). */
const MAX_RICE4_PARAMETER = 14;
/** 30: the 5-bit coding method allows 0..30; 31 is the escape code (§9.2.7). */
const MAX_RICE5_PARAMETER = 30;
/** Subframe header: 1 zero bit, 6 type bits, 1 wasted-bits flag (§9.2.1). */
const SUBFRAME_HEADER_BITS = 8;
/** Coding method (2) + partition order (4) + one Rice parameter (4 or 5) (§9.2.7). */
const RESIDUAL_HEADER_BITS = 2 + 4;

/** The choice for one channel and its exact size in bits. */
export interface SubframePlan {
  kind: 'constant' | 'verbatim' | 'fixed';
  bits: number;
  order: number;
  riceParameter: number;
}

/** Residual of fixed predictor `order` at sample i >= order (RFC 9639 §9.2.5, Table 21). */
function fixedResidual(s: Int32Array, i: number, order: number): number {
  switch (order) {
    case 0:
      return s[i] as number;
    case 1:
      return (s[i] as number) - (s[i - 1] as number);
    case 2:
      return (s[i] as number) - 2 * (s[i - 1] as number) + (s[i - 2] as number);
    case 3:
      return (s[i] as number) - 3 * (s[i - 1] as number) + 3 * (s[i - 2] as number) - (s[i - 3] as number);
    default:
      return (
        (s[i] as number) -
        4 * (s[i - 1] as number) +
        6 * (s[i - 2] as number) -
        4 * (s[i - 3] as number) +
        (s[i - 4] as number)
      );
  }
}

/** Zigzag fold of §9.2.7.2: 0, -1, 1, -2 ... become 0, 1, 2, 3 ... */
function fold(residual: number): number {
  return residual >= 0 ? 2 * residual : -2 * residual - 1;
}

/** Exact Rice-coded size of folded values with parameter k: a stop bit, k low bits, and the unary quotient. */
function riceBits(folded: Float64Array, count: number, k: number): number {
  const divisor = 2 ** k;
  let bits = count * (1 + k);
  for (let i = 0; i < count; i++) bits += Math.floor((folded[i] as number) / divisor);
  return bits;
}

/**
 * Picks the smallest subframe for `samples` (one channel, `bps` bits signed). `scratch`
 * must hold samples.length values; it is overwritten.
 */
export function planSubframe(samples: Int32Array, bps: number, scratch: Float64Array): SubframePlan {
  const n = samples.length;
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = samples[i] === samples[0];
  if (constant) return { kind: 'constant', bits: SUBFRAME_HEADER_BITS + bps, order: 0, riceParameter: 0 };

  let best: SubframePlan = { kind: 'verbatim', bits: SUBFRAME_HEADER_BITS + n * bps, order: 0, riceParameter: 0 };
  const maxOrder = Math.min(MAX_FIXED_ORDER, n - 1);
  for (let order = 0; order <= maxOrder; order++) {
    const count = n - order;
    let sum = 0;
    for (let i = order; i < n; i++) {
      const u = fold(fixedResidual(samples, i, order));
      scratch[i - order] = u;
      sum += u;
    }
    // The best parameter is near log2 of the mean folded value; try its neighbours exactly.
    const estimate = sum / count < 1 ? 0 : Math.floor(Math.log2(sum / count));
    for (let k = Math.max(0, estimate - 1); k <= Math.min(MAX_RICE5_PARAMETER, estimate + 1); k++) {
      const paramBits = k > MAX_RICE4_PARAMETER ? 5 : 4;
      const bits = SUBFRAME_HEADER_BITS + order * bps + RESIDUAL_HEADER_BITS + paramBits + riceBits(scratch, count, k);
      if (bits < best.bits) best = { kind: 'fixed', bits, order, riceParameter: k };
    }
  }
  return best;
}

function writeSigned(w: BitWriter, value: number, bits: number): void {
  w.writeBits(value < 0 ? value + 2 ** bits : value, bits);
}

/** Writes the subframe `plan` chose for `samples` (RFC 9639 §9.2). */
export function writeSubframe(w: BitWriter, samples: Int32Array, bps: number, plan: SubframePlan): void {
  w.writeBit(0); // §9.2.1: a zero bit keeps the subframe header from looking like a frame sync code
  if (plan.kind === 'constant') {
    w.writeBits(0b000000, 6);
    w.writeBit(0); // no wasted bits
    writeSigned(w, samples[0] as number, bps);
    return;
  }
  if (plan.kind === 'verbatim') {
    w.writeBits(0b000001, 6);
    w.writeBit(0);
    for (const sample of samples) writeSigned(w, sample, bps);
    return;
  }
  w.writeBits(0b001000 | plan.order, 6);
  w.writeBit(0);
  for (let i = 0; i < plan.order; i++) writeSigned(w, samples[i] as number, bps); // warm-up samples
  const k = plan.riceParameter;
  const wide = k > MAX_RICE4_PARAMETER;
  w.writeBits(wide ? 0b01 : 0b00, 2); // coding method: 4- or 5-bit Rice parameters
  w.writeBits(0, 4); // partition order 0: one partition holds the whole residual
  w.writeBits(k, wide ? 5 : 4);
  const divisor = 2 ** k;
  for (let i = plan.order; i < samples.length; i++) {
    const u = fold(fixedResidual(samples, i, plan.order));
    let quotient = Math.floor(u / divisor);
    while (quotient >= 32) {
      w.writeBits(0, 32);
      quotient -= 32;
    }
    w.writeBits(0, quotient);
    w.writeBit(1);
    if (k > 0) w.writeBits(u - Math.floor(u / divisor) * divisor, k);
  }
}
