import { RtpError, RtpErrorCode } from '../errors.js';
import { MAX_RTP_PAYLOAD_SIZE, type RtpPayload } from './rtp-payload.js';

export interface RawPacketizeOptions {
  /**
   * The marker bit (default false). RFC 3551 §4.1 and RFC 7587 §4.1 set it only
   * on the first packet of a talkspurt after silence suppression or DTX; a
   * sender that sends continuously (as cameras do) never sets it.
   */
  marker?: boolean;
}

/**
 * Packetizes an audio frame that is its own payload: 20 ms of G.711 (PCMA,
 * PCMU; RFC 3551 §4.5.14, chunked by the caller) or one Opus packet (RFC 7587 §4.2).
 * The payload is `frame` itself, not a copy.
 */
export function packetizeRaw(frame: Uint8Array, options: RawPacketizeOptions = {}): RtpPayload[] {
  if (frame.length === 0 || frame.length > MAX_RTP_PAYLOAD_SIZE) {
    throw new RtpError(
      RtpErrorCode.INVALID_ARGUMENT,
      `an audio frame of ${frame.length} bytes does not fit one RTP payload (1..${MAX_RTP_PAYLOAD_SIZE})`,
    );
  }
  return [{ payload: frame, marker: options.marker ?? false }];
}
