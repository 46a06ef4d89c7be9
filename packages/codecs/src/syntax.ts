import { type BitReader, isCodedError } from '@camgate/bits';
import { CodecsError, type CodecsErrorCode } from './errors.js';

/**
 * Runs a parser and turns any lower-level {@link CodedError} (a `BitsError` from a read past the
 * end, an over-long exp-Golomb code) into a {@link CodecsError} with `code`, so callers of this
 * package see one error class with codes that say what was being parsed.
 */
export function withCode<T>(code: CodecsErrorCode, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof CodecsError || !isCodedError(err)) throw err;
    throw new CodecsError(code, `${what}: ${err.message}`, { cause: err });
  }
}

/** ue(v) that must lie in 0..max, else `code`. */
export function readUe(r: BitReader, max: number, name: string, code: CodecsErrorCode): number {
  const value = r.readUE();
  if (value > max) throw new CodecsError(code, `${name} = ${value} is out of range (0..${max})`);
  return value;
}

/** se(v) that must lie in min..max, else `code`. */
export function readSe(r: BitReader, min: number, max: number, name: string, code: CodecsErrorCode): number {
  const value = r.readSE();
  if (value < min || value > max) {
    throw new CodecsError(code, `${name} = ${value} is out of range (${min}..${max})`);
  }
  return value;
}

/** Ceil(Log2(x)) for x >= 1, the bit width of syntax elements such as slice_segment_address. */
export function ceilLog2(x: number): number {
  let bits = 0;
  while (2 ** bits < x) bits++;
  return bits;
}
