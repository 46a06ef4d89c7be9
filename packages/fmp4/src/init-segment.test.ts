import { codecsMatch, inspectWithMp4box } from '@camgate/testkit';
import muxjs from 'mux.js';
import { describe, expect, it } from 'vitest';
import { Fmp4ErrorCode } from './errors.js';
import { writeInitSegment } from './init-segment.js';
import { codecStringOf, sampleEntryOf } from './sample-entry.js';
import { cc, golden } from './test-boxes.js';
import { aacTestStream, toHex, videoTestStream } from './test-media.js';
import {
  AAC_LC_48K_STEREO_ASC,
  H264_HIGH_SAR_4_3,
  H264_MAIN,
  H265_MAIN,
  H265_MAIN_SAR_16_11,
  HE_AAC_EXPLICIT_ASC,
  HE_AAC_IMPLICIT_ASC,
} from './test-vectors.js';
import type { InitTrack, TrackConfig } from './track-config.js';

const MATRIX = '00010000 00000000 00000000 00000000 00010000 00000000 00000000 00000000 40000000';
const DINF = golden(`00000024 ${cc('dinf')} 0000001c ${cc('dref')} 00000000 00000001 0000000c ${cc('url ')} 00000001`);
const EMPTY_TABLES = golden(
  `00000010 ${cc('stts')} 00000000 00000000`,
  `00000010 ${cc('stsc')} 00000000 00000000`,
  `00000014 ${cc('stsz')} 00000000 00000000 00000000`,
  `00000010 ${cc('stco')} 00000000 00000000`,
);

/** ftyp + moov of an H.264 Main 320x240 track (id 1, 90 kHz) and an AAC-LC 48 kHz stereo track (id 2), spelled out. */
const H264_AAC_INIT = golden(
  `0000001c ${cc('ftyp')} ${cc('iso6')} 00000000 ${cc('iso6')} ${cc('cmfc')} ${cc('mp41')}`,
  `00000436 ${cc('moov')}`,
  `0000006c ${cc('mvhd')} 00000000 00000000 00000000 000003e8 00000000`, // movie timescale 1000, duration 0
  `00010000 0100 0000 00000000 00000000 ${MATRIX} ${'00'.repeat(24)} 00000003`, // next_track_ID 3
  // Video track.
  `000001db ${cc('trak')}`,
  `0000005c ${cc('tkhd')} 00000007 00000000 00000000 00000001 00000000 00000000 00000000 00000000`,
  `0000 0000 0000 0000 ${MATRIX} 01400000 00f00000`, // volume 0, 320x240
  `00000177 ${cc('mdia')}`,
  `00000020 ${cc('mdhd')} 00000000 00000000 00000000 00015f90 00000000 55c4 0000`, // 90 kHz, 'und'
  `0000002d ${cc('hdlr')} 00000000 00000000 ${cc('vide')} ${'00'.repeat(12)} ${cc('VideoHandler')} 00`,
  `00000122 ${cc('minf')}`,
  `00000014 ${cc('vmhd')} 00000001 0000 000000000000`,
  DINF,
  `000000e2 ${cc('stbl')} 00000096 ${cc('stsd')} 00000000 00000001`,
  `00000086 ${cc('avc1')} 000000000000 0001 0000 0000 ${'00'.repeat(12)} 0140 00f0 00480000 00480000 00000000 0001`,
  `${'00'.repeat(32)} 0018 ffff`,
  `00000030 ${cc('avcC')} 014d400d ffe1 0018 ${toHex(H264_MAIN.sps)} 01 0005 ${toHex(H264_MAIN.pps)}`,
  EMPTY_TABLES,
  // Audio track.
  `0000019f ${cc('trak')}`,
  `0000005c ${cc('tkhd')} 00000007 00000000 00000000 00000002 00000000 00000000 00000000 00000000`,
  `0000 0000 0100 0000 ${MATRIX} 00000000 00000000`, // volume 1.0, no size
  `0000013b ${cc('mdia')}`,
  `00000020 ${cc('mdhd')} 00000000 00000000 00000000 0000bb80 00000000 55c4 0000`, // 48 kHz
  `0000002d ${cc('hdlr')} 00000000 00000000 ${cc('soun')} ${'00'.repeat(12)} ${cc('SoundHandler')} 00`,
  `000000e6 ${cc('minf')}`,
  `00000010 ${cc('smhd')} 00000000 0000 0000`,
  DINF,
  `000000aa ${cc('stbl')} 0000005e ${cc('stsd')} 00000000 00000001`,
  `0000004e ${cc('mp4a')} 000000000000 0001 00000000 00000000 0002 0010 0000 0000 bb800000`,
  `0000002a ${cc('esds')} 00000000 03 1c 0000 00 04 14 40 15 000000 00000000 00000000 05 05 119056e500 06 01 02`,
  EMPTY_TABLES,
  // One trex per track.
  `00000048 ${cc('mvex')}`,
  `00000020 ${cc('trex')} 00000000 00000001 00000001 00000000 00000000 00000000`,
  `00000020 ${cc('trex')} 00000000 00000002 00000001 00000000 00000000 00000000`,
);

