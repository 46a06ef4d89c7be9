import { type BitReader } from '@camgate/bits';
import { CodecsError, type CodecsErrorCode } from '../errors.js';
import { MAX_DPB_FRAMES } from '../limits.js';
import { readUe } from '../syntax.js';

/** A short-term reference picture set (H.265 §7.3.7, §7.4.8), as derived POC deltas. */
export interface H265ShortTermRefPicSet {
  /** DeltaPocS0: negative deltas, closest first. */
  deltaPocS0: number[];
  usedByCurrPicS0: boolean[];
  /** DeltaPocS1: positive deltas, closest first. */
  deltaPocS1: number[];
  usedByCurrPicS1: boolean[];
}

/** 2^15: delta_poc_s*_minus1 and abs_delta_rps_minus1 are below 2^15 (§7.4.8). */
const MAX_DELTA_POC = 2 ** 15;

/**
 * st_ref_pic_set(stRpsIdx) of §7.3.7 with the derivation of §7.4.8. `sets` holds the sets
 * 0..stRpsIdx-1 already parsed; `numSets` is num_short_term_ref_pic_sets (stRpsIdx == numSets
 * only in a slice header). NumNegativePics and NumPositivePics are bounded by the DPB size.
 */
export function readShortTermRefPicSet(
  r: BitReader,
  stRpsIdx: number,
  numSets: number,
  sets: readonly H265ShortTermRefPicSet[],
  code: CodecsErrorCode,
): H265ShortTermRefPicSet {
  const interRefPicSetPrediction = stRpsIdx !== 0 && r.readFlag();
  if (!interRefPicSetPrediction) {
    const numNegative = readUe(r, MAX_DPB_FRAMES, 'num_negative_pics', code);
    const numPositive = readUe(r, MAX_DPB_FRAMES - numNegative, 'num_positive_pics', code);
    const set: H265ShortTermRefPicSet = { deltaPocS0: [], usedByCurrPicS0: [], deltaPocS1: [], usedByCurrPicS1: [] };
    let poc = 0;
    for (let i = 0; i < numNegative; i++) {
      poc -= readUe(r, MAX_DELTA_POC - 1, 'delta_poc_s0_minus1', code) + 1;
      set.deltaPocS0.push(poc);
      set.usedByCurrPicS0.push(r.readFlag());
    }
    poc = 0;
    for (let i = 0; i < numPositive; i++) {
      poc += readUe(r, MAX_DELTA_POC - 1, 'delta_poc_s1_minus1', code) + 1;
      set.deltaPocS1.push(poc);
      set.usedByCurrPicS1.push(r.readFlag());
    }
    return set;
  }

  const deltaIdx = stRpsIdx === numSets ? readUe(r, stRpsIdx - 1, 'delta_idx_minus1', code) + 1 : 1;
  const ref = sets[stRpsIdx - deltaIdx];
  if (ref === undefined) throw new CodecsError(code, `st_ref_pic_set ${stRpsIdx} predicts from a missing set`);
  const sign = r.readFlag();
  const deltaRps = (sign ? -1 : 1) * (readUe(r, MAX_DELTA_POC - 1, 'abs_delta_rps_minus1', code) + 1);
  const numNegative = ref.deltaPocS0.length;
  const numDelta = numNegative + ref.deltaPocS1.length;
  const used: boolean[] = [];
  const useDelta: boolean[] = [];
  for (let j = 0; j <= numDelta; j++) {
    const usedByCurrPic = r.readFlag();
    used.push(usedByCurrPic);
    useDelta.push(usedByCurrPic ? true : r.readFlag());
  }

  // (7-61), (7-62)
  const set: H265ShortTermRefPicSet = { deltaPocS0: [], usedByCurrPicS0: [], deltaPocS1: [], usedByCurrPicS1: [] };
  for (let j = ref.deltaPocS1.length - 1; j >= 0; j--) {
    const dPoc = (ref.deltaPocS1[j] as number) + deltaRps;
    if (dPoc < 0 && useDelta[numNegative + j] === true) {
      set.deltaPocS0.push(dPoc);
      set.usedByCurrPicS0.push(used[numNegative + j] as boolean);
    }
  }
  if (deltaRps < 0 && useDelta[numDelta] === true) {
    set.deltaPocS0.push(deltaRps);
    set.usedByCurrPicS0.push(used[numDelta] as boolean);
  }
  for (let j = 0; j < numNegative; j++) {
    const dPoc = (ref.deltaPocS0[j] as number) + deltaRps;
    if (dPoc < 0 && useDelta[j] === true) {
      set.deltaPocS0.push(dPoc);
      set.usedByCurrPicS0.push(used[j] as boolean);
    }
  }
  for (let j = numNegative - 1; j >= 0; j--) {
    const dPoc = (ref.deltaPocS0[j] as number) + deltaRps;
    if (dPoc > 0 && useDelta[j] === true) {
      set.deltaPocS1.push(dPoc);
      set.usedByCurrPicS1.push(used[j] as boolean);
    }
  }
  if (deltaRps > 0 && useDelta[numDelta] === true) {
    set.deltaPocS1.push(deltaRps);
    set.usedByCurrPicS1.push(used[numDelta] as boolean);
  }
  for (let j = 0; j < ref.deltaPocS1.length; j++) {
    const dPoc = (ref.deltaPocS1[j] as number) + deltaRps;
    if (dPoc > 0 && useDelta[numNegative + j] === true) {
      set.deltaPocS1.push(dPoc);
      set.usedByCurrPicS1.push(used[numNegative + j] as boolean);
    }
  }
  if (set.deltaPocS0.length + set.deltaPocS1.length > MAX_DPB_FRAMES) {
    throw new CodecsError(code, `st_ref_pic_set ${stRpsIdx} holds more than ${MAX_DPB_FRAMES} pictures`);
  }
  return set;
}
