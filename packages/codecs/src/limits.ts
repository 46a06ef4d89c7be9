/**
 * Limits shared by the H.264 and H.265 parsers. Each bounds what a parser accepts from the
 * network before it computes sizes or allocates.
 */

/** 16384: twice 8K UHD (7680x4320); no camera comes close, and it keeps every size product small. */
export const MAX_PICTURE_DIMENSION = 16384;

/**
 * 64 KiB: the largest real parameter sets (an SPS with every scaling list, a VPS with HRD
 * parameters) are well under 2 KiB; more is garbage or an attack on the parser.
 */
export const MAX_PARAMETER_SET_BYTES = 64 * 1024;

/**
 * 16: the largest decoded picture buffer of H.264 (MaxDpbFrames, A.3.1) and H.265
 * (MaxDpbSize, A.4.2), so also the deepest picture reordering a conforming stream can use.
 */
export const MAX_DPB_FRAMES = 16;
