import type { H264Sps } from '@camgate/codecs';
import type { BoxWriter } from '../box-writer.js';

/** The fields of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1). */
export interface AvcDecoderConfigurationRecord {
  /** profile_idc, the constraint-flag byte and level_idc of the SPS (H.264 §7.3.2.1.1). */
  profileIndication: number;
  profileCompatibility: number;
  levelIndication: number;
  /** chroma_format_idc and bit depths of the SPS, written only for profiles other than 66, 77 and 88. */
  chromaFormat: number;
  bitDepthLumaMinus8: number;
  bitDepthChromaMinus8: number;
  /** Whole NAL units with their header byte and emulation prevention bytes; at most 31, each < 64 KiB. */
  sequenceParameterSets: readonly Uint8Array[];
  /** At most 255, each < 64 KiB. */
  pictureParameterSets: readonly Uint8Array[];
}

/** The record for one SPS (already parsed as `sps`) and one PPS, as cameras send them. */
export function avcCRecordOf(sps: H264Sps, spsNal: Uint8Array, ppsNal: Uint8Array): AvcDecoderConfigurationRecord {
  return {
    profileIndication: sps.profileIdc,
    profileCompatibility: sps.constraintSetFlags,
    levelIndication: sps.levelIdc,
    chromaFormat: sps.chromaFormatIdc,
    bitDepthLumaMinus8: sps.bitDepthLuma - 8,
    bitDepthChromaMinus8: sps.bitDepthChroma - 8,
    sequenceParameterSets: [spsNal],
    pictureParameterSets: [ppsNal],
  };
}

/**
 * Profiles whose record ends after the PPS (14496-15 §5.3.3.1.2): Baseline, Main and Extended.
 * Every other profile (High 100, 110, 122, 144, 244, CAVLC 4:4:4 44, ...) carries chroma_format,
 * the bit depths and the SPS extensions.
 */
const PROFILES_WITHOUT_EXTENSION: ReadonlySet<number> = new Set([66, 77, 88]);

export function avcCSize(record: AvcDecoderConfigurationRecord): number {
  let size = 8 + 7; // box header; version, 3 profile/level bytes, lengthSizeMinusOne, SPS count, PPS count
  for (const nal of record.sequenceParameterSets) size += 2 + nal.length;
  for (const nal of record.pictureParameterSets) size += 2 + nal.length;
  if (hasExtension(record)) size += 4;
  return size;
}

/** AVCConfigurationBox (ISO/IEC 14496-15 §5.4.2.1) holding the record (§5.3.3.1.2), with 4-byte NAL lengths. */
export function writeAvcC(w: BoxWriter, record: AvcDecoderConfigurationRecord): void {
  const box = w.startBox('avcC');
  w.u8(1); // configurationVersion
  w.u8(record.profileIndication);
  w.u8(record.profileCompatibility);
  w.u8(record.levelIndication);
  w.u8(0xfc | 3); // reserved '111111', lengthSizeMinusOne = 3: samples carry 4-byte NAL lengths
  w.u8(0xe0 | record.sequenceParameterSets.length); // reserved '111', numOfSequenceParameterSets
  for (const nal of record.sequenceParameterSets) {
    w.u16(nal.length);
    w.bytesFrom(nal);
  }
  w.u8(record.pictureParameterSets.length);
  for (const nal of record.pictureParameterSets) {
    w.u16(nal.length);
    w.bytesFrom(nal);
  }
  if (hasExtension(record)) {
    w.u8(0xfc | record.chromaFormat); // reserved '111111', chroma_format
    w.u8(0xf8 | record.bitDepthLumaMinus8); // reserved '11111', bit_depth_luma_minus8
    w.u8(0xf8 | record.bitDepthChromaMinus8); // reserved '11111', bit_depth_chroma_minus8
    w.u8(0); // numOfSequenceParameterSetExt
  }
  w.endBox(box);
}

function hasExtension(record: AvcDecoderConfigurationRecord): boolean {
  return !PROFILES_WITHOUT_EXTENSION.has(record.profileIndication);
}
