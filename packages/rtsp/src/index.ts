// The client
export {
  RtspSession,
  type RtspSessionEvents,
  type RtspSessionOptions,
  type TransportMode,
} from './client/rtsp-session.js';
export type { Frame } from './client/frame.js';
export { READ_BUFFER_BYTES } from './client/rtsp-connection.js';
export { ReadScheduler, defaultReadScheduler } from './client/read-scheduler.js';
export { SESSION_TICK_MS, SessionTicker, sessionTicker } from './client/session-ticker.js';
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
  MAX_INTERLEAVED_PAYLOAD,
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
