import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { fixtureText, fromHex, hex } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded } from '../test-fuzz.js';
import { parseStreamMuxConfig, readLatmPayloadLengths } from './latm.js';

/** The config= of an MP4A-LATM SDP that ffmpeg's RTP muxer wrote (testdata/*.latm.sdp). */
function sdpConfig(file: string): string {
  return /config=([0-9a-fA-F]+)/.exec(fixtureText(file))?.[1] ?? '';
}

describe('parseStreamMuxConfig (ISO/IEC 14496-3 §1.7.3.1, RFC 3016)', () => {
  it.each([
    // 0 (audioMuxVersion) 1 (same time framing) 000000 (numSubFrames) 0000 (numProgram) 000 (numLayer),
    // then the AudioSpecificConfig 00010 0011 0010 000, frameLengthType 000, latmBufferFullness 0xFF, no other data, no CRC
    ['aac-lc-48k-stereo.latm.sdp', '400023203fc0', '1190', 48000, 2],
    ['aac-lc-16k-mono.latm.sdp', '400028103fc0', '1408', 16000, 1],
  ])('%s: %s', (file, config, asc, sampleRate, channels) => {
    expect(sdpConfig(file)).toBe(config);
    const parsed = parseStreamMuxConfig(fromHex(config));
    expect(parsed).toMatchObject({
      objectType: 2,
      sampleRate,
      channelConfiguration: channels,
      channels,
      frameLength: 1024,
      numSubFrames: 0,
      frameLengthType: 0,
    });
    // The embedded config, not byte-aligned in the StreamMuxConfig, comes out byte-aligned for an esds.
    expect(hex(parsed.bytes)).toBe(asc);
  });

  it('reads other data and a CRC after the config', () => {
    // ... frameLengthType 000, fullness 0xFF, otherDataPresent 1, [esc 0, 8 bits 0x10], crcCheckPresent 1, 8 bits
    expect(parseStreamMuxConfig(fromHex('400023203fe0c0aa80'))).toMatchObject({
      sampleRate: 48000,
      frameLengthType: 0,
    });
  });

  it.each([
    ['audioMuxVersion 1', '8000'],
    ['two programs', '40102320 3fc0'],
    ['frameLengthType 3 (CELP)', '40002320ffc0'],
  ])('%s: CODECS_UNSUPPORTED', (_name, hexText) => {
    expect(() => parseStreamMuxConfig(fromHex(hexText))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.UNSUPPORTED }),
    );
  });

  it.each([
    ['empty', '', CodecsErrorCode.INVALID_LATM],
    ['truncated after the AudioSpecificConfig', '40002320', CodecsErrorCode.INVALID_LATM],
    ['truncated in the AudioSpecificConfig', '4000', CodecsErrorCode.INVALID_AUDIO_CONFIG],
    ['a reserved sampling index in the AudioSpecificConfig', '40002d203fc0', CodecsErrorCode.INVALID_AUDIO_CONFIG],
  ])('%s: %s', (_name, hexText, code) => {
    expect(() => parseStreamMuxConfig(fromHex(hexText))).toThrow(expect.objectContaining({ code }));
  });

  it('fuzz: random and damaged configs parse or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    const seeds = [fromHex('400023203fc0'), fromHex('400028103fc0'), fromHex('400023203fe0c0aa80')];
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), mutated(seeds)), (data) => {
        parsesOrThrowsCoded(() => parseStreamMuxConfig(data));
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('readLatmPayloadLengths (PayloadLengthInfo, frameLengthType 0)', () => {
  it.each([
    [[0x10, 0xaa], 0, 16, 1],
    [[0xff, 0x05], 0, 260, 2],
    [[0xff, 0xff, 0x00], 0, 510, 3],
    [[0x99, 0xff, 0x01, 0x99], 1, 256, 2],
    [[0x00], 0, 0, 1],
  ])('%j at %i: %i bytes, %i header bytes', (bytes, offset, length, headerBytes) => {
    expect(readLatmPayloadLengths(Uint8Array.from(bytes), offset)).toEqual({ length, headerBytes });
  });

  it.each([
    ['a run of 0xFF to the end', [0xff, 0xff], 0],
    ['an offset past the end', [0x10], 1],
    ['a negative offset', [0x10], -1],
  ])('%s: CODECS_INVALID_LATM', (_name, bytes, offset) => {
    expect(() => readLatmPayloadLengths(Uint8Array.from(bytes), offset)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_LATM }),
    );
  });

  it('refuses lengths beyond 64 KiB', () => {
    expect(() => readLatmPayloadLengths(new Uint8Array(300).fill(0xff), 0)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_LATM }),
    );
  });

  it('fuzz: never throws anything but a CodecsError, and stays inside the data', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 400 }), (data, offset) => {
        const result = parsesOrThrowsCoded(() => readLatmPayloadLengths(data, offset));
        if (result !== undefined) expect(offset + result.headerBytes).toBeLessThanOrEqual(data.length);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
