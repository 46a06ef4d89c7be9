import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, packets } from '../test-fixtures.js';
import { joinAnnexB } from './annexb.js';
import { splitAccessUnits } from './access-units.js';

const nal = (...bytes: number[]) => Uint8Array.from(bytes);
/** Access units as lists of NAL unit header bytes. */
const shape = (units: Uint8Array[][]) => units.map((unit) => unit.map((n) => n[0]));

describe('splitAccessUnits', () => {
  it.each([
    [
      'H.264: AUD, SPS, PPS, IDR slice; a second picture of two slices',
      'h264',
      [nal(0x09, 0xf0), nal(0x67, 0x42), nal(0x68, 0xce), nal(0x65, 0x88), nal(0x41, 0x9a), nal(0x41, 0x40)],
      [
        [0x09, 0x67, 0x68, 0x65],
        [0x41, 0x41],
      ],
    ],
    [
      'H.264: an SEI opens the next unit; end of sequence stays with the picture',
      'h264',
      [nal(0x65, 0x88), nal(0x0a), nal(0x06, 0x05), nal(0x41, 0x9a)],
      [
        [0x65, 0x0a],
        [0x06, 0x41],
      ],
    ],
    [
      'H.265: VPS, SPS, PPS, IDR; a picture of two slice segments; suffix SEI stays',
      'h265',
      [
        nal(0x40, 0x01),
        nal(0x42, 0x01),
        nal(0x44, 0x01),
        nal(0x26, 0x01, 0xaf),
        nal(0x02, 0x01, 0xd0),
        nal(0x02, 0x01, 0x40),
        nal(0x50, 0x01),
      ],
      [
        [0x40, 0x42, 0x44, 0x26],
        [0x02, 0x02, 0x50],
      ],
    ],
    ['no slice at all: one unit', 'h264', [nal(0x67, 0x42), nal(0x68, 0xce)], [[0x67, 0x68]]],
    ['empty stream', 'h265', [], []],
  ] as const)('%s', (_name, codec, nals, expected) => {
    expect(shape(splitAccessUnits(joinAnnexB(nals), codec))).toEqual(expected);
  });

  it.each([
    ['h264-main-bf2', 'h264'],
    ['h264-high-bpyramid', 'h264'],
    ['h265-main', 'h265'],
    ['h265-main10', 'h265'],
  ] as const)('%s: one access unit per packet ffprobe listed', (stream, codec) => {
    expect(splitAccessUnits(fixture(`${stream}.${codec}`), codec)).toHaveLength(packets(stream).length);
  });

  it('fuzz: every NAL unit lands in exactly one access unit, in order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('h264' as const, 'h265' as const),
        // No zero bytes: joined, the NAL units contain no start code and come back whole.
        fc.array(fc.uint8Array({ min: 1, minLength: 1, maxLength: 6 }), { maxLength: 40 }),
        (codec, nals) => {
          const units = splitAccessUnits(joinAnnexB(nals), codec);
          expect(units.flat()).toEqual(nals);
          for (const unit of units) expect(unit.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
