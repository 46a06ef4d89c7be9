import { describe, expect, it } from 'vitest';
import { BoxWriter } from './box-writer.js';
import { Fmp4ErrorCode } from './errors.js';
import { codecStringOf, sampleEntryOf } from './sample-entry.js';
import { cc, golden } from './test-boxes.js';
import { fromHex, toHex } from './test-media.js';
import {
  AAC_LC_48K_STEREO_ASC,
  H264_HIGH_SAR_4_3,
  H264_MAIN,
  H265_MAIN,
  H265_MAIN_SAR_16_11,
  HE_AAC_EXPLICIT_ASC,
  HE_AAC_IMPLICIT_ASC,
} from './test-vectors.js';
import type { TrackConfig } from './track-config.js';

function entryHex(config: TrackConfig): string {
  const entry = sampleEntryOf(config);
  const w = new BoxWriter(entry.size);
  entry.write(w);
  return toHex(w.finishExact());
}

/** The VisualSampleEntry fields of a 320x240 picture (§12.1.3), after the size and type. */
const VISUAL_320X240 = golden(
  '000000000000 0001 0000 0000 000000000000000000000000', // reserved, data_reference_index 1, pre_defined
  '0140 00f0 00480000 00480000 00000000 0001', // 320x240, 72 dpi, reserved, frame_count 1
  '00'.repeat(32),
  '0018 ffff', // compressorname, depth, pre_defined
);

