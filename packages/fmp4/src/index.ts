export { BoxWriter } from './box-writer.js';
export { CMAF_FILE_TYPE, ftypSize, writeFtyp, type FileType } from './boxes/ftyp.js';
export { Fmp4Error, Fmp4ErrorCode } from './errors.js';
