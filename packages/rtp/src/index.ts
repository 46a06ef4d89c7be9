export { RtpError, RtpErrorCode } from './errors.js';
export { RtpPacket, parseRtpPacket } from './rtp-packet.js';
