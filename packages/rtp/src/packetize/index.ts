export { packetizeAac, type AacAccessUnit, type AacPacketizeOptions } from './aac.js';
export { packetizeH264, type H264PacketizeOptions } from './h264.js';
export { packetizeH265, type H265PacketizeOptions } from './h265.js';
export { packetizeRaw, type RawPacketizeOptions } from './raw.js';
export { RTP_HEADER_BYTES, buildRtpPacket, writeRtpHeader, type RtpHeaderFields } from './rtp-header.js';
export { DEFAULT_MAX_PAYLOAD_SIZE, MAX_RTP_PAYLOAD_SIZE, type RtpPayload } from './rtp-payload.js';
