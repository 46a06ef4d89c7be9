import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addEmulationPrevention, removeEmulationPrevention } from './emulation-prevention.js';

// [payload with emulation prevention, RBSP]
const golden: Array<[name: string, nal: number[], rbsp: number[]]> = [
  ['no escapes', [0x67, 0x42, 0x00, 0x1e], [0x67, 0x42, 0x00, 0x1e]],
  ['00 00 03 00', [0x00, 0x00, 0x03, 0x00], [0x00, 0x00, 0x00]],
  ['00 00 03 01', [0x11, 0x00, 0x00, 0x03, 0x01], [0x11, 0x00, 0x00, 0x01]],
  ['00 00 03 03 (escaped 0x03)', [0x00, 0x00, 0x03, 0x03], [0x00, 0x00, 0x03]],
  ['two escapes back to back', [0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x02], [0x00, 0x00, 0x00, 0x00, 0x02]],
  ['trailing cabac_zero_word', [0x80, 0x00, 0x00, 0x03], [0x80, 0x00, 0x00]],
];

describe('emulation prevention (H.264 §7.4.1)', () => {
  for (const [name, nal, rbsp] of golden) {
    it(`removes: ${name}`, () => {
      expect([...removeEmulationPrevention(Uint8Array.from(nal))]).toEqual(rbsp);
    });
    it(`inserts: ${name}`, () => {
      expect([...addEmulationPrevention(Uint8Array.from(rbsp))]).toEqual(nal);
    });
  }

  it('returns the input itself when there is nothing to remove (no copy)', () => {
    const nal = Uint8Array.of(0x65, 0x88, 0x00, 0x00, 0x04);
    expect(removeEmulationPrevention(nal)).toBe(nal);
  });

  it('fuzz: arbitrary bytes round-trip and never leave a start code in the payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (rbsp) => {
        const nal = addEmulationPrevention(rbsp);
        expect([...removeEmulationPrevention(nal)]).toEqual([...rbsp]);
        for (let i = 0; i + 2 < nal.length; i++) {
          expect(nal[i] === 0 && nal[i + 1] === 0 && (nal[i + 2] as number) <= 2).toBe(false);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('fuzz: removal never throws and never grows the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (nal) => {
        expect(removeEmulationPrevention(nal).length).toBeLessThanOrEqual(nal.length);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

/** The nal_unit() loop of H.264 §7.3.1, transcribed literally: the reference the fast path must match. */
function specRemove(nal: Uint8Array): number[] {
  const rbsp: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (i + 2 < nal.length && nal[i] === 0 && nal[i + 1] === 0 && nal[i + 2] === 3) {
      rbsp.push(0, 0);
      i += 2; // skip emulation_prevention_three_byte
    } else {
      rbsp.push(nal[i] as number);
    }
  }
  return rbsp;
}

describe('emulation prevention removal matches the spec loop', () => {
  it('fuzz: on inputs dense in 0x00 and 0x03', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0, 0, 3, 1, 0xff), { maxLength: 128 }), (bytes) => {
        const nal = Uint8Array.from(bytes);
        expect([...removeEmulationPrevention(nal)]).toEqual(specRemove(nal));
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
