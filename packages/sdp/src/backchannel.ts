import type { MediaDescription } from './media.js';
import type { SessionDescription } from './session.js';

/**
 * D-Link cameras (`o=CV-RTSPHandler ...`) mark the video they send `a=sendonly` (go2rtc#771):
 * their sections are never backchannels.
 */
const WRONGLY_SENDONLY_ORIGINS: readonly string[] = ['CV-RTSPHandler'];

/**
 * Whether a media section is an ONVIF audio backchannel: a stream the camera receives, which the
 * SDP marks `a=sendonly` because directions are written from the client's side (ONVIF Streaming
 * Specification, back channel connection; the camera's own streams are `a=recvonly` or unmarked). Such a section must
 * not be set up for viewing.
 *
 * Cameras get this wrong, so `sendonly` alone is not enough: when every section of the session is
 * `sendonly`, none is a backchannel (gortsplib un-marks them the same way), and D-Link's handler
 * marks its video `sendonly` beside an unmarked audio section, so its origin is recognised.
 */
export function isBackchannel(media: MediaDescription, session: SessionDescription): boolean {
  if (media.direction !== 'sendonly') return false;
  const user = session.origin?.split(/\s+/, 1)[0] ?? '';
  if (WRONGLY_SENDONLY_ORIGINS.includes(user)) return false;
  return session.medias.some((other) => other.direction !== 'sendonly');
}
