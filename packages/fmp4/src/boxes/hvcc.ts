import { H265NalType, type H265Sps } from '@camgate/codecs';
import type { BoxWriter } from '../box-writer.js';

/** One array of the record: NAL units of one type, all of them (array_completeness 1). */
export interface HevcNalArray {
  nalUnitType: number;
  /** Whole NAL units with their 2-byte header and emulation prevention bytes; at most 65535, each < 64 KiB. */
  nalUnits: readonly Uint8Array[];
}

/** The fields of an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1). */
export interface HevcDecoderConfigurationRecord {
  /** The general part of the SPS profile_tier_level() (H.265 §7.3.3). */
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  /** The 32 flags in coded order: flag j in bit 31 - j. */
  generalProfileCompatibilityFlags: number;
  /** 6 bytes. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  /** 12 bits; 0 = no restriction signalled. */
  minSpatialSegmentationIdc: number;
  /** 2 bits; 0 = unknown or mixed. */
  parallelismType: number;
  chromaFormatIdc: number;
  bitDepthLumaMinus8: number;
  bitDepthChromaMinus8: number;
  /** Frames per 256 s; 0 = unspecified. */
  avgFrameRate: number;
  /** 2 bits; 0 = may or may not be constant. */
  constantFrameRate: number;
  /** 3 bits: sps_max_sub_layers_minus1 + 1. */
  numTemporalLayers: number;
  temporalIdNested: boolean;
  arrays: readonly HevcNalArray[];
}

/** The record for one VPS, SPS (already parsed as `sps`) and PPS, as cameras send them. */
export function hvcCRecordOf(
  sps: H265Sps,
  nals: { vps: Uint8Array; sps: Uint8Array; pps: Uint8Array },
): HevcDecoderConfigurationRecord {
  const ptl = sps.profileTierLevel;
  return {
    generalProfileSpace: ptl.generalProfileSpace,
    generalTierFlag: ptl.generalTierFlag,
    generalProfileIdc: ptl.generalProfileIdc,
    generalProfileCompatibilityFlags: ptl.generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags: ptl.generalConstraintIndicatorFlags,
    generalLevelIdc: ptl.generalLevelIdc,
    // Both live in the VUI bitstream_restriction, which is rarely sent; 0 means "not signalled",
    // and parallelismType is meaningless without a spatial segmentation (as ffmpeg's hevc.c writes them).
    minSpatialSegmentationIdc: 0,
    parallelismType: 0,
    chromaFormatIdc: sps.chromaFormatIdc,
    bitDepthLumaMinus8: sps.bitDepthLuma - 8,
    bitDepthChromaMinus8: sps.bitDepthChroma - 8,
    avgFrameRate: 0,
    constantFrameRate: 0,
    numTemporalLayers: sps.maxSubLayersMinus1 + 1,
    temporalIdNested: sps.temporalIdNesting,
    arrays: [
      { nalUnitType: H265NalType.VPS, nalUnits: [nals.vps] },
      { nalUnitType: H265NalType.SPS, nalUnits: [nals.sps] },
      { nalUnitType: H265NalType.PPS, nalUnits: [nals.pps] },
    ],
  };
}

export function hvcCSize(record: HevcDecoderConfigurationRecord): number {
  let size = 8 + 23; // box header and the fixed fields up to numOfArrays
  for (const array of record.arrays) {
    size += 3; // completeness/type, numNalus
    for (const nal of array.nalUnits) size += 2 + nal.length;
  }
  return size;
}

/**
 * HEVCConfigurationBox (ISO/IEC 14496-15 §8.4.1.1) holding the record (§8.3.3.1.2), with 4-byte
 * NAL lengths. The reserved bits are all ones, including the '1111' before
 * min_spatial_segmentation_idc (mp4box.js 2.4.1 writes 0000 there).
 */
export function writeHvcC(w: BoxWriter, record: HevcDecoderConfigurationRecord): void {
  const box = w.startBox('hvcC');
  w.u8(1); // configurationVersion
  w.u8((record.generalProfileSpace << 6) | (record.generalTierFlag << 5) | record.generalProfileIdc);
  w.u32(record.generalProfileCompatibilityFlags);
  w.bytesFrom(record.generalConstraintIndicatorFlags);
  w.u8(record.generalLevelIdc);
  w.u16(0xf000 | record.minSpatialSegmentationIdc); // reserved '1111', min_spatial_segmentation_idc(12)
  w.u8(0xfc | record.parallelismType); // reserved '111111', parallelismType(2)
  w.u8(0xfc | record.chromaFormatIdc); // reserved '111111', chromaFormat(2)
  w.u8(0xf8 | record.bitDepthLumaMinus8); // reserved '11111', bitDepthLumaMinus8(3)
  w.u8(0xf8 | record.bitDepthChromaMinus8); // reserved '11111', bitDepthChromaMinus8(3)
  w.u16(record.avgFrameRate);
  // constantFrameRate(2), numTemporalLayers(3), temporalIdNested(1), lengthSizeMinusOne(2) = 3
  w.u8((record.constantFrameRate << 6) | (record.numTemporalLayers << 3) | (record.temporalIdNested ? 4 : 0) | 3);
  w.u8(record.arrays.length); // numOfArrays
  for (const array of record.arrays) {
    w.u8(0x80 | array.nalUnitType); // array_completeness 1, reserved 0, NAL_unit_type(6)
    w.u16(array.nalUnits.length);
    for (const nal of array.nalUnits) {
      w.u16(nal.length);
      w.bytesFrom(nal);
    }
  }
  w.endBox(box);
}
