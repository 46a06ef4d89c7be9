import { BitReader } from '@camgate/bits';
import { CodecsError, CodecsErrorCode } from '../errors.js';
import { parseRbspPrefix } from '../nal/rbsp-prefix.js';
import { ceilLog2, readUe, withCode } from '../syntax.js';
import { H265NalType, h265NalType, isH265RandomAccess } from './nal-unit.js';
import { type H265Pps } from './pps.js';
import { type H265Sps } from './sps.js';

/** One reader for every slice header, reset per call (see BitReader.reset; parsing neither awaits nor recurses). */
const sliceReader = new BitReader(new Uint8Array(0));

/** The leading fields of a slice segment header (H.265 §7.3.6.1), up to slice_pic_order_cnt_lsb. */
export interface H265SliceHeader {
  nalType: number;
  /** TemporalId: nuh_temporal_id_plus1 - 1. */
  temporalId: number;
  firstSliceSegmentInPic: boolean;
  noOutputOfPriorPics?: boolean;
  ppsId: number;
  dependentSliceSegment: boolean;
  sliceSegmentAddress: number;
  /** 0 B, 1 P, 2 I; absent in a dependent slice segment, which continues the previous one. */
  sliceType?: number;
  picOutput: boolean;
  colourPlaneId?: number;
  /** Absent in IDR pictures (POC LSB 0) and dependent slice segments. */
  picOrderCntLsb?: number;
}

export interface H265ParameterSetLookup {
  sps(id: number): H265Sps | undefined;
  pps(id: number): H265Pps | undefined;
}

const INVALID = CodecsErrorCode.INVALID_SLICE_HEADER;
/** 32 bytes: every field up to slice_pic_order_cnt_lsb fits in 16 RBSP bytes at their largest. */
const SLICE_HEADER_PREFIX_BYTES = 32;
/** Retry bound: the fields parsed here can never need more, whatever the escapes. */
const MAX_SLICE_HEADER_BYTES = 64;

/**
 * Parses the start of a slice segment header from a VCL NAL unit (types 0..31, with its 2-byte
 * header and emulation prevention bytes), unescaping only a prefix. Throws
 * CODECS_MISSING_PARAMETER_SET when the PPS or SPS is unknown, CODECS_INVALID_SLICE_HEADER when malformed.
 */
export function parseH265SliceHeader(nal: Uint8Array, lookup: H265ParameterSetLookup): H265SliceHeader {
  const nalType = h265NalType(nal);
  if (nal.length < 3 || nalType > 31) {
    throw new CodecsError(INVALID, `not an H.265 slice segment (${nal.length} bytes, NAL type ${nalType})`);
  }
  const temporalIdPlus1 = (nal[1] as number) & 7;
  if (temporalIdPlus1 === 0) throw new CodecsError(INVALID, 'nuh_temporal_id_plus1 = 0');
  return withCode(INVALID, 'H.265 slice segment header', () =>
    parseRbspPrefix(nal, 2, SLICE_HEADER_PREFIX_BYTES, MAX_SLICE_HEADER_BYTES, (rbsp) =>
      readSliceHeader(sliceReader.reset(rbsp), nalType, temporalIdPlus1 - 1, lookup),
    ),
  );
}

function readSliceHeader(
  r: BitReader,
  nalType: number,
  temporalId: number,
  lookup: H265ParameterSetLookup,
): H265SliceHeader {
  const firstSliceSegmentInPic = r.readFlag();
  let noOutputOfPriorPics: boolean | undefined;
  if (isH265RandomAccess(nalType)) noOutputOfPriorPics = r.readFlag();
  const ppsId = readUe(r, 63, 'slice_pic_parameter_set_id', INVALID);
  const pps = lookup.pps(ppsId);
  if (pps === undefined) {
    throw new CodecsError(CodecsErrorCode.MISSING_PARAMETER_SET, `slice refers to unknown H.265 PPS ${ppsId}`);
  }
  const sps = lookup.sps(pps.spsId);
  if (sps === undefined) {
    throw new CodecsError(
      CodecsErrorCode.MISSING_PARAMETER_SET,
      `PPS ${ppsId} refers to unknown H.265 SPS ${pps.spsId}`,
    );
  }
  const header: H265SliceHeader = {
    nalType,
    temporalId,
    firstSliceSegmentInPic,
    ppsId,
    dependentSliceSegment: false,
    sliceSegmentAddress: 0,
    picOutput: true,
  };
  if (noOutputOfPriorPics !== undefined) header.noOutputOfPriorPics = noOutputOfPriorPics;
  if (!firstSliceSegmentInPic) {
    if (pps.dependentSliceSegmentsEnabled) header.dependentSliceSegment = r.readFlag();
    header.sliceSegmentAddress = r.readBits(ceilLog2(sps.picSizeInCtbs));
    if (header.sliceSegmentAddress >= sps.picSizeInCtbs) {
      throw new CodecsError(INVALID, `slice_segment_address ${header.sliceSegmentAddress} is outside the picture`);
    }
  }
  if (header.dependentSliceSegment) return header;
  r.skipBits(pps.numExtraSliceHeaderBits); // slice_reserved_flag[i]
  header.sliceType = readUe(r, 2, 'slice_type', INVALID);
  if (pps.outputFlagPresent) header.picOutput = r.readFlag();
  if (sps.separateColourPlane) header.colourPlaneId = r.readBits(2);
  if (nalType !== H265NalType.IDR_W_RADL && nalType !== H265NalType.IDR_N_LP) {
    header.picOrderCntLsb = r.readBits(sps.log2MaxPicOrderCntLsb);
  }
  return header;
}
