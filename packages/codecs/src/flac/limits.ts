/**
 * Bounds of camgate's FLAC encoder: the "streamable subset" of RFC 9639 §7, which every
 * decoder (and every browser's MSE) must handle.
 */

/** 4608: the largest block size of the streamable subset for rates up to 48 kHz (RFC 9639 §7). */
export const MAX_FLAC_BLOCK_SIZE = 4608;

/** 2: mono and stereo are all camera audio needs; more channels would need channel layouts. */
export const MAX_FLAC_CHANNELS = 2;

/** 16: the sample size of G.711 after expansion and of L16; the encoder writes only 16-bit subframes. */
export const FLAC_BITS_PER_SAMPLE = 16;

/** 655350 Hz: the largest rate a frame header can carry (16 bits in units of 10 Hz, RFC 9639 §9.1.2). */
export const MAX_FLAC_SAMPLE_RATE = 655350;
