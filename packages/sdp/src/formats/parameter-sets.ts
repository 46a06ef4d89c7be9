import { decodeBase64 } from '../encoding/base64.js';
import { MAX_PARAMETER_SET_BYTES, MAX_PARAMETER_SETS_PER_SPROP } from '../limits.js';

/**
 * Decodes an sprop list (`sprop-parameter-sets`, RFC 6184 §8.1; `sprop-vps/sps/pps`, RFC 7798
 * §7.1): comma-separated base64 NAL units. Returns every non-empty NAL unit found, in order.
 *
 * The values are untrusted and often broken, so this never throws: an entry that is not base64
 * or is larger than MAX_PARAMETER_SET_BYTES is skipped, and the caller learns the parameter sets
 * in-band instead (VStarcam sends garbage here, retina#42). Entries that carry Annex B start codes
 * (`00 00 00 01` before or after the NAL unit, or several NAL units in one entry, as some cameras
 * do: GW Security in retina's tests) are split on them.
 */
export function decodeSpropNalUnits(value: string): Uint8Array[] {
  const nalUnits: Uint8Array[] = [];
  for (const entry of value.split(',')) {
    if (nalUnits.length >= MAX_PARAMETER_SETS_PER_SPROP) break;
    const bytes = decodeBase64(entry.trim(), MAX_PARAMETER_SET_BYTES);
    if (bytes === undefined) continue;
    for (const nal of splitAnnexB(bytes)) {
      if (nalUnits.length >= MAX_PARAMETER_SETS_PER_SPROP) break;
      nalUnits.push(nal);
    }
  }
  return nalUnits;
}

/**
 * Splits bytes on Annex B start codes (`00 00 01`, with any number of leading zeros, H.264 §B.2)
 * and drops the zero bytes around them (trailing_zero_8bits). Data without start codes is one NAL
 * unit. Emulation prevention (H.264 §7.4.1) guarantees `00 00 01` never occurs inside a NAL unit.
 * Each NAL unit is returned as its own copy, so that no view keeps the decoded buffer alive.
 */
export function splitAnnexB(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let i = 0;
  while (i + 2 < bytes.length) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      pushTrimmed(out, bytes, start, i);
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  pushTrimmed(out, bytes, start, bytes.length);
  return out;
}

function pushTrimmed(out: Uint8Array[], bytes: Uint8Array, start: number, end: number): void {
  let s = start;
  let e = end;
  while (s < e && bytes[s] === 0) s++;
  while (e > s && bytes[e - 1] === 0) e--;
  if (e > s) out.push(new Uint8Array(bytes.subarray(s, e)));
}
