/**
 * Annex-B byte streams (H.264 Annex B, H.265 Annex B): NAL units separated by start codes
 * 00 00 01 or 00 00 00 01, with optional leading_zero_8bits and trailing_zero_8bits.
 */

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/**
 * Splits an Annex-B byte stream into NAL units, as subarrays of `data` (no copy). Accepts 3- and
 * 4-byte start codes and any number of zero bytes around them (a NAL unit never ends in a zero
 * byte, B.2), drops empty NAL units, and keeps bytes before the first start code as a NAL unit
 * (some cameras omit the first start code). Data with no start code at all is one NAL unit.
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  let startCode = findStartCode(data, 0);
  if (startCode < 0) return data.length > 0 ? [data] : [];
  const nals: Uint8Array[] = [];
  pushTrimmed(nals, data, 0, startCode);
  while (startCode >= 0) {
    const from = startCode + 3;
    startCode = findStartCode(data, from);
    pushTrimmed(nals, data, from, startCode < 0 ? data.length : startCode);
  }
  return nals;
}

/** True when `data` starts with a 3- or 4-byte start code. */
export function isAnnexB(data: Uint8Array): boolean {
  if (data.length < 3 || data[0] !== 0 || data[1] !== 0) return false;
  return data[2] === 1 || (data[2] === 0 && data[3] === 1);
}

/** Joins NAL units into an Annex-B byte stream with 4-byte start codes. */
export function joinAnnexB(nals: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const nal of nals) size += START_CODE.length + nal.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const nal of nals) {
    out.set(START_CODE, at);
    out.set(nal, at + START_CODE.length);
    at += START_CODE.length + nal.length;
  }
  return out;
}

/** Index of the first 00 of the next 00 00 01 at or after `from`; -1 if none. */
function findStartCode(data: Uint8Array, from: number): number {
  // indexOf (native) jumps between 0x01 bytes instead of testing every byte here.
  for (let at = data.indexOf(1, from + 2); at >= 0; at = data.indexOf(1, at + 1)) {
    if (data[at - 1] === 0 && data[at - 2] === 0) return at - 2;
  }
  return -1;
}

function pushTrimmed(nals: Uint8Array[], data: Uint8Array, from: number, to: number): void {
  let end = to;
  while (end > from && data[end - 1] === 0) end--;
  if (end > from) nals.push(data.subarray(from, end));
}
