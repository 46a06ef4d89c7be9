import { BitWriter } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { fixtureText, fromHex, hex } from '../test-fixtures.js';
import { mutated, parsesOrThrowsCoded } from '../test-fuzz.js';
import {
  aacCodecString,
  type AudioSpecificConfig,
  parseAudioSpecificConfig,
  writeAudioSpecificConfig,
} from './audio-specific-config.js';

/** The config= of an SDP that ffmpeg's RTP muxer wrote (testdata/*.sdp). */
function sdpConfig(file: string): string {
  return /config=([0-9a-fA-F]+)/.exec(fixtureText(file))?.[1] ?? '';
}

type Want = Omit<AudioSpecificConfig, 'bytes'>;

describe('parseAudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1)', () => {
  const cases: Array<[name: string, hex: string, want: Want, codec: string]> = [
    [
      'ffmpeg AAC-LC 48 kHz stereo (mpeg4-generic SDP): explicit "no SBR" extension',
      sdpConfig('aac-lc-48k-stereo.sdp'),
      {
        objectType: 2,
        samplingFrequencyIndex: 3,
        sampleRate: 48000,
        channelConfiguration: 2,
        channels: 2,
        frameLength: 1024,
        sbrPresent: false,
      },
      'mp4a.40.2',
    ],
    [
      'ffmpeg AAC-LC 16 kHz mono',
      sdpConfig('aac-lc-16k-mono.sdp'),
      {
        objectType: 2,
        samplingFrequencyIndex: 8,
        sampleRate: 16000,
        channelConfiguration: 1,
        channels: 1,
        frameLength: 1024,
        sbrPresent: false,
      },
      'mp4a.40.2',
    ],
    [
      'AAC-LC 44.1 kHz stereo, the 2-byte form',
      '1210',
      {
        objectType: 2,
        samplingFrequencyIndex: 4,
        sampleRate: 44100,
        channelConfiguration: 2,
        channels: 2,
        frameLength: 1024,
      },
      'mp4a.40.2',
    ],
    [
      // 00101 (SBR) 0110 (24 kHz core) 0010 (stereo) 0011 (48 kHz output) 00010 (AAC-LC) 000 (GA)
      'HE-AAC, explicit hierarchical signaling (object type 5 first)',
      '2b118800',
      {
        objectType: 2,
        samplingFrequencyIndex: 6,
        sampleRate: 24000,
        channelConfiguration: 2,
        channels: 2,
        frameLength: 1024,
        extensionObjectType: 5,
        extensionSampleRate: 48000,
        sbrPresent: true,
        psPresent: false,
      },
      'mp4a.40.5',
    ],
    [
      // 11101 (PS) 0110 (24 kHz core) 0001 (mono) 0011 (48 kHz output) 00010 (AAC-LC) 000 (GA)
      'HE-AAC v2, explicit hierarchical signaling (object type 29): mono core, stereo output',
      'eb098800',
      {
        objectType: 2,
        samplingFrequencyIndex: 6,
        sampleRate: 24000,
        channelConfiguration: 1,
        channels: 2,
        frameLength: 1024,
        extensionObjectType: 29,
        extensionSampleRate: 48000,
        sbrPresent: true,
        psPresent: true,
      },
      'mp4a.40.29',
    ],
    [
      // AAC-LC 24 kHz stereo core, then 0x2b7 (sync extension), 00101 (SBR), 1 (present), 0011 (48 kHz)
      'HE-AAC, backward-compatible signaling (sync extension 0x2b7)',
      '131056e598',
      {
        objectType: 2,
        samplingFrequencyIndex: 6,
        sampleRate: 24000,
        channelConfiguration: 2,
        channels: 2,
        frameLength: 1024,
        extensionObjectType: 5,
        extensionSampleRate: 48000,
        sbrPresent: true,
        psPresent: false,
      },
      'mp4a.40.5',
    ],
    [
      // ... then 0x548 (PS sync extension), 1 (present)
      'HE-AAC v2, backward-compatible signaling (0x2b7, then 0x548)',
      '130856e59d4880',
      {
        objectType: 2,
        samplingFrequencyIndex: 6,
        sampleRate: 24000,
        channelConfiguration: 1,
        channels: 2,
        frameLength: 1024,
        extensionObjectType: 29,
        extensionSampleRate: 48000,
        sbrPresent: true,
        psPresent: true,
      },
      'mp4a.40.29',
    ],
    [
      // 00010 (AAC-LC) 1111 (explicit) 24 bits 50000 0010 (stereo) 000
      'an explicit 24-bit sampling frequency (index 15)',
      '178061a810',
      {
        objectType: 2,
        samplingFrequencyIndex: 15,
        sampleRate: 50000,
        channelConfiguration: 2,
        channels: 2,
        frameLength: 1024,
      },
      'mp4a.40.2',
    ],
    [
      'ffmpeg AAC Main (-profile:a aac_main)',
      sdpConfig('aac-main-48k-stereo.sdp'),
      {
        objectType: 1,
        samplingFrequencyIndex: 3,
        sampleRate: 48000,
        channelConfiguration: 2,
        channels: 2,
        frameLength: 1024,
        sbrPresent: false,
      },
      'mp4a.40.1',
    ],
    [
      // 00100 (AAC-LTP) 0011 0010 1 (frameLengthFlag) 0 0
      'AAC-LTP with 960-sample frames',
      '2194',
      {
        objectType: 4,
        samplingFrequencyIndex: 3,
        sampleRate: 48000,
        channelConfiguration: 2,
        channels: 2,
        frameLength: 960,
      },
      'mp4a.40.4',
    ],
  ];
  for (const [name, hexText, want, codec] of cases) {
    it(name, () => {
      const config = parseAudioSpecificConfig(fromHex(hexText));
      expect({ ...config, bytes: undefined }).toEqual({ ...want, bytes: undefined });
      expect(hex(config.bytes)).toBe(hexText.toLowerCase());
      expect(aacCodecString(config)).toBe(codec);
    });
  }

  it('copies the bytes it keeps (the input may be a reused network buffer)', () => {
    const input = fromHex('1190');
    const config = parseAudioSpecificConfig(input);
    input[0] = 0;
    expect(hex(config.bytes)).toBe('1190');
  });

  it('counts channels from a program_config_element (channelConfiguration 0): 5.1', () => {
    const w = new BitWriter();
    w.writeBits(2, 5); // AAC-LC
    w.writeBits(3, 4); // 48 kHz
    w.writeBits(0, 4); // channelConfiguration 0: PCE follows the GASpecificConfig flags
    w.writeBits(0, 3); // frameLengthFlag, dependsOnCoreCoder, extensionFlag
    w.writeBits(0, 4); // element_instance_tag
    w.writeBits(1, 2); // object_type
    w.writeBits(3, 4); // sampling_frequency_index
    w.writeBits(2, 4); // num_front_channel_elements
    w.writeBits(0, 4); // num_side_channel_elements
    w.writeBits(1, 4); // num_back_channel_elements
    w.writeBits(1, 2); // num_lfe_channel_elements
    w.writeBits(0, 3); // num_assoc_data_elements
    w.writeBits(0, 4); // num_valid_cc_elements
    w.writeBits(0, 3); // no mixdowns
    for (const cpe of [0, 1, 1]) {
      w.writeBit(cpe); // front SCE (centre), front CPE (L/R), back CPE (Ls/Rs)
      w.writeBits(0, 4);
    }
    w.writeBits(0, 4); // LFE element
    w.alignWithZeros(); // byte_alignment()
    w.writeBits(2, 8); // comment_field_bytes
    w.writeBits(0x6869, 16);
    const config = parseAudioSpecificConfig(w.toUint8Array());
    expect([config.channelConfiguration, config.channels]).toEqual([0, 6]);
  });

  it.each([
    ['empty', ''],
    ['one byte', '12'],
    ['reserved samplingFrequencyIndex 13', '16900'],
    ['reserved channelConfiguration 8', '11c0'],
    ['a truncated escaped object type', 'f8'],
    ['an explicit frequency of 0 Hz', '1780000010'],
  ])('%s: CODECS_INVALID_AUDIO_CONFIG', (_name, hexText) => {
    expect(() => parseAudioSpecificConfig(fromHex(hexText))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.INVALID_AUDIO_CONFIG }),
    );
  });

  it.each([
    // 11111 + 001010: object type 31 escaped to 32 + 10 = 42 (USAC), then 48 kHz stereo
    ['USAC (escaped object type 42)', 'f94640'],
    ['ER AAC LD (object type 23, 480/512-sample frames)', 'b990'],
    ['CELP (object type 8)', '4190'],
  ])('%s: CODECS_UNSUPPORTED', (_name, hexText) => {
    expect(() => parseAudioSpecificConfig(fromHex(hexText))).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.UNSUPPORTED }),
    );
  });

  it('fuzz: random and damaged configs parse within limits or throw a CodecsError', { timeout: fuzzTimeout() }, () => {
    const seeds = cases.map(([, hexText]) => fromHex(hexText));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), mutated(seeds)), (data) => {
        const config = parsesOrThrowsCoded(() => parseAudioSpecificConfig(data));
        if (config === undefined) return;
        expect(config.sampleRate).toBeGreaterThan(0);
        expect(config.channels).toBeGreaterThan(0);
        expect([960, 1024]).toContain(config.frameLength);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('writeAudioSpecificConfig', () => {
  it.each([
    [{ objectType: 2, sampleRate: 48000, channelConfiguration: 2 }, '1190'],
    [{ objectType: 2, sampleRate: 16000, channelConfiguration: 1 }, '1408'],
    [{ objectType: 2, sampleRate: 44100, channelConfiguration: 2 }, '1210'],
    [{ objectType: 2, sampleRate: 8000, channelConfiguration: 1 }, '1588'],
    [{ objectType: 4, sampleRate: 48000, channelConfiguration: 2, frameLength: 960 as const }, '2194'],
    [{ objectType: 2, sampleRate: 50000, channelConfiguration: 2 }, '178061a810'],
  ])('%j -> %s', (config, want) => {
    expect(hex(writeAudioSpecificConfig(config))).toBe(want);
  });

  it('fuzz: what it writes parses back to the same configuration', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22),
        fc.oneof(fc.constantFrom(96000, 48000, 44100, 16000, 8000, 7350), fc.integer({ min: 1, max: 2 ** 24 - 1 })),
        fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14),
        fc.constantFrom(1024 as const, 960 as const),
        (objectType, sampleRate, channelConfiguration, frameLength) => {
          const bytes = writeAudioSpecificConfig({ objectType, sampleRate, channelConfiguration, frameLength });
          expect(parseAudioSpecificConfig(bytes)).toMatchObject({
            objectType,
            sampleRate,
            channelConfiguration,
            frameLength,
          });
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it.each([
    ['object type 5 (write the core type)', { objectType: 5, sampleRate: 48000, channelConfiguration: 2 }],
    ['channelConfiguration 0 (needs a PCE)', { objectType: 2, sampleRate: 48000, channelConfiguration: 0 }],
  ])('refuses %s with CODECS_UNSUPPORTED', (_name, config) => {
    expect(() => writeAudioSpecificConfig(config)).toThrow(
      expect.objectContaining({ code: CodecsErrorCode.UNSUPPORTED }),
    );
  });

  it('refuses a sample rate that cannot be coded', () => {
    for (const sampleRate of [0, 2 ** 24, 44100.5]) {
      expect(() => writeAudioSpecificConfig({ objectType: 2, sampleRate, channelConfiguration: 2 })).toThrow(
        expect.objectContaining({ code: CodecsErrorCode.INVALID_AUDIO_CONFIG }),
      );
    }
  });
});
