import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PARAMETER_SET_BYTES, MAX_PARAMETER_SETS_PER_SPROP } from '../limits.js';
import { decodeSpropNalUnits, splitAnnexB } from './parameter-sets.js';

const hex = (nals: Uint8Array[]) => nals.map((nal) => Buffer.from(nal).toString('hex'));
const b64 = (hexBytes: string) => Buffer.from(hexBytes, 'hex').toString('base64');

describe('splitAnnexB (H.264 §B.2)', () => {
  const cases: Array<[name: string, input: string, want: string[]]> = [
    ['one NAL unit without start codes', '6742c014', ['6742c014']],
    ['4-byte start code prefix', '000000016742c014', ['6742c014']],
    ['3-byte start code prefix', '0000016742c014', ['6742c014']],
    ['start code suffix (GW Security, retina)', '68ee3c8000000001', ['68ee3c80']],
    ['SPS and PPS in one entry', '000000016742c014000000000168ce3c80', ['6742c014', '68ce3c80']],
    ['only zeros', '00000000', []],
    ['empty', '', []],
    ['00 00 03 is not a start code', '6700000301', ['6700000301']],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      expect(hex(splitAnnexB(Buffer.from(input, 'hex')))).toEqual(want);
    });
  }

  it('returns copies, not views of the input', () => {
    const input = Buffer.from('000000016742c014', 'hex');
    const [nal] = splitAnnexB(input);
    expect(nal?.buffer).not.toBe(input.buffer);
    expect(nal?.byteLength).toBe(nal?.buffer.byteLength);
  });
});

describe('decodeSpropNalUnits (RFC 6184 §8.1, RFC 7798 §7.1)', () => {
  const cases: Array<[name: string, sprop: string, want: string[]]> = [
    [
      'GStreamer SPS and PPS',
      'Z0LAFNoFB+wFqDAwNSgAAAMACAAAAwGUeKFV,aM48gA==',
      ['6742c014da0507ec05a8303035280000030008000003019478a155', '68ce3c80'],
    ],
    [
      'URL-safe base64 without padding',
      `${Buffer.from('6742c014fbff', 'hex').toString('base64url')},aM48gA`,
      ['6742c014fbff', '68ce3c80'],
    ],
    ['whitespace around entries', ' Z0LA , aM48gA== ', ['6742c0', '68ce3c80']],
    ['start code prefixes', `${b64('000000016742c014')},${b64('00000168ce3c80')}`, ['6742c014', '68ce3c80']],
    [
      'start code suffixes (GW Security, retina)',
      'Z00AHpWoLQ9puAgICBAAAAAB,aO48gAAAAAE=',
      ['674d001e95a82d0f69b808080810', '68ee3c80'],
    ],
    // The values retina#42 took from a VStarcam camera: the first has no NAL header, the second is zeros.
    [
      'VStarcam garbage (retina#42) decodes to bytes, not to parameter sets',
      '6QDwBE/LCAAAH0gAB1TgIAAAAAA=,AAAAAA==',
      ['e900f0044fcb0800001f48000754e020'],
    ],
    ['not base64', 'Z0L*AFNo,aM48gA==', ['68ce3c80']],
    ['empty', '', []],
    ['empty entries', ',,', []],
  ];
  for (const [name, sprop, want] of cases) {
    it(name, () => {
      expect(hex(decodeSpropNalUnits(sprop))).toEqual(want);
    });
  }

  it(`skips an entry larger than ${MAX_PARAMETER_SET_BYTES} bytes`, () => {
    const big = Buffer.alloc(MAX_PARAMETER_SET_BYTES + 1, 0x67).toString('base64');
    expect(hex(decodeSpropNalUnits(`${big},aM48gA==`))).toEqual(['68ce3c80']);
  });

  it(`keeps at most ${MAX_PARAMETER_SETS_PER_SPROP} NAL units`, () => {
    expect(decodeSpropNalUnits(Array(100).fill('aM48gA==').join(','))).toHaveLength(MAX_PARAMETER_SETS_PER_SPROP);
  });

  it(
    'fuzz: never throws; NAL units are non-empty, bounded and without start codes',
    () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.string({ maxLength: 24 }),
              fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('base64')),
            ),
            {
              maxLength: 6,
            },
          ),
          (entries) => {
            const nals = decodeSpropNalUnits(entries.join(','));
            expect(nals.length).toBeLessThanOrEqual(MAX_PARAMETER_SETS_PER_SPROP);
            for (const nal of nals) {
              expect(nal.length).toBeGreaterThan(0);
              expect(nal.length).toBeLessThanOrEqual(MAX_PARAMETER_SET_BYTES);
              expect(nal[0]).not.toBe(0);
              expect(nal[nal.length - 1]).not.toBe(0);
              expect(Buffer.from(nal).includes(Buffer.from([0, 0, 1]))).toBe(false);
            }
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
