export { findAttribute, type Direction, type SdpAttribute } from './attribute.js';
export { isBackchannel } from './backchannel.js';
export { SdpError, SdpErrorCode } from './errors.js';
export { parseFmtpParameters } from './fmtp.js';
export {
  MAX_ATTRIBUTES_PER_SECTION,
  MAX_CHANNELS,
  MAX_CLOCK_RATE,
  MAX_LINE_LENGTH,
  MAX_MEDIAS,
  MAX_PAYLOAD_TYPE,
  MAX_SDP_BYTES,
} from './limits.js';
export type { MediaDescription } from './media.js';
export type { RtpMap } from './rtpmap.js';
export { parseSdp, type SessionDescription } from './session.js';
export { resolveTrackFormat, type TrackFormat } from './track-format.js';
