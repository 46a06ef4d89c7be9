import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { h264CodecString } from './codec-string.js';

// SPS prefixes as x264 / cameras emit them, with the codec strings browsers expect.
const cases: Array<[name: string, sps: number[], want: string]> = [
  ['Constrained Baseline 3.0', [0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00], 'avc1.42c01e'],
  ['Main 1.3 (ffmpeg lavfi 320x240)', [0x67, 0x4d, 0x40, 0x0d, 0xe8], 'avc1.4d400d'],
  ['High 4.0', [0x67, 0x64, 0x00, 0x28, 0xac], 'avc1.640028'],
  ['nal_ref_idc 1 still an SPS', [0x27, 0x64, 0x00, 0x33], 'avc1.640033'],
];

describe('h264CodecString (RFC 6381 §3.3)', () => {
  for (const [name, sps, want] of cases) {
    it(name, () => {
      expect(h264CodecString(Uint8Array.from(sps))).toBe(want);
    });
  }

  it.each([
    ['too short', [0x67, 0x42]],
    ['a PPS', [0x68, 0xce, 0x3c, 0x80]],
    ['empty', []],
  ])('rejects %s with CODECS_INVALID_PARAMETER_SET', (_name, bytes) => {
    expect(() => h264CodecString(Uint8Array.from(bytes))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_PARAMETER_SET }),
    );
  });
});