const h264Main: TrackConfig = { kind: 'video', codec: 'h264', ...H264_MAIN };
const aac: TrackConfig = { kind: 'audio', codec: 'aac', audioSpecificConfig: AAC_LC_48K_STEREO_ASC };

describe('writeInitSegment', () => {
  it('writes ftyp and moov byte-exactly (H.264 + AAC)', () => {
    const init = writeInitSegment([
      { id: 1, timescale: 90000, config: h264Main },
      { id: 2, timescale: 48000, config: aac },
    ]);
    expect(toHex(init)).toBe(H264_AAC_INIT);
    expect(inspectWithMp4box(init).tracks.map((t) => t.codec)).toEqual(['avc1.4d400d', 'mp4a.40.2']);
  });

  // Every configuration camgate can get from a camera, as mp4box reads it back.
  const cases: Array<[string, InitTrack[]]> = [
    [
      'H.264 Main + AAC-LC',
      [
        { id: 1, timescale: 90000, config: h264Main },
        { id: 2, timescale: 48000, config: aac },
      ],
    ],
    [
      'H.264 High, SAR 4:3',
      [{ id: 1, timescale: 90000, config: { kind: 'video', codec: 'h264', ...H264_HIGH_SAR_4_3 } }],
    ],
    [
      'H.264 High 1080p (cropped from 1088)',
      [{ id: 1, timescale: 90000, config: videoTestStream('h264-high-1080p').config }],
    ],
    ['H.264 Constrained Baseline', [{ id: 1, timescale: 90000, config: videoTestStream('h264-baseline').config }]],
    [
      'H.265 Main + AAC-LC',
      [
        { id: 1, timescale: 90000, config: { kind: 'video', codec: 'h265', ...H265_MAIN } },
        { id: 2, timescale: 48000, config: aac },
      ],
    ],
    [
      'H.265 Main, SAR 16:11',
      [{ id: 1, timescale: 90000, config: { kind: 'video', codec: 'h265', ...H265_MAIN_SAR_16_11 } }],
    ],
    ['H.265 Main 10', [{ id: 1, timescale: 90000, config: videoTestStream('h265-main10').config }]],
    ['AAC-LC 16 kHz mono alone', [{ id: 5, timescale: 16000, config: aacTestStream('aac-lc-16k-mono').config }]],
    [
      'H.264 + Opus stereo',
      [
        { id: 1, timescale: 90000, config: h264Main },
        {
          id: 2,
          timescale: 48000,
          config: { kind: 'audio', codec: 'opus', channels: 2, sampleRate: 48000, preSkip: 312 },
        },
      ],
    ],
    [
      'Opus mono, track ids 3 and up',
      [{ id: 3, timescale: 48000, config: { kind: 'audio', codec: 'opus', channels: 1, sampleRate: 16000 } }],
    ],
    [
      'HE-AAC, explicit signalling',
      [{ id: 1, timescale: 48000, config: { kind: 'audio', codec: 'aac', audioSpecificConfig: HE_AAC_EXPLICIT_ASC } }],
    ],
  ];

  it.each(cases)('%s: mp4box reads brands, tracks, codec strings and sizes back', (_name, tracks) => {
    const read = inspectWithMp4box(writeInitSegment(tracks));
    expect(read.majorBrand).toBe('iso6');
    expect(read.minorVersion).toBe(0);
    expect(read.compatibleBrands).toEqual(['iso6', 'cmfc', 'mp41']);
    expect(read.isFragmented).toBe(true);
    expect(read.movieTimescale).toBe(1000);
    expect(read.nextTrackId).toBe(Math.max(...tracks.map((t) => t.id)) + 1);
    expect(read.tracks.map((t) => t.id)).toEqual(tracks.map((t) => t.id));
    tracks.forEach((track, i) => {
      const got = read.tracks[i]!;
      const entry = sampleEntryOf(track.config);
      expect(
        codecsMatch(codecStringOf(track.config), got.codec),
        `${codecStringOf(track.config)} vs ${got.codec}`,
      ).toBe(true);
      if (track.config.codec === 'h264' || track.config.codec === 'aac')
        expect(got.codec).toBe(codecStringOf(track.config));
      expect(got.timescale).toBe(track.timescale);
      expect(got.language).toBe('und');
      expect(read.trexDescriptionIndex.get(track.id)).toBe(1);
      if (entry.kind === 'video') {
        expect(got.type).toBe('video');
        expect(got.handlerName).toBe('VideoHandler');
        expect([got.width, got.height, got.trackWidth, got.trackHeight]).toEqual([
          entry.width,
          entry.height,
          entry.width,
          entry.height,
        ]);
        const pasp = (got.sampleEntry as { pasp?: { hSpacing: number; vSpacing: number } }).pasp;
        const sar = entry.sampleAspectRatio;
        expect(pasp === undefined ? undefined : { num: pasp.hSpacing, den: pasp.vSpacing }).toEqual(sar);
      } else {
        expect(got.type).toBe('audio');
        expect(got.handlerName).toBe('SoundHandler');
        expect([got.channelCount, got.sampleRate]).toEqual([entry.channels, entry.sampleRate]);
      }
    });
  });

  it('names HE-AAC with backward-compatible signalling mp4a.40.5, where mp4box reads only the first object type (2)', () => {
    // codecStringOf follows @camgate/codecs aacCodecString (RFC 6381 §3.3 with 5 for any SBR stream,
    // as HLS CODECS lists HE-AAC); mp4box.js takes the first 5 bits of the DecoderSpecificInfo.
    const config: TrackConfig = { kind: 'audio', codec: 'aac', audioSpecificConfig: HE_AAC_IMPLICIT_ASC };
    const [track] = inspectWithMp4box(writeInitSegment([{ id: 1, timescale: 48000, config }])).tracks;
    expect([codecStringOf(config), track!.codec]).toEqual(['mp4a.40.5', 'mp4a.40.2']);
    expect([track!.channelCount, track!.sampleRate]).toEqual([2, 48000]);
  });

  it('carries the avcC and the High-profile extension as mp4box parses them', () => {
    const read = inspectWithMp4box(
      writeInitSegment([{ id: 1, timescale: 90000, config: { kind: 'video', codec: 'h264', ...H264_HIGH_SAR_4_3 } }]),
    );
    const avcC = (read.tracks[0]!.sampleEntry as unknown as { avcC: Record<string, unknown> }).avcC;
    expect(avcC).toMatchObject({
      configurationVersion: 1,
      AVCProfileIndication: 100,
      profile_compatibility: 0,
      AVCLevelIndication: 13,
      lengthSizeMinusOne: 3,
      nb_SPS_nalus: 1,
      nb_PPS_nalus: 1,
    });
    expect(toHex((avcC['SPS'] as Array<{ data: Uint8Array }>)[0]!.data)).toBe(toHex(H264_HIGH_SAR_4_3.sps));
    expect(toHex((avcC['PPS'] as Array<{ data: Uint8Array }>)[0]!.data)).toBe(toHex(H264_HIGH_SAR_4_3.pps));
    expect(toHex(avcC['ext'] as Uint8Array)).toBe('fdf8f800');
  });

  it.each([
    ['h265-main', 1, 8, 8],
    ['h265-main10', 2, 10, 10],
  ])('carries the %s hvcC as mp4box parses it', (stream, profile, luma, chroma) => {
    const { config } = videoTestStream(stream);
    if (config.codec !== 'h265') throw new Error('not H.265');
    const read = inspectWithMp4box(writeInitSegment([{ id: 1, timescale: 90000, config }]));
    const hvcC = (read.tracks[0]!.sampleEntry as unknown as { hvcC: Record<string, unknown> }).hvcC;
    expect(hvcC).toMatchObject({
      configurationVersion: 1,
      general_profile_space: 0,
      general_tier_flag: 0,
      general_profile_idc: profile,
      general_level_idc: 60,
      min_spatial_segmentation_idc: 0,
      parallelismType: 0,
      chroma_format_idc: 1,
      bit_depth_luma_minus8: luma - 8,
      bit_depth_chroma_minus8: chroma - 8,
      avgFrameRate: 0,
      constantFrameRate: 0,
      temporalIdNested: 1,
      lengthSizeMinusOne: 3,
    });
    // mp4box.js 2.4.1 masks numTemporalLayers with 0xd, so it reads bit 3 of the field only: 1 for 1 layer.
    expect(hvcC['numTemporalLayers']).toBe(1);
    const arrays = hvcC['nalu_arrays'] as Array<
      Array<{ data: Uint8Array }> & { completeness: number; nalu_type: number }
    >;
    expect(arrays.map((a) => [a.nalu_type, a.completeness, a.length])).toEqual([
      [32, 1, 1],
      [33, 1, 1],
      [34, 1, 1],
    ]);
    expect(arrays.map((a) => toHex(a[0]!.data))).toEqual([toHex(config.vps), toHex(config.sps), toHex(config.pps)]);
  });

  it('writes the Opus dOps mp4box reads back', () => {
    const read = inspectWithMp4box(
      writeInitSegment([
        {
          id: 1,
          timescale: 48000,
          config: { kind: 'audio', codec: 'opus', channels: 2, sampleRate: 24000, preSkip: 312 },
        },
      ]),
    );
    expect((read.tracks[0]!.sampleEntry as unknown as { dOps: unknown }).dOps).toMatchObject({
      Version: 0,
      OutputChannelCount: 2,
      PreSkip: 312,
      InputSampleRate: 24000,
      OutputGain: 0,
      ChannelMappingFamily: 0,
    });
  });

  describe('mux.js inspector (H.264/AAC cross-check)', () => {
    const init = writeInitSegment([
      { id: 1, timescale: 90000, config: h264Main },
      { id: 2, timescale: 48000, config: aac },
    ]);

    it('reads the same tracks, sizes and decoder configurations', () => {
      const boxes = muxjs.mp4.tools.inspect(init);
      const text = muxjs.mp4.tools.textify(boxes);
      expect(boxes.map((b) => [b.type, b.size])).toEqual([
        ['ftyp', 28],
        ['moov', 1078],
      ]);
      for (const line of [
        'majorBrand: "iso6"',
        'nextTrackId: 3',
        'handlerType: "vide"',
        'handlerType: "soun"',
        'timescale: 90000',
        'timescale: 48000',
        'language: "und"',
      ]) {
        expect(text).toContain(line);
      }
      expect(text).toMatch(/"width": 320,\s+"height": 240/);
      expect(text).toMatch(
        /"avcProfileIndication": 77,\s+"profileCompatibility": 64,\s+"avcLevelIndication": 13,\s+"lengthSizeMinusOne": 3/,
      );
      expect(text).toMatch(/"objectProfileIndication": 64,\s+"streamType": 5/);
      expect(text).toMatch(/"audioObjectType": 2,\s+"samplingFrequencyIndex": 3,\s+"channelConfiguration": 2/);
      expect(text).toMatch(/"channelcount": 2,\s+"samplesize": 16,\s+"samplerate": 48000/);
    });

    it('probes the same codec strings (mux.js reads the esds stream type where the object type belongs)', () => {
      const tracks = muxjs.mp4.probe.tracks(init);
      expect(tracks).toEqual([
        { id: 1, type: 'video', codec: codecStringOf(h264Main), timescale: 90000 },
        // mux.js 7.1.0 probe.js builds mp4a.40.N from the DecoderConfigDescriptor's stream type
        // byte (0x15 >> 2 = 5) whatever the AudioSpecificConfig says; its inspector above reads 2.
        { id: 2, type: 'audio', codec: 'mp4a.40.5', timescale: 48000 },
      ]);
      expect(codecStringOf(aac)).toBe('mp4a.40.2');
    });

    it.each(['h264-baseline', 'h264-main-bf2', 'h264-high-nob', 'h264-high-1080p', 'h264-high-bpyramid', 'sar-4-3'])(
      'sizes and profile of %s agree with the SPS parse of mux.js H264Stream',
      (stream) => {
        const config =
          stream === 'sar-4-3'
            ? { kind: 'video' as const, codec: 'h264' as const, ...H264_HIGH_SAR_4_3 }
            : videoTestStream(stream).config;
        if (config.codec !== 'h264') throw new Error('not H.264');
        const h264 = new muxjs.codecs.h264.H264Stream();
        const parsed: Array<NonNullable<Parameters<Parameters<typeof h264.on>[1]>[0]['config']>> = [];
        h264.on('data', (event) => {
          if (event.config !== undefined) parsed.push(event.config);
        });
        h264.push({
          type: 'video',
          trackId: 1,
          pts: 0,
          dts: 0,
          data: new Uint8Array([0, 0, 0, 1, ...config.sps, 0, 0, 0, 1, ...config.pps]),
        });
        h264.flush();
        const entry = sampleEntryOf(config);
        const [mux] = parsed;
        expect(mux).toBeDefined();
        expect([entry.width, entry.height]).toEqual([mux!.width, mux!.height]);
        expect(entry.codec).toBe(
          `avc1.${[mux!.profileIdc, mux!.profileCompatibility, mux!.levelIdc].map((b) => b.toString(16).padStart(2, '0')).join('')}`,
        );
        // mux.js reports 1:1 when the SPS has no aspect ratio; we write pasp only for non-square samples.
        const sar = entry.sampleAspectRatio ?? { num: 1, den: 1 };
        expect([sar.num, sar.den]).toEqual(mux!.sarRatio);
      },
    );
  });

  const track = (id: number, timescale: number, config: TrackConfig = h264Main): InitTrack => ({
    id,
    timescale,
    config,
  });
  it.each<[string, InitTrack[]]>([
    ['no tracks', []],
    ['17 tracks', Array.from({ length: 17 }, (_, i) => track(i + 1, 90000))],
    ['track id 0', [track(0, 90000)]],
    ['track id 2^32', [track(2 ** 32, 90000)]],
    ['a fractional track id', [track(1.5, 90000)]],
    ['a duplicate track id', [track(1, 90000), track(1, 48000, aac)]],
    ['timescale 0', [track(1, 0)]],
    ['timescale 2^32', [track(1, 2 ** 32)]],
    [
      'an unparsable SPS',
      [track(1, 90000, { kind: 'video', codec: 'h264', sps: H264_MAIN.sps.subarray(0, 5), pps: H264_MAIN.pps })],
    ],
  ])('refuses %s with FMP4_INVALID_CONFIG', (_name, tracks) => {
    expect(() => writeInitSegment(tracks)).toThrow(expect.objectContaining({ code: Fmp4ErrorCode.INVALID_CONFIG }));
  });

  it('caps next_track_ID at 2^32 - 1 when the largest id is already there', () => {
    const read = inspectWithMp4box(writeInitSegment([track(0xffffffff, 90000)]));
    expect(read.nextTrackId).toBe(0xffffffff);
  });
});
