export { CodecsError, CodecsErrorCode } from './errors.js';
export { MAX_DPB_FRAMES, MAX_PARAMETER_SET_BYTES, MAX_PICTURE_DIMENSION } from './limits.js';

export { splitAccessUnits } from './nal/access-units.js';
export { isAnnexB, joinAnnexB, splitAnnexB } from './nal/annexb.js';
export { joinLengthPrefixed, splitLengthPrefixed } from './nal/length-prefixed.js';

export { h264CodecString } from './h264/codec-string.js';
export { H264DtsExtractor } from './h264/dts-extractor.js';
export { H264NalType, h264NalType } from './h264/nal-unit.js';
export { H264PocDecoder, type H264PictureOrder } from './h264/poc.js';
export { type H264Pps, parseH264Pps } from './h264/pps.js';
export {
  type H264ParameterSetLookup,
  type H264SliceHeader,
  H264SliceType,
  parseH264SliceHeader,
} from './h264/slice-header.js';
export { type H264Sps, parseH264Sps } from './h264/sps.js';
export { type H264Vui } from './h264/vui.js';
export { h264LevelName, h264ProfileName, h264VideoInfo, type VideoInfo } from './h264/video-info.js';

export { h265CodecString } from './h265/codec-string.js';
export { H265DtsExtractor } from './h265/dts-extractor.js';
export { H265NalType, h265NalType, isH265RandomAccess } from './h265/nal-unit.js';
export { H265PocDecoder } from './h265/poc.js';
export { type H265Pps, parseH265Pps } from './h265/pps.js';
export { type H265ProfileTierLevel } from './h265/profile-tier-level.js';
export { type H265ShortTermRefPicSet } from './h265/short-term-ref-pic-set.js';
export { type H265ParameterSetLookup, type H265SliceHeader, parseH265SliceHeader } from './h265/slice-header.js';
export { type H265Sps, parseH265Sps } from './h265/sps.js';
export { h265LevelName, h265ProfileName, h265VideoInfo } from './h265/video-info.js';
export { type H265Vps, parseH265Vps } from './h265/vps.js';
export { type H265Vui } from './h265/vui.js';

export { type AdtsHeader, isAdtsFrame, parseAdtsHeader } from './aac/adts.js';
export {
  AAC_SAMPLE_RATES,
  aacCodecString,
  type AudioSpecificConfig,
  parseAudioSpecificConfig,
  writeAudioSpecificConfig,
} from './aac/audio-specific-config.js';
export { parseStreamMuxConfig, readLatmPayloadLengths } from './aac/latm.js';

export { ALAW_TO_LINEAR, decodeAlaw, decodeUlaw, linearToUlaw, ULAW_TO_LINEAR } from './g711/g711.js';
export { flacCrc16, flacCrc8 } from './flac/crc.js';
export {
  encodeFlacFrame,
  FlacFrameEncoder,
  flacFrameBlockSize,
  type FlacFrameOptions,
  type FlacFramePosition,
} from './flac/frame.js';
export { FLAC_BITS_PER_SAMPLE, MAX_FLAC_BLOCK_SIZE, MAX_FLAC_CHANNELS, MAX_FLAC_SAMPLE_RATE } from './flac/limits.js';
export {
  FLAC_STREAMINFO_BYTES,
  flacMetadataBlock,
  FlacMetadataType,
  flacStreamInfo,
  type FlacStreamInfo,
} from './flac/stream-info.js';
