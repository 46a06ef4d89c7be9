import { CodecsError, CodecsErrorCode } from '../errors.js';

/**
 * ITU-T G.711 (11/88) expansion of A-law and µ-law code words to 16-bit linear PCM.
 *
 * G.711 Tables 1a/1b (A-law) and 2a/2b (µ-law) give, for every 8-bit code word, the
 * "decoder output value" on a 13-bit (A-law, ±4096) or 14-bit (µ-law, ±8159) scale; these
 * tables hold that value scaled to 16 bits (×8 and ×4), which is what ffmpeg's pcm_alaw and
 * pcm_mulaw decoders and RTP receivers (RFC 3551 §4.5.14) produce.
 */

/**
 * A-law (G.711 §2, Tables 1a/1b): the transmitted character has its even bits inverted
 * (XOR 0x55). Bit 7 is the sign (1 = positive), bits 6-4 the segment, bits 3-0 the step.
 * Segment 0 is linear with step 2; segment s >= 1 starts at 2^(s+4) with step 2^s
 * (13-bit scale); the output is the middle of the step, here scaled ×8 to 16 bits.
 */
function expandAlaw(code: number): number {
  const a = code ^ 0x55;
  const step = a & 0x0f;
  const segment = (a & 0x70) >> 4;
  const magnitude = segment === 0 ? (2 * step + 1) << 3 : (2 * step + 1 + 32) << (segment + 2);
  return (a & 0x80) !== 0 ? magnitude : -magnitude;
}

/** µ-law bias (G.711 §3): 33 on the 14-bit scale, ×4 = 132 on the 16-bit scale. */
const ULAW_BIAS = 0x84;

/**
 * µ-law (G.711 §3, Tables 2a/2b): the transmitted character is inverted (all bits). Bit 7
 * is the sign (1 = positive), bits 6-4 the segment, bits 3-0 the step. The biased
 * magnitude is (2·step + 33)·2^segment on the 14-bit scale; subtract the bias of 33 and
 * scale ×4 to 16 bits.
 */
function expandUlaw(code: number): number {
  const u = ~code & 0xff;
  const biased = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
  return (u & 0x80) !== 0 ? ULAW_BIAS - biased : biased - ULAW_BIAS;
}

function buildTable(expand: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = expand(code);
  return table;
}

/** Every A-law code word's 16-bit linear value, built once. */
export const ALAW_TO_LINEAR: Readonly<Int16Array> = buildTable(expandAlaw);
/** Every µ-law code word's 16-bit linear value, built once. */
export const ULAW_TO_LINEAR: Readonly<Int16Array> = buildTable(expandUlaw);

function decodeWith(table: Readonly<Int16Array>, input: Uint8Array, output: Int16Array): number {
  if (output.length < input.length) {
    throw new CodecsError(
      CodecsErrorCode.INVALID_ARGUMENT,
      `G.711 output holds ${output.length} samples, the input has ${input.length}`,
    );
  }
  for (let i = 0; i < input.length; i++) output[i] = table[input[i] as number] as number;
  return input.length;
}

/**
 * Decodes A-law (RTP payload type 8, PCMA) into the caller's buffer, one sample per byte,
 * without allocating. Returns the number of samples written.
 */
export function decodeAlaw(input: Uint8Array, output: Int16Array): number {
  return decodeWith(ALAW_TO_LINEAR, input, output);
}

/**
 * Decodes µ-law (RTP payload type 0, PCMU) into the caller's buffer, one sample per byte,
 * without allocating. Returns the number of samples written.
 */
export function decodeUlaw(input: Uint8Array, output: Int16Array): number {
  return decodeWith(ULAW_TO_LINEAR, input, output);
}

/** 32635: the largest magnitude µ-law codes (8159 on the 14-bit scale ×4, less the bias, G.711 §3). */
const ULAW_CLIP = 32635;

/**
 * Compresses one 16-bit linear sample to µ-law (G.711 §3), the inverse of {@link ULAW_TO_LINEAR}:
 * every table value compresses to its own code word (0x7f and 0xff, ±0, to 0xff). Bias the
 * magnitude by 33 (×4), find its segment (the highest set bit above the first 7), keep the 4
 * bits below it as the step, and invert the character for transmission.
 */
export function linearToUlaw(sample: number): number {
  const negative = sample < 0;
  const biased = Math.min(negative ? -sample : sample, ULAW_CLIP) + ULAW_BIAS;
  let segment = 7;
  while (segment > 0 && (biased & (0x4000 >> (7 - segment))) === 0) segment--;
  const step = (biased >> (segment + 3)) & 0x0f;
  return ~((negative ? 0x80 : 0) | (segment << 4) | step) & 0xff;
}
