import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { fixture, fixtureText, fromHex } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded } from '../test-fuzz.js';
import { isAdtsFrame, parseAdtsHeader } from './adts.js';

describe('parseAdtsHeader (ISO/IEC 14496-3 §1.A.2.2)', () => {
  it('reads the first header of ffmpeg AAC-LC 48 kHz stereo, field by field', () => {
    // FFF1: syncword, MPEG-4, layer 0, no CRC | 4C80: LC, index 3, stereo | frame length 235, fullness 0x7FF, 1 block
    expect(parseAdtsHeader(fromHex('fff14c801d7ffc'))).toEqual({
      headerLength: 7,
      frameLength: 235,
      objectType: 2,
      samplingFrequencyIndex: 3,
      sampleRate: 48000,
      channelConfiguration: 2,
      numRawDataBlocks: 1,
    });
  });

  it.each([
    ['aac-lc-48k-stereo', 48000, 2],
    ['aac-lc-16k-mono', 16000, 1],
  ])(
    'walks every frame of %s: the frame lengths add up to the file, the fields match ffprobe',
    (stream, rate, channels) => {
      const data = fixture(`${stream}.adts`);
      const probe = JSON.parse(fixtureText(`${stream}.probe.json`)) as {
        sample_rate: string;
        channels: number;
        profile: string;
      };
      expect([Number(probe.sample_rate), probe.channels, probe.profile]).toEqual([rate, channels, 'LC']);
      let offset = 0;
      let frames = 0;
      while (offset < data.length) {
        const header = parseAdtsHeader(data, offset);
        expect(header).toMatchObject({
          objectType: 2,
          sampleRate: rate,
          channelConfiguration: channels,
          headerLength: 7,
        });
        expect(isAdtsFrame(data.subarray(offset, offset + header.frameLength))).toBe(true);
        expect(isAdtsFrame(data.subarray(offset, offset + header.frameLength - 1))).toBe(false);
        offset += header.frameLength;
        frames++;
      }
      expect(offset).toBe(data.length);
      // 0.25 s of 1024-sample frames, plus the encoder's priming frame.
      expect(frames).toBe(Math.ceil((0.25 * rate) / 1024) + 1);
    },
  );

  it('reads a header with CRC (9 bytes) and several raw data blocks', () => {
    // FFF0: protection_absent 0 | 5080: LC, index 4 (44.1 kHz), stereo | length 300 | 4 blocks | CRC
    const header = parseAdtsHeader(fromHex('fff05080258003beef'));
    expect(header).toMatchObject({ headerLength: 9, frameLength: 300, sampleRate: 44100, numRawDataBlocks: 4 });
  });

  it.each([
    ['fewer than 7 bytes', 'fff14c801d7f'],
    ['no syncword', 'fef14c801d7ffc'],
    ['layer 1', 'fff34c801d7ffc'],
    ['reserved sampling_frequency_index 13', 'fff17480 1d7ffc'],
    ['a frame shorter than its header', 'fff14c8000dffc'],
    ['a CRC header cut short', 'fff05080258003be'],
  ])('%s: CODECS_INVALID_ADTS', (_name, hexText) => {
    expect(() => parseAdtsHeader(fromHex(hexText))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_ADTS }),
    );
  });

  it('reads at an offset, and refuses offsets outside the data', () => {
    const data = fromHex('0000fff14c801d7ffc');
    expect(parseAdtsHeader(data, 2).frameLength).toBe(235);
    for (const offset of [-1, 3, 100, 0.5]) {
      expect(() => parseAdtsHeader(data, offset)).toThrow(
        expect.objectContaining({ code: CodecsErrorCode.INVALID_ADTS }),
      );
    }
  });

  it(
    'fuzz: random and damaged headers parse within limits, or throw a CodecsError; isAdtsFrame never throws',
    { timeout: fuzzTimeout() },
    () => {
      const data = fixture('aac-lc-48k-stereo.adts');
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 12 }), mutated([data.subarray(0, 16)])), (bytes) => {
          isAdtsFrame(bytes);
          const header = parsesOrThrowsCoded(() => parseAdtsHeader(bytes));
          if (header === undefined) return;
          expect(header.frameLength).toBeGreaterThanOrEqual(header.headerLength);
          expect(header.frameLength).toBeLessThan(8192);
        }),
        { numRuns: fuzzRuns() },
      );
    },
  );
});
