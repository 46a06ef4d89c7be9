import { describe, expect, it } from 'vitest';
import { H264NalType, h264NalType } from './nal-unit.js';

describe('h264NalType (H.264 §7.3.1)', () => {
  it.each([
    [0x67, H264NalType.SPS],
    [0x68, H264NalType.PPS],
    [0x65, H264NalType.IDR_SLICE],
    [0x41, H264NalType.NON_IDR_SLICE],
    [0x06, H264NalType.SEI],
    [0x09, H264NalType.ACCESS_UNIT_DELIMITER],
  ])('header byte %i -> type %i', (header, type) => {
    expect(h264NalType(Uint8Array.of(header))).toBe(type);
  });

  it('treats an empty NAL unit as type 0 (unspecified) instead of throwing', () => {
    expect(h264NalType(new Uint8Array(0))).toBe(0);
  });
});
