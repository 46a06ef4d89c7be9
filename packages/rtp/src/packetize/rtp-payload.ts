import { RtpError, RtpErrorCode } from '../errors.js';

/** One RTP packet's payload and marker bit, before a session stamps its header. */
export interface RtpPayload {
  payload: Uint8Array;
  marker: boolean;
}

/**
 * 1400 bytes: 1400 + 12 (RTP) + 8 (UDP) + 20 (IPv4) stays under the 1500-byte
 * Ethernet MTU with room for a VPN or PPPoE header; GStreamer's payloaders
 * default to the same.
 */
export const DEFAULT_MAX_PAYLOAD_SIZE = 1400;

/**
 * 65 495 bytes: the largest UDP/IPv4 datagram payload (65 507) minus the
 * 12-byte RTP header. RTSP interleaved frames (16-bit length, RFC 2326 §10.12)
 * hold slightly more, so this fits both transports.
 */
export const MAX_RTP_PAYLOAD_SIZE = 65_495;

/** Checks a caller's maxPayloadSize against the smallest payload the format can make progress with. */
export function resolveMaxPayloadSize(value: number | undefined, minimum: number): number {
  const size = value ?? DEFAULT_MAX_PAYLOAD_SIZE;
  if (!Number.isInteger(size) || size < minimum || size > MAX_RTP_PAYLOAD_SIZE) {
    throw new RtpError(
      RtpErrorCode.INVALID_ARGUMENT,
      `maxPayloadSize ${size} is outside ${minimum}..${MAX_RTP_PAYLOAD_SIZE}`,
    );
  }
  return size;
}
