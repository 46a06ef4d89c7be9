export { CamsimError, CamsimErrorCode } from './errors.js';
export { RtpClock, type Rational } from './rtp-clock.js';
export {
  CLIP_NAMES,
  loadClip,
  parseClip,
  type Clip,
  type ClipFrame,
  type ClipName,
  type ClipTrack,
} from './clip/index.js';
export {
  packetizeClip,
  type PacketizeOptions,
  type PacketizedFrame,
  type PacketizedTrack,
} from './media/packetized-clip.js';
export { StreamPlayer, type StreamSubscriber } from './media/stream-player.js';
export {
  CamsimServer,
  type CamsimHooks,
  type CamsimServerOptions,
  type HookContext,
  type OutgoingPacket,
  type SentFrame,
  type ResponseSpec,
} from './server/camsim-server.js';
export type { AuthScheme, CamsimAuthOptions } from './server/server-auth.js';
