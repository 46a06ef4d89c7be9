import { addEmulationPrevention, BitWriter } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { firstNal, fixture } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded, randomAfter } from '../test-fuzz.js';
import { parseH265Vps } from './vps.js';

const vpsOf = (stream: string) => firstNal(fixture(`${stream}.h265`), 'h265', 32);

describe('parseH265Vps (H.265 §7.3.2.1)', () => {
  it('reads the x265 VPS', () => {
    expect(parseH265Vps(vpsOf('h265-main10'))).toEqual({
      vpsId: 0,
      maxSubLayersMinus1: 0,
      temporalIdNesting: true,
      profileTierLevel: {
        generalProfileSpace: 0,
        generalTierFlag: 0,
        generalProfileIdc: 2,
        generalProfileCompatibilityFlags: 0x20000000,
        generalConstraintIndicatorFlags: Uint8Array.of(0x90, 0, 0, 0, 0, 0),
        generalLevelIdc: 60,
      },
      maxLayersMinus1: 0,
      maxNumReorderPics: 2,
    });
  });

  it('reads VPS timing information and skips HRD parameters and layer sets', () => {
    const w = new BitWriter();
    w.writeBits(3, 4); // vps_video_parameter_set_id
    w.writeBits(3, 2); // base layer internal and available
    w.writeBits(0, 6); // vps_max_layers_minus1
    w.writeBits(1, 3); // vps_max_sub_layers_minus1
    w.writeBit(1); // vps_temporal_id_nesting_flag
    w.writeBits(0xffff, 16);
    // profile_tier_level(1, 1): general part, one sub-layer with profile and level, reserved bits.
    w.writeBits(0x01, 8);
    w.writeBits(0x60000000, 32);
    w.writeBits(0xb00000, 24);
    w.writeBits(0, 24);
    w.writeBits(120, 8);
    w.writeBits(3, 2);
    w.writeBits(0, 14);
    w.writeBits(0, 32);
    w.writeBits(0, 32);
    w.writeBits(0, 24);
    w.writeBits(90, 8);
    w.writeBit(1); // vps_sub_layer_ordering_info_present_flag
    for (const reorder of [0, 1]) {
      w.writeUE(3);
      w.writeUE(reorder);
      w.writeUE(0);
    }
    w.writeBits(1, 6); // vps_max_layer_id
    w.writeUE(1); // vps_num_layer_sets_minus1
    w.writeBits(3, 2); // layer_id_included_flag[1][0..1]
    w.writeBit(1); // vps_timing_info_present_flag
    w.writeBits(1001, 32);
    w.writeBits(30000, 32);
    w.writeBit(0); // vps_poc_proportional_to_timing_flag
    w.writeUE(1); // vps_num_hrd_parameters
    w.writeUE(0); // hrd_layer_set_idx
    // hrd_parameters(1, 1): NAL HRD, no sub-picture parameters, one CPB per sub-layer.
    w.writeBit(1);
    w.writeBit(0);
    w.writeBit(0); // sub_pic_hrd_params_present_flag
    w.writeBits(0, 8 + 15);
    for (let i = 0; i < 2; i++) {
      w.writeBit(1); // fixed_pic_rate_general_flag
      w.writeUE(0); // elemental_duration_in_tc_minus1
      w.writeUE(0); // cpb_cnt_minus1
      w.writeUE(5000);
      w.writeUE(8000);
      w.writeBit(0);
    }
    w.writeBit(0); // vps_extension_flag
    w.writeTrailingBits();
    const vps = parseH265Vps(Uint8Array.from([0x40, 0x01, ...addEmulationPrevention(w.toUint8Array())]));
    expect(vps).toMatchObject({ vpsId: 3, maxSubLayersMinus1: 1, maxNumReorderPics: 1, fps: 30000 / 1001 });
    expect(vps.profileTierLevel.generalLevelIdc).toBe(120);
  });

  it.each([
    ['an SPS', [0x42, 0x01, 0x01]],
    ['a truncated VPS', [0x40, 0x01, 0x0c, 0x01, 0xff]],
  ])('%s: CODECS_INVALID_PARAMETER_SET', (_name, bytes) => {
    expect(() => parseH265Vps(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }),
    );
  });

  it('fuzz: random and damaged VPS parse or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    const seeds = ['h265-main', 'h265-main10', 'h265-main-nob'].map(vpsOf);
    fc.assert(
      fc.property(fc.oneof(randomAfter([0x40, 0x01], 64), mutated(seeds, 2)), (data) => {
        parsesOrThrowsCoded(() => parseH265Vps(data));
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
