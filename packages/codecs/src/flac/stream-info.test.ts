import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { hex } from '../test-fixtures.js';
import { FLAC_STREAMINFO_BYTES, flacMetadataBlock, flacStreamInfo, FlacMetadataType } from './stream-info.js';

describe('flacStreamInfo (RFC 9639 §8.2)', () => {
  it('writes the fields MSB-first in 34 bytes (golden)', () => {
    const body = flacStreamInfo({
      minBlockSize: 160,
      maxBlockSize: 4608,
      sampleRate: 8000,
      channels: 1,
      bitsPerSample: 16,
    });
    expect(body.length).toBe(FLAC_STREAMINFO_BYTES);
    // 00a0 1200 | 000000 000000 | 01f40 (8000, 20 bits) 0 (1 channel) 0f (16 bits) 0 00000000 (unknown total) | MD5 0
    expect(hex(body)).toBe('00a01200' + '000000000000' + '01f400f000000000' + '00'.repeat(16));
  });

  it('RFC 9639 Appendix D.1 example: 44.1 kHz stereo 16-bit, one sample', () => {
    const body = flacStreamInfo({
      minBlockSize: 4096,
      maxBlockSize: 4096,
      minFrameSize: 15,
      maxFrameSize: 15,
      sampleRate: 44100,
      channels: 2,
      bitsPerSample: 16,
      totalSamples: 1,
    });
    expect(hex(body.subarray(0, 18))).toBe('1000100000000f00000f0ac442f000000001');
  });

  it('a 36-bit total sample count keeps its top bits', () => {
    const body = flacStreamInfo({
      minBlockSize: 16,
      maxBlockSize: 16,
      sampleRate: 48000,
      channels: 2,
      bitsPerSample: 16,
      totalSamples: 2 ** 36 - 1,
    });
    // 0bb80 (48000) 001 (2 channels) 01111 (16 bits) f ffffffff (36 one bits)
    expect(hex(body.subarray(10, 18))).toBe('0bb802ffffffffff');
  });

  const bad: Array<[name: string, patch: Record<string, number>]> = [
    ['block size below 16', { minBlockSize: 8 }],
    ['max below min', { maxBlockSize: 100 }],
    ['no channels', { channels: 0 }],
    ['nine channels', { channels: 9 }],
    ['sample rate 0', { sampleRate: 0 }],
    ['sample rate over 20 bits', { sampleRate: 2 ** 20 }],
  ];
  it.each(bad)('rejects %s with a coded error', (_name, patch) => {
    const info = { minBlockSize: 160, maxBlockSize: 160, sampleRate: 8000, channels: 1, bitsPerSample: 16, ...patch };
    expect(() => flacStreamInfo(info)).toThrow(expect.objectContaining({ code: CodecsErrorCode.INVALID_ARGUMENT }));
  });
});

describe('flacMetadataBlock (RFC 9639 §8.1)', () => {
  it('writes the last-block flag, the type and a 24-bit length', () => {
    expect(hex(flacMetadataBlock(FlacMetadataType.STREAMINFO, new Uint8Array(34), true).subarray(0, 4))).toBe(
      '80000022',
    );
    expect(hex(flacMetadataBlock(FlacMetadataType.PADDING, new Uint8Array(2), false))).toBe('010000020000');
  });
});
