// Test-only: inputs for the `fuzz:` property tests of the header, auth and URL parsers.
import fc from 'fast-check';

/** Characters that matter to header syntax, plus the control characters that must never get through. */
const SYNTAX_UNIT = fc.constantFrom(
  ...'"\\,;=-/:@%#?[] \t\r\n\x00\x7f0123456789aAfFzZ'.split(''),
  'Digest ',
  'Basic ',
  'realm=',
  'nonce=',
  'qop=',
  'stale=TRUE',
  'algorithm=',
  'url=',
  'seq=',
  'interleaved=',
  'server_port=',
  'ssrc=',
  'rtsp://',
  '%40',
  '%0d%0a',
  'é',
);

/** One edit of a seed: replace `length` characters at `at` (modulo the seed length) with `text`. */
const EDIT = fc.record({
  at: fc.nat(),
  length: fc.nat({ max: 8 }),
  text: fc.oneof(fc.string({ unit: SYNTAX_UNIT, maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 })),
});

function applyEdits(seed: string, edits: ReadonlyArray<{ at: number; length: number; text: string }>): string {
  let out = seed;
  for (const { at, length, text } of edits) {
    const position = out.length === 0 ? 0 : at % (out.length + 1);
    out = out.slice(0, position) + text + out.slice(position + length);
  }
  return out;
}

/**
 * Random strings (binary and syntax-heavy) and real-world seeds with a few random edits each.
 * `maxLength` bounds the purely random strings; mutated seeds stay near their seed's length.
 */
export function fuzzInputs(seeds: readonly string[], maxLength = 400): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: SYNTAX_UNIT, maxLength: maxLength / 4 }),
    fc.constantFrom(...seeds),
    fc
      .tuple(fc.constantFrom(...seeds), fc.array(EDIT, { minLength: 1, maxLength: 6 }))
      .map(([seed, edits]) => applyEdits(seed, edits)),
  );
}

/** True when `text` has a control character (C0, DEL) or a space: what may never reach a request line. */
export function hasControlOrSpace(text: string): boolean {
  return /[\x00-\x20\x7f]/.test(text);
}
