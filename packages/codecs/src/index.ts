export { CodecsError, CodecsErrorCode } from './errors.js';
export { h264CodecString } from './h264/codec-string.js';
export { H264NalType, h264NalType } from './h264/nal-unit.js';
export { H265NalType, h265NalType, isH265RandomAccess } from './h265/nal-unit.js';
