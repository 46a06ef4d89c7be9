/** nal_unit_type values of ITU-T H.265 table 7-1 that camgate acts on. */
export const H265NalType = {
  BLA_W_LP: 16,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA_NUT: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  ACCESS_UNIT_DELIMITER: 35,
  END_OF_SEQUENCE: 36,
  END_OF_BITSTREAM: 37,
  FILLER_DATA: 38,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
} as const;

/** nal_unit_type from the two-byte H.265 NAL unit header (H.265 §7.3.1.2). */
export function h265NalType(nal: Uint8Array): number {
  return ((nal[0] ?? 0) >>> 1) & 0x3f;
}

/** IRAP pictures (BLA, IDR, CRA: types 16..23) are where a decoder can start (H.265 §3.73). */
export function isH265RandomAccess(nalType: number): boolean {
  return nalType >= 16 && nalType <= 23;
}
