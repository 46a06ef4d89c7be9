export { HlsError, HlsErrorCode } from './errors.js';
export {
  HlsStream,
  PLAYLIST_NAMES,
  STANDARD_PLAYLIST_NAMES,
  type HlsStreamOptions,
  type ExtraVariant,
  type HlsStreamStats,
} from './hls-stream.js';
export { MAX_UNREPORTED_SEGMENTS, type StreamContinuation, type StreamPosition } from './continuation.js';
export type { FrameSink, HlsFrame, HlsResponse, HlsTrack, RenditionName } from './types.js';
export type { RenditionReport } from './playlist/media-playlist.js';
export { computeStreamTiming, advancePartLimit, type StreamTiming } from './timing/stream-timing.js';
export { attr, formatAttributeList, type AttributeValue } from './playlist/attribute-list.js';
