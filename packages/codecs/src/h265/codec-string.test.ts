import { describe, expect, it } from 'vitest';
import { firstNal, fixture, fromHex, videoProbe } from '../test-fixtures.js';
import { h265CodecString } from './codec-string.js';
import { type H265ProfileTierLevel } from './profile-tier-level.js';
import { parseH265Sps } from './sps.js';

/**
 * The codec string from the first 13 bytes of an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15
 * §8.3.3.1), by the rules of its Annex E.3: an independent derivation to hold ours against what
 * ffmpeg's MP4 muxer wrote.
 */
function codecStringFromHvcC(hvcC: Uint8Array): string {
  const b = (i: number) => hvcC[i] as number;
  const space = ['', 'A', 'B', 'C'][b(1) >> 6] as string;
  const tier = (b(1) >> 5) & 1 ? 'H' : 'L';
  const profile = b(1) & 0x1f;
  let compat = 0;
  for (let i = 0; i < 4; i++) compat = compat * 256 + b(2 + i);
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) reversed += Math.floor(compat / 2 ** bit) % 2 === 1 ? 2 ** (31 - bit) : 0;
  const constraints = Array.from(hvcC.subarray(6, 12));
  while (constraints.length > 1 && constraints.at(-1) === 0) constraints.pop();
  const level = b(12);
  const flags = constraints.map((c) => c.toString(16).toUpperCase()).join('.');
  return `hvc1.${space}${profile}.${reversed.toString(16).toUpperCase()}.${tier}${level}.${flags}`;
}

describe('h265CodecString (ISO/IEC 14496-15 Annex E.3)', () => {
  it.each([
    ['h265-main', 'hvc1.1.6.L60.90'],
    ['h265-main10', 'hvc1.2.4.L60.90'],
    ['h265-main-nob', 'hvc1.1.6.L60.90'],
  ])('%s: %s, as derived from the hvcC ffmpeg wrote', (stream, want) => {
    const sps = parseH265Sps(firstNal(fixture(`${stream}.h265`), 'h265', 33));
    const probe = videoProbe(stream);
    expect(probe.mp4_codec_tag).toBe('hvc1');
    expect(codecStringFromHvcC(fromHex(probe.mp4_decoder_config_hex))).toBe(want);
    expect(h265CodecString(sps)).toBe(want);
  });

  const ptl = (overrides: Partial<H265ProfileTierLevel>): { profileTierLevel: H265ProfileTierLevel } => ({
    profileTierLevel: {
      generalProfileSpace: 0,
      generalTierFlag: 0,
      generalProfileIdc: 1,
      generalProfileCompatibilityFlags: 0x60000000,
      generalConstraintIndicatorFlags: Uint8Array.of(0xb0, 0, 0, 0, 0, 0),
      generalLevelIdc: 93,
      ...overrides,
    },
  });

  it.each([
    ['Main 3.1 (the Apple HLS example)', ptl({}), 'hvc1.1.6.L93.B0'],
    [
      'Main 10 4.1 high tier',
      ptl({
        generalProfileIdc: 2,
        generalProfileCompatibilityFlags: 0x20000000,
        generalTierFlag: 1,
        generalLevelIdc: 123,
      }),
      'hvc1.2.4.H123.B0',
    ],
    ['profile space 1', ptl({ generalProfileSpace: 1 }), 'hvc1.A1.6.L93.B0'],
    [
      'compatibility flags 1 and 3: hex digit A',
      ptl({ generalProfileCompatibilityFlags: 0x50000000 }),
      'hvc1.1.A.L93.B0',
    ],
    [
      'Rext, compatibility flag 4',
      ptl({ generalProfileIdc: 4, generalProfileCompatibilityFlags: 0x08000000 }),
      'hvc1.4.10.L93.B0',
    ],
    [
      'inner zero constraint bytes kept, trailing dropped',
      ptl({ generalConstraintIndicatorFlags: Uint8Array.of(0x98, 0, 0x08, 0, 0, 0) }),
      'hvc1.1.6.L93.98.0.8',
    ],
    [
      'all constraint bytes zero: one kept',
      ptl({ generalConstraintIndicatorFlags: new Uint8Array(6) }),
      'hvc1.1.6.L93.0',
    ],
  ])('%s: %s', (_name, sps, want) => {
    expect(h265CodecString(sps)).toBe(want);
  });

  it('writes hev1 when asked', () => {
    expect(h265CodecString(ptl({}), 'hev1')).toBe('hev1.1.6.L93.B0');
  });
});
