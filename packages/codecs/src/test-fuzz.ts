import fc from 'fast-check';
import { CodecsError } from './errors.js';

/**
 * Inputs for `fuzz:` tests: random bytes, and real inputs damaged the ways networks and broken
 * encoders damage them (bit flips, overwritten or dropped bytes, truncation, garbage appended).
 */
export function mutated(seeds: readonly Uint8Array[], keepHeader = 0): fc.Arbitrary<Uint8Array> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 16 }) }),
  );
  return fc
    .record({ seed: fc.constantFrom(...seeds), mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }) })
    .map(({ seed, mutations }) => {
      let bytes = [...seed];
      for (const m of mutations) {
        const span = bytes.length - keepHeader;
        const at = span > 0 ? keepHeader + (('at' in m ? m.at : 0) % span) : keepHeader;
        switch (m.kind) {
          case 'flip':
            if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
            break;
          case 'set':
            if (at < bytes.length) bytes[at] = m.value;
            break;
          case 'truncate':
            bytes = bytes.slice(0, Math.max(keepHeader, at));
            break;
          case 'delete':
            bytes.splice(at, 1);
            break;
          case 'append':
            bytes.push(...m.bytes);
            break;
        }
      }
      return Uint8Array.from(bytes);
    });
}

/** Random bytes behind a fixed header (so that the parser gets past its type check). */
export function randomAfter(header: readonly number[], maxLength = 64): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength }).map((tail) => Uint8Array.from([...header, ...tail]));
}

/**
 * Runs `parse`; a CodecsError is an accepted outcome, anything else (a TypeError, a RangeError, a
 * BitsError that escaped unwrapped) fails the property.
 */
export function parsesOrThrowsCoded<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof CodecsError) return undefined;
    throw err;
  }
}
