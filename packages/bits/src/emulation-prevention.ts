/**
 * Emulation prevention (H.264 §7.4.1, H.265 §7.4.2): inside a NAL unit the
 * encoder inserts 0x03 after any two zero bytes that precede a byte <= 0x03,
 * so that start codes cannot appear in the payload.
 */

/**
 * NAL unit payload -> RBSP. Returns `nal` itself when it holds no
 * emulation_prevention_three_byte (the common case: no copy).
 */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  const first = findEmulationPrevention(nal, 0);
  if (first < 0) return nal;

  const out = new Uint8Array(nal.length - 1);
  let written = 0;
  let from = 0;
  let at = first;
  while (at >= 0) {
    // Copy up to and including the two zeros, skip the 0x03.
    out.set(nal.subarray(from, at), written);
    written += at - from;
    from = at + 1;
    at = findEmulationPrevention(nal, from);
  }
  out.set(nal.subarray(from), written);
  written += nal.length - from;
  return out.subarray(0, written);
}

/** Index of the next 0x03 that follows two zero bytes, searching from `from`; -1 if none. */
function findEmulationPrevention(data: Uint8Array, from: number): number {
  // The two zeros must lie at or after `from`: after a removed 0x03 the zero count restarts.
  // indexOf (native) jumps between 0x03 bytes instead of testing every byte here.
  for (let at = data.indexOf(0x03, from + 2); at >= 0; at = data.indexOf(0x03, at + 1)) {
    if (data[at - 1] === 0 && data[at - 2] === 0) return at;
  }
  return -1;
}

/** RBSP -> NAL unit payload: the inverse of {@link removeEmulationPrevention}. */
export function addEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  let inserts = 0;
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 0x03) {
      inserts++;
      zeros = 0;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  // An RBSP that ends in cabac_zero_words (0x0000) gets a final 0x03 (H.264 §7.4.1).
  const trailing = zeros >= 2 ? 1 : 0;
  if (inserts === 0 && trailing === 0) return rbsp;

  const out = new Uint8Array(rbsp.length + inserts + trailing);
  let written = 0;
  zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 0x03) {
      out[written++] = 0x03;
      zeros = 0;
    }
    out[written++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (trailing === 1) out[written] = 0x03;
  return out;
}
