export { BoxWriter } from './box-writer.js';
export { CMAF_FILE_TYPE, ftypSize, writeFtyp, type FileType } from './boxes/ftyp.js';
export { Fmp4Error, Fmp4ErrorCode } from './errors.js';
export { fragmentSize, writeFragment, writeFragmentInto, type FragmentTrack, type Sample } from './fragment.js';
export { writeInitSegment } from './init-segment.js';
export { MAX_FRAGMENT_BYTES, MAX_INIT_TRACKS } from './limits.js';
export { codecStringOf, sampleEntryOf, type SampleEntry } from './sample-entry.js';
export type { InitTrack, TrackConfig } from './track-config.js';
export {
  boxSizeAt,
  readMoof,
  MAX_READ_SAMPLES,
  type ReadSample,
  type ReadTrackRun,
} from './progressive/fragment-reader.js';
export {
  progressiveHeader,
  initTracks,
  PROGRESSIVE_FILE_TYPE,
  MDAT_HEADER_SIZE,
  type ProgressiveChunk,
} from './progressive/progressive-header.js';
