export { RtpError, RtpErrorCode } from './errors.js';
export { RtpPacket, parseRtpPacket } from './rtp-packet.js';
export { sequenceDistance } from './sequence.js';
export {
  REORDER_MAX_WAIT_MS,
  REORDER_WINDOW,
  ReorderBuffer,
  type InOrderHandler,
  type ReorderStats,
} from './reorder-buffer.js';
export { ntpMiddle32, ntpToUnixMs, unixMsToNtp } from './rtcp/ntp.js';
export { RtcpPacketType, parseRtcpCompound, type RtcpCompound, type SenderReport } from './rtcp/rtcp-packet.js';
export { ReceptionStats, type ReportBlock } from './rtcp/reception-stats.js';
export { buildReceiverReport } from './rtcp/receiver-report.js';
export { buildSenderReport, type SenderReportFields } from './rtcp/sender-report.js';
export { TimestampUnwrapper } from './timing/timestamp-unwrapper.js';
export {
  JUMP_ADOPTION_FRAMES,
  MAX_TIMESTAMP_JUMP_SECONDS,
  TrackTimeline,
  type SessionClock,
  type TimelinePoint,
} from './timing/track-timeline.js';
export { MAX_ACCESS_UNIT_BYTES, MAX_NALS_PER_ACCESS_UNIT } from './depacketize/access-unit-writer.js';
export { type AudioUnit } from './depacketize/audio-unit.js';
export { AacDepacketizer, MAX_AAC_ACCESS_UNIT_BYTES, type Rfc3640Parameters } from './depacketize/aac-depacketizer.js';
export { FrameDepacketizer } from './depacketize/frame-depacketizer.js';
export { H264Depacketizer } from './depacketize/h264-depacketizer.js';
export { H265Depacketizer } from './depacketize/h265-depacketizer.js';
export { LatmDepacketizer } from './depacketize/latm-depacketizer.js';
export { type DepacketizerSink, type VideoAccessUnit } from './depacketize/video-depacketizer.js';
export * from './packetize/index.js';
