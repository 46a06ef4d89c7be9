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
// The timing rules a packager of camera frames shares with the live stream (a recorder).
export { OutputTimeline, START_SECONDS, type TimelineTrack } from './segmenter/output-timeline.js';
export { cutsAtKeyframe, mustForceCut, type KeyframeCut } from './segmenter/part-cutting.js';
export { ProgramDateTime } from './segmenter/program-date-time.js';
export { audioFrameTicks } from './segmenter/audio-alignment.js';
export {
  RecordingSegmenter,
  RECORDED_SEGMENT_SECONDS,
  RECORDED_TRACK_IDS,
  MAX_RECORDED_SEGMENT_SECONDS,
  type RecordedMedia,
  type RecordingSegmenterOptions,
  type RecordingSegmenterStats,
} from './recording/recording-segmenter.js';
export { vodPlaylist, MAX_GAP_FILL_MS, type VodSegment } from './playlist/vod-playlist.js';
