/** Value of each base64 character, standard (`+/`) and URL-safe (`-_`) alike (RFC 4648 §4, §5); -1 otherwise. */
const DECODE_TABLE = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table['+'.charCodeAt(0)] = 62;
  table['/'.charCodeAt(0)] = 63;
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  return table;
})();

/**
 * Decodes untrusted base64 (sprop parameter sets, RFC 6184 §8.1) into at most `maxBytes` bytes.
 *
 * Tolerant of what cameras send: standard or URL-safe alphabet, with or without `=` padding.
 * Returns undefined, never throws, for anything else: a character outside both alphabets, `=`
 * anywhere but the end, an impossible length, or a result longer than `maxBytes` (checked
 * before allocating).
 */
export function decodeBase64(text: string, maxBytes: number): Uint8Array | undefined {
  let end = text.length;
  // At most two '=' of padding (RFC 4648 §4).
  for (let pad = 0; pad < 2 && end > 0 && text.charCodeAt(end - 1) === 0x3d; pad++) end--;
  if (end % 4 === 1) return undefined; // 6 bits cannot make a byte
  const byteLength = Math.floor((end * 3) / 4);
  if (byteLength > maxBytes) return undefined;
  const out = new Uint8Array(byteLength);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (DECODE_TABLE[code] as number) : -1;
    if (value < 0) return undefined;
    acc = ((acc << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
