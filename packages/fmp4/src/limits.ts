/**
 * 256 MiB: a fragment is at most one segment (normally one LL-HLS part of ~200 ms); 10 s of a
 * 100 Mbit/s camera is 125 MB. The bound also keeps trun's signed 32-bit data_offset and mdat's
 * 32-bit size far from overflowing.
 */
export const MAX_FRAGMENT_BYTES = 256 * 1024 * 1024;

/**
 * 16 tracks per init segment: camgate writes one video and one audio track per rendition. The bound
 * also bounds the init segment: at most 16 × 3 parameter sets of < 64 KiB each.
 */
export const MAX_INIT_TRACKS = 16;
