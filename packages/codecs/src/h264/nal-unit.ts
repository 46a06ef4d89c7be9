/** nal_unit_type values of ITU-T H.264 table 7-1 that camgate acts on. */
export const H264NalType = {
  NON_IDR_SLICE: 1,
  IDR_SLICE: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  ACCESS_UNIT_DELIMITER: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER_DATA: 12,
} as const;

/** nal_unit_type from the first byte of an H.264 NAL unit (H.264 §7.3.1). */
export function h264NalType(nal: Uint8Array): number {
  return (nal[0] ?? 0) & 0x1f;
}
