import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { firstNal, fixture } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded, randomAfter } from '../test-fuzz.js';
import { parseH265Pps } from './pps.js';

const ppsOf = (stream: string) => firstNal(fixture(`${stream}.h265`), 'h265', 34);

describe('parseH265Pps (H.265 §7.3.2.3.1)', () => {
  it('reads the x265 PPS (wavefront parallel processing and weighted prediction on, as x265 defaults)', () => {
    expect(parseH265Pps(ppsOf('h265-main'))).toEqual({
      ppsId: 0,
      spsId: 0,
      dependentSliceSegmentsEnabled: false,
      outputFlagPresent: false,
      numExtraSliceHeaderBits: 0,
      signDataHidingEnabled: true,
      cabacInitPresent: false,
      numRefIdxL0DefaultActive: 1,
      numRefIdxL1DefaultActive: 1,
      initQp: 26,
      constrainedIntraPred: false,
      transformSkipEnabled: false,
      cuQpDeltaEnabled: true,
      weightedPred: true,
      weightedBipred: false,
      transquantBypassEnabled: false,
      tilesEnabled: false,
      entropyCodingSyncEnabled: true,
    });
  });

  it.each([
    ['an SPS', [0x42, 0x01, 0x01]],
    ['a truncated PPS', [0x44, 0x01, 0xc1]],
    ['pps_pic_parameter_set_id 64', [0x44, 0x01, 0x02, 0x0a]],
  ])('%s: CODECS_INVALID_PARAMETER_SET', (_name, bytes) => {
    expect(() => parseH265Pps(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }),
    );
  });

  it('fuzz: random and damaged PPS parse or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    const seeds = ['h265-main', 'h265-main10'].map(ppsOf);
    fc.assert(
      fc.property(fc.oneof(randomAfter([0x44, 0x01], 24), mutated(seeds, 2)), (data) => {
        const pps = parsesOrThrowsCoded(() => parseH265Pps(data));
        if (pps !== undefined) expect(pps.ppsId).toBeLessThanOrEqual(63);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
