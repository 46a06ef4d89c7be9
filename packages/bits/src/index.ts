export { BitReader } from './bit-reader.js';
export { BitWriter, type BitWriterOptions } from './bit-writer.js';
export { CodedError, isCodedError } from './coded-error.js';
export { addEmulationPrevention, removeEmulationPrevention } from './emulation-prevention.js';
export { BitsError, BitsErrorCode } from './errors.js';
