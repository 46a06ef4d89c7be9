import { BitsErrorCode, isCodedError, removeEmulationPrevention } from '@camgate/bits';

/**
 * Parses the start of a NAL unit without unescaping all of it: slice headers are a few dozen
 * bytes at the front of slices that can be megabytes long, and are read once per access unit.
 * `parse` gets the RBSP of the first `firstBytes` payload bytes (after the NAL header); only when
 * it runs off the end of that prefix is it retried on a longer one, up to `maxBytes`.
 * The RBSP of a prefix is a prefix of the RBSP, so the result does not depend on the size tried.
 */
export function parseRbspPrefix<T>(
  nal: Uint8Array,
  headerBytes: number,
  firstBytes: number,
  maxBytes: number,
  parse: (rbsp: Uint8Array) => T,
): T {
  let size = firstBytes;
  for (;;) {
    const end = Math.min(nal.length, headerBytes + size);
    try {
      return parse(removeEmulationPrevention(nal.subarray(headerBytes, end)));
    } catch (err) {
      const truncatedHere = isCodedError(err, BitsErrorCode.END_OF_DATA) && end < nal.length && size < maxBytes;
      if (!truncatedHere) throw err;
      size = Math.min(maxBytes, size * 8);
    }
  }
}