describe('sampleEntryOf / codecStringOf', () => {
  it.each<[string, TrackConfig, Partial<ReturnType<typeof sampleEntryOf>>]>([
    ['H.264 Main', { kind: 'video', codec: 'h264', ...H264_MAIN }, { codec: 'avc1.4d400d', width: 320, height: 240 }],
    [
      'H.264 High with SAR 4:3',
      { kind: 'video', codec: 'h264', ...H264_HIGH_SAR_4_3 },
      { codec: 'avc1.64000d', width: 320, height: 240, sampleAspectRatio: { num: 4, den: 3 } },
    ],
    [
      'H.265 Main',
      { kind: 'video', codec: 'h265', ...H265_MAIN },
      { codec: 'hvc1.1.6.L60.90', width: 320, height: 240 },
    ],
    [
      'AAC-LC 48 kHz stereo',
      { kind: 'audio', codec: 'aac', audioSpecificConfig: AAC_LC_48K_STEREO_ASC },
      { codec: 'mp4a.40.2', channels: 2, sampleRate: 48000 },
    ],
    [
      'HE-AAC, explicit signalling',
      { kind: 'audio', codec: 'aac', audioSpecificConfig: HE_AAC_EXPLICIT_ASC },
      { codec: 'mp4a.40.5', channels: 2, sampleRate: 48000 },
    ],
    [
      'HE-AAC, backward-compatible signalling',
      { kind: 'audio', codec: 'aac', audioSpecificConfig: HE_AAC_IMPLICIT_ASC },
      { codec: 'mp4a.40.5', channels: 2, sampleRate: 48000 },
    ],
    [
      'Opus mono',
      { kind: 'audio', codec: 'opus', channels: 1, sampleRate: 16000 },
      { codec: 'opus', channels: 1, sampleRate: 48000 },
    ],
  ])('%s', (_name, config, expected) => {
    const entry = sampleEntryOf(config);
    expect(entry).toMatchObject(expected);
    expect(codecStringOf(config)).toBe(expected.codec);
    if (expected.sampleAspectRatio === undefined) expect(entry.sampleAspectRatio).toBeUndefined();
  });

  it('writes avc1 with avcC and no pasp for square samples', () => {
    expect(entryHex({ kind: 'video', codec: 'h264', ...H264_MAIN })).toBe(
      golden(
        `00000086 ${cc('avc1')}`, // 86 + 48
        VISUAL_320X240,
        `00000030 ${cc('avcC')} 014d400d ffe1 0018 ${toHex(H264_MAIN.sps)} 01 0005 ${toHex(H264_MAIN.pps)}`,
      ),
    );
  });

  it('writes avc1 with avcC and pasp 4:3', () => {
    expect(entryHex({ kind: 'video', codec: 'h264', ...H264_HIGH_SAR_4_3 })).toBe(
      golden(
        `0000009c ${cc('avc1')}`, // 86 + 54 + 16
        VISUAL_320X240,
        `00000036 ${cc('avcC')} 0164000d ffe1 0019 ${toHex(H264_HIGH_SAR_4_3.sps)} 01 0006 ${toHex(H264_HIGH_SAR_4_3.pps)}`,
        'fdf8f800',
        `00000010 ${cc('pasp')} 00000004 00000003`,
      ),
    );
  });

  it('writes hvc1 with hvcC and pasp 16:11', () => {
    const { vps, sps, pps } = H265_MAIN_SAR_16_11;
    expect(entryHex({ kind: 'video', codec: 'h265', ...H265_MAIN_SAR_16_11 })).toBe(
      golden(
        `000000dd ${cc('hvc1')}`, // 86 + 119 + 16
        VISUAL_320X240,
        `00000077 ${cc('hvcC')} 01 01 60000000 900000000000 3c f000 fc fd f8 f8 0000 0f 03`,
        `a0 0001 0018 ${toHex(vps)} a1 0001 002a ${toHex(sps)} a2 0001 0007 ${toHex(pps)}`,
        `00000010 ${cc('pasp')} 00000010 0000000b`,
      ),
    );
  });

  it('writes mp4a with esds holding the AudioSpecificConfig as received', () => {
    expect(entryHex({ kind: 'audio', codec: 'aac', audioSpecificConfig: AAC_LC_48K_STEREO_ASC })).toBe(
      golden(
        `0000004e ${cc('mp4a')}`, // 36 + 42
        '000000000000 0001 00000000 00000000 0002 0010 0000 0000 bb800000', // 2 channels, 16 bits, 48 kHz
        `0000002a ${cc('esds')} 00000000 031c000000 04144015 000000 00000000 00000000 0505119056e500 060102`,
      ),
    );
  });

  it('writes Opus with dOps', () => {
    expect(entryHex({ kind: 'audio', codec: 'opus', channels: 2, sampleRate: 48000, preSkip: 312 })).toBe(
      golden(
        `00000037 ${cc('Opus')}`, // 36 + 19
        '000000000000 0001 00000000 00000000 0002 0010 0000 0000 bb800000', // always 48 kHz
        `00000013 ${cc('dOps')} 00 02 0138 0000bb80 0000 00`,
      ),
    );
  });

  const h264 = (sps: Uint8Array, pps: Uint8Array): TrackConfig => ({ kind: 'video', codec: 'h264', sps, pps });
  const h265 = (vps: Uint8Array, sps: Uint8Array, pps: Uint8Array): TrackConfig => ({
    kind: 'video',
    codec: 'h265',
    vps,
    sps,
    pps,
  });
  const opus = (channels: number, sampleRate: number, preSkip?: number): TrackConfig =>
    preSkip === undefined
      ? { kind: 'audio', codec: 'opus', channels, sampleRate }
      : { kind: 'audio', codec: 'opus', channels, sampleRate, preSkip };
  it.each<[string, TrackConfig]>([
    ['a truncated SPS', h264(H264_MAIN.sps.subarray(0, 6), H264_MAIN.pps)],
    ['an SPS where the PPS belongs', h264(H264_MAIN.sps, H264_MAIN.sps)],
    ['a PPS where the SPS belongs', h264(H264_MAIN.pps, H264_MAIN.pps)],
    ['an empty PPS', h264(H264_MAIN.sps, new Uint8Array(0))],
    ['a parameter set longer than 65535 bytes', h264(H264_MAIN.sps, new Uint8Array(65536).fill(0x68, 0, 1))],
    ['H.265 parameter sets in the wrong order', h265(H265_MAIN.sps, H265_MAIN.vps, H265_MAIN.pps)],
    ['a garbage H.265 SPS', h265(H265_MAIN.vps, fromHex('4201ffffffff'), H265_MAIN.pps)],
    ['an empty AudioSpecificConfig', { kind: 'audio', codec: 'aac', audioSpecificConfig: new Uint8Array(0) }],
    ['no AudioSpecificConfig', { kind: 'audio', codec: 'aac' } as unknown as TrackConfig],
    ['no SPS', { kind: 'video', codec: 'h264', pps: H264_MAIN.pps } as unknown as TrackConfig],
    ['a reserved sampling frequency index', { kind: 'audio', codec: 'aac', audioSpecificConfig: fromHex('1690') }],
    ['Opus with 6 channels', opus(6, 48000)],
    ['Opus with 0 channels', opus(0, 48000)],
    ['Opus at 0 Hz', opus(2, 0)],
    ['Opus with a pre-skip of 65536', opus(2, 48000, 65536)],
    ['an unknown codec', { kind: 'video', codec: 'vp8' } as unknown as TrackConfig],
    [
      'audio called video',
      { kind: 'video', codec: 'aac', audioSpecificConfig: AAC_LC_48K_STEREO_ASC } as unknown as TrackConfig,
    ],
  ])('refuses %s with FMP4_INVALID_CONFIG', (_name, config) => {
    expect(() => sampleEntryOf(config)).toThrow(expect.objectContaining({ code: Fmp4ErrorCode.INVALID_CONFIG }));
    expect(() => codecStringOf(config)).toThrow(expect.objectContaining({ code: Fmp4ErrorCode.INVALID_CONFIG }));
  });
});
