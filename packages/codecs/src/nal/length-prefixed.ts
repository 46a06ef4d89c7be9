import { CodecsError, CodecsErrorCode } from '../errors.js';

/**
 * Length-prefixed NAL units, as in MP4 samples and avcC/hvcC (ISO/IEC 14496-15 §5.3.2, §8.3.2):
 * each NAL unit follows its size as a big-endian integer of `lengthSize` bytes
 * (lengthSizeMinusOne + 1 of the decoder configuration record).
 */

/** Joins NAL units, each after its 4-byte big-endian length. */
export function joinLengthPrefixed(nals: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const nal of nals) size += 4 + nal.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const nal of nals) {
    view.setUint32(at, nal.length);
    out.set(nal, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

/**
 * Splits length-prefixed NAL units into subarrays of `data` (no copy); empty NAL units are
 * dropped. Throws CODECS_INVALID_LENGTH_PREFIX when a length runs past the end of `data`.
 */
export function splitLengthPrefixed(data: Uint8Array, lengthSize: 1 | 2 | 4 = 4): Uint8Array[] {
  // Callers from JavaScript, or with a lengthSizeMinusOne read from a record, may pass anything.
  const size: number = lengthSize;
  if (size !== 1 && size !== 2 && size !== 4) {
    throw new CodecsError(CodecsErrorCode.INVALID_LENGTH_PREFIX, `NAL length size must be 1, 2 or 4, not ${size}`);
  }
  const nals: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + lengthSize > data.length) {
      throw new CodecsError(
        CodecsErrorCode.INVALID_LENGTH_PREFIX,
        `${data.length - at} byte(s) left at offset ${at}, too few for a ${lengthSize}-byte NAL length`,
      );
    }
    let length = 0;
    for (let i = 0; i < lengthSize; i++) length = length * 256 + (data[at + i] as number);
    at += lengthSize;
    if (length > data.length - at) {
      throw new CodecsError(
        CodecsErrorCode.INVALID_LENGTH_PREFIX,
        `NAL length ${length} at offset ${at - lengthSize} runs past the end (${data.length - at} byte(s) left)`,
      );
    }
    if (length > 0) nals.push(data.subarray(at, at + length));
    at += length;
  }
  return nals;
}
