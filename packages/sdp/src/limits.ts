// Bounds on what a camera's DESCRIBE answer can make us parse and keep (B13 in
// reliability-security.md). Real camera SDPs are 0.4-3 KiB with 1-5 media sections.

/** 128 KiB: the RTSP layer caps a DESCRIBE body at the same size; real SDPs are under 4 KiB. */
export const MAX_SDP_BYTES = 128 * 1024;

/** 8 KiB: the longest real line is an fmtp with H.265 parameter sets (~1 KiB); longer lines are skipped. */
export const MAX_LINE_LENGTH = 8 * 1024;

/** 64: cameras send at most ~6 sections (video, audio, metadata, backchannel); later m= lines are ignored. */
export const MAX_MEDIAS = 64;

/** 256: a section has ~10 attributes; Dahua's backchannel lists 20 rtpmaps. Later attributes are ignored. */
export const MAX_ATTRIBUTES_PER_SECTION = 256;

/** 32: warnings say what was skipped; past this, one last warning says how many more were dropped. */
export const MAX_WARNINGS = 32;

/** RTP payload types are 7 bits (RFC 3550 §5.1). */
export const MAX_PAYLOAD_TYPE = 127;

/** RTP clock rates: 1 Hz .. 1 MHz. The fastest real clock is 90 kHz video; 0 would divide by zero (mediamtx#4476). */
export const MIN_CLOCK_RATE = 1;
export const MAX_CLOCK_RATE = 1_000_000;

/** Audio channels in an rtpmap: 1..8 (7.1 is the largest AAC channel configuration, ISO 14496-3 table 1.19). */
export const MIN_CHANNELS = 1;
export const MAX_CHANNELS = 8;

/**
 * 4 KiB per parameter set (SPS/PPS/VPS): an H.264 SPS with VUI and full scaling lists stays
 * under 1 KiB. Sets decoded from sprop base64 are checked against it before allocation.
 */
export const MAX_PARAMETER_SET_BYTES = 4 * 1024;

/** 16: parameter sets per sprop value; cameras send one of each (RFC 6184 §8.1 allows a list). */
export const MAX_PARAMETER_SETS_PER_SPROP = 16;

/**
 * 256 bytes for an AudioSpecificConfig or StreamMuxConfig from `config=` hex: a real one is 2-7
 * bytes; a program_config_element with every channel element still fits in 256.
 */
export const MAX_AUDIO_CONFIG_BYTES = 256;

/** 32 bits: the widest RFC 3640 AU-header field we accept (sizeLength, indexLength, ...; §3.2.1). */
export const MAX_AU_HEADER_FIELD_BITS = 32;

/** 65535: RFC 3640 constantSize is an AU size in bytes; an AU is far smaller (the rtp package caps it). */
export const MAX_CONSTANT_SIZE = 65_535;
