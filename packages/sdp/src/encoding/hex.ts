/**
 * Decodes untrusted hex (`config=` of RFC 3640 §4.1 and RFC 6416 §7.1) into at most `maxBytes`
 * bytes. Either case is accepted. Returns undefined, never throws, for an odd length, a non-hex
 * character or a result longer than `maxBytes` (checked before allocating).
 */
export function decodeHex(text: string, maxBytes: number): Uint8Array | undefined {
  if (text.length % 2 !== 0 || text.length / 2 > maxBytes) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = hexValue(text.charCodeAt(2 * i));
    const low = hexValue(text.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    out[i] = (high << 4) | low;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30; // 0-9
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10; // a-f, A-F
  return -1;
}
