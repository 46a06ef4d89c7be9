/**
 * Format parameters of an `a=fmtp:<pt> <params>` attribute (RFC 8866 §6.15):
 * `key=value` pairs separated by `;`.
 *
 * Tolerant the way cameras need it: keys are case-insensitive (RFC 6184 §8.1
 * media type parameters; some cameras send `Profile-Level-Id`), whitespace
 * around pairs is dropped, empty pairs and trailing `;` are skipped, and a
 * value may itself contain `=` (base64 padding in `sprop-parameter-sets`).
 * A key without `=` maps to the empty string. The first occurrence of a key wins.
 */
export function parseFmtpParameters(params: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of params.split(';')) {
    const trimmed = pair.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const key = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : trimmed.slice(eq + 1).trim();
    if (key !== '' && !out.has(key)) out.set(key, value);
  }
  return out;
}
