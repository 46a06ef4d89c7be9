/**
 * Sample aspect ratios of aspect_ratio_idc 1..16: H.264 table E-1, H.265 table E-1 (identical).
 * Index 0 is "unspecified"; 255 (EXTENDED_SAR) carries sar_width and sar_height instead.
 */
const SAMPLE_ASPECT_RATIOS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [1, 1],
  [12, 11],
  [10, 11],
  [16, 11],
  [40, 33],
  [24, 11],
  [20, 11],
  [32, 11],
  [80, 33],
  [18, 11],
  [15, 11],
  [64, 33],
  [160, 99],
  [4, 3],
  [3, 2],
  [2, 1],
];

export const EXTENDED_SAR = 255;

/** The ratio of a table E-1 index, or undefined for "unspecified" and reserved values. */
export function sampleAspectRatio(idc: number): { num: number; den: number } | undefined {
  const ratio = idc >= 1 ? SAMPLE_ASPECT_RATIOS[idc] : undefined;
  return ratio === undefined ? undefined : { num: ratio[0], den: ratio[1] };
}
