// The client
export {
  RtspSession,
  type RtspSessionEvents,
  type RtspSessionOptions,
  type TransportMode,
} from './client/rtsp-session.js';
export type { Frame } from './client/frame.js';
export type { Track, TrackCodec, TrackConfig, UnsupportedTrack } from './client/track.js';
export type { SessionStats, TrackStats } from './client/stats.js';
export type { SessionLogger } from './client/logger.js';
export { RtspError, RtspErrorCode } from './errors.js';

// Messages and headers (shared with servers such as camsim)
export { RtspHeaders } from './message/headers.js';
export {
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  MAX_HEADER_COUNT,
  MessageReader,
  type MessageHandler,
  type MessageReaderOptions,
} from './message/message-reader.js';
export {
  REASON_PHRASES,
  serializeRequest,
  serializeResponse,
  type RtspRequest,
  type RtspResponse,
} from './message/message.js';
export { parsePublicHeader } from './headers/public.js';
export { parseRtpInfo, type RtpInfoEntry } from './headers/rtp-info.js';
export { parseSessionHeader, type SessionHeader } from './headers/session.js';
export { formatTransportHeader, parseTransportHeader, type TransportSpec } from './headers/transport.js';
export { parseWwwAuthenticate, type AuthChallenge } from './headers/www-authenticate.js';
export { Authenticator, type Credentials } from './auth/authenticator.js';
export { baseUrlFor, repairContentBase, resolveControlUrl } from './url/control-url.js';
export {
  CREDENTIAL_MASK,
  findUrlSecrets,
  parseRtspUrl,
  redactUrl,
  type RtspUrl,
  type UrlSecret,
} from './url/rtsp-url.js';
