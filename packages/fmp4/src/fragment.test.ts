import fc from 'fast-check';
import {
  fuzzRuns,
  fuzzTimeout,
  expectFragmentsReadBack,
  inspectWithMp4box,
  type WrittenFragment,
} from '@camgate/testkit';
import muxjs from 'mux.js';
import { describe, expect, it } from 'vitest';
import { Fmp4ErrorCode } from './errors.js';
import { fragmentSize, type FragmentTrack, type Sample, writeFragment, writeFragmentInto } from './fragment.js';
import { writeInitSegment } from './init-segment.js';
import { MAX_FRAGMENT_BYTES } from './limits.js';
import { cc, golden } from './test-boxes.js';
import { aacTestStream, cutIntoFragments, toHex, videoTestStream } from './test-media.js';
import { AAC_LC_48K_STEREO_ASC, H264_MAIN } from './test-vectors.js';
import type { InitTrack } from './track-config.js';

const sample = (duration: number, compositionOffset: number, sync: boolean, ...bytes: number[]): Sample => ({
  duration,
  compositionOffset,
  sync,
  data: Uint8Array.from(bytes),
});

const VIDEO_AUDIO_INIT: InitTrack[] = [
  { id: 1, timescale: 90000, config: { kind: 'video', codec: 'h264', ...H264_MAIN } },
  { id: 2, timescale: 48000, config: { kind: 'audio', codec: 'aac', audioSpecificConfig: AAC_LC_48K_STEREO_ASC } },
];

/** One video track: a sync sample with a negative composition offset and a non-sync one, at 2^33 + 123. */
const ONE_TRACK: FragmentTrack[] = [
  {
    id: 1,
    baseMediaDecodeTime: 2 ** 33 + 123,
    samples: [sample(3000, -3000, true, 1, 2, 3), sample(3000, 6000, false, 4, 5)],
  },
];

/** Video (one sample) and audio (two samples) in one moof. */
const TWO_TRACKS: FragmentTrack[] = [
  { id: 1, baseMediaDecodeTime: 3600, samples: [sample(3600, 0, true, 0xa1, 0xa2, 0xa3)] },
  { id: 2, baseMediaDecodeTime: 1920, samples: [sample(1024, 0, true, 0xb1, 0xb2), sample(1024, 0, true, 0xc1, 0xc2)] },
];

describe('writeFragment', () => {
  it('writes moof (mfhd, traf: tfhd, tfdt v1, trun v1) and mdat byte-exactly', () => {
    const fragment = writeFragment(7, ONE_TRACK);
    expect(toHex(fragment)).toBe(
      golden(
        `00000078 ${cc('moof')}`, // 120
        `00000010 ${cc('mfhd')} 00000000 00000007`, // sequence_number 7
        `00000060 ${cc('traf')}`,
        `00000010 ${cc('tfhd')} 00020000 00000001`, // default-base-is-moof only; track_ID 1
        `00000014 ${cc('tfdt')} 01000000 00000002 0000007b`, // version 1: 2^33 + 123
        `00000034 ${cc('trun')} 01000f01 00000002 00000080`, // version 1, flags 0xf01, 2 samples, data at 128
        '00000bb8 00000003 02000000 fffff448', // 3000, 3 bytes, sync, -3000
        '00000bb8 00000002 01010000 00001770', // 3000, 2 bytes, non-sync, 6000
        `0000000d ${cc('mdat')} 010203 0405`,
      ),
    );
    expect(fragmentSize(ONE_TRACK)).toBe(fragment.length);
    expectFragmentsReadBack(inspectWithMp4box(writeInitSegment(VIDEO_AUDIO_INIT), [fragment]), [
      { sequenceNumber: 7, tracks: ONE_TRACK },
    ]);
  });

  it('points each trun at its own track inside the one mdat', () => {
    const fragment = writeFragment(1, TWO_TRACKS);
    expect(toHex(fragment)).toBe(
      golden(
        `000000c8 ${cc('moof')}`, // 200
        `00000010 ${cc('mfhd')} 00000000 00000001`,
        `00000050 ${cc('traf')} 00000010 ${cc('tfhd')} 00020000 00000001`,
        `00000014 ${cc('tfdt')} 01000000 00000000 00000e10`,
        `00000024 ${cc('trun')} 01000f01 00000001 000000d0`, // data at 200 + 8
        '00000e10 00000003 02000000 00000000',
        `00000060 ${cc('traf')} 00000010 ${cc('tfhd')} 00020000 00000002`,
        `00000014 ${cc('tfdt')} 01000000 00000000 00000780`,
        `00000034 ${cc('trun')} 01000f01 00000002 000000d3`, // data at 208 + 3 video bytes
        '00000400 00000002 02000000 00000000',
        '00000400 00000002 02000000 00000000',
        `0000000f ${cc('mdat')} a1a2a3 b1b2 c1c2`,
      ),
    );
    expect(fragmentSize(TWO_TRACKS)).toBe(fragment.length);
    expectFragmentsReadBack(inspectWithMp4box(writeInitSegment(VIDEO_AUDIO_INIT), [fragment]), [
      { sequenceNumber: 1, tracks: TWO_TRACKS },
    ]);
  });

  it('writes a moof without trafs when there are no tracks, and a traf with an empty trun for a track without samples', () => {
    expect(toHex(writeFragment(2, []))).toBe(
      golden(`00000018 ${cc('moof')} 00000010 ${cc('mfhd')} 00000000 00000002`, `00000008 ${cc('mdat')}`),
    );
    const empty: FragmentTrack[] = [{ id: 2, baseMediaDecodeTime: 0, samples: [] }];
    const fragment = writeFragment(3, empty);
    expect(fragment.length).toBe(fragmentSize(empty));
    expect(toHex(fragment).slice(2 * 68, 2 * 88)).toBe(golden(`00000014 ${cc('trun')} 01000f01 00000000 00000060`));
    const read = inspectWithMp4box(writeInitSegment(VIDEO_AUDIO_INIT), [writeFragment(2, []), fragment]);
    expect(read.fragments.map((f) => f.trafs.length)).toEqual([0, 1]);
    expectFragmentsReadBack(read, [
      { sequenceNumber: 2, tracks: [] },
      { sequenceNumber: 3, tracks: empty },
    ]);
  });

  it('mp4box reads the golden fragments back: tfdt above 2^32, negative offsets, flags and bytes', () => {
    const written: WrittenFragment[] = [
      {
        sequenceNumber: 7,
        tracks: [ONE_TRACK[0]!, { id: 2, baseMediaDecodeTime: 0, samples: [sample(1024, 0, true, 9)] }],
      },
      {
        sequenceNumber: 8,
        tracks: TWO_TRACKS.map((t) => ({ ...t, baseMediaDecodeTime: t.baseMediaDecodeTime + 2 ** 33 + 6123 })),
      },
    ];
    const read = inspectWithMp4box(
      writeInitSegment(VIDEO_AUDIO_INIT),
      written.map((f) => writeFragment(f.sequenceNumber, f.tracks)),
    );
    expectFragmentsReadBack(read, written);
    expect(read.fragments[0]!.trafs[0]!.baseMediaDecodeTime).toBe(2 ** 33 + 123);
    expect(read.samples.get(1)!.map((s) => [s.isSync, s.dependsOn])).toEqual([
      [true, 2],
      [false, 1],
      [true, 2],
    ]);
  });

  it('mp4box reads back real H.264 (B-frames) and AAC cut into 200 ms parts', () => {
    const video = videoTestStream('h264-main-bf2', { negativeCompositionOffsets: true });
    const audio = aacTestStream('aac-lc-48k-stereo');
    const videoParts = cutIntoFragments(1, video.samples, 5, 2 ** 33 + 123);
    const audioParts = cutIntoFragments(2, audio.samples, 10);
    const written = videoParts.map((part, i): WrittenFragment => ({
      sequenceNumber: i + 1,
      tracks: audioParts[i] === undefined ? [part] : [part, audioParts[i]],
    }));
    const read = inspectWithMp4box(
      writeInitSegment(VIDEO_AUDIO_INIT),
      written.map((f) => writeFragment(f.sequenceNumber, f.tracks)),
    );
    expectFragmentsReadBack(read, written);
    expect(Math.min(...video.samples.map((s) => s.compositionOffset))).toBeLessThan(0);
  });

  it('agrees with the mux.js inspector on tfhd, tfdt, trun and the data offsets', () => {
    const boxes = muxjs.mp4.tools.inspect(writeFragment(1, TWO_TRACKS));
    expect(boxes.map((b) => b.type)).toEqual(['moof', 'mdat']);
    const trafs = (boxes[0]!.boxes ?? []).filter((b) => b.type === 'traf');
    const view = trafs.map((traf) => {
      const [tfhd, tfdt, trun] = traf.boxes ?? [];
      const samples = trun!['samples'] as Array<{
        duration: number;
        size: number;
        flags: { dependsOn: number; isNonSyncSample: number };
        compositionTimeOffset: number;
      }>;
      return {
        trackId: tfhd!['trackId'],
        tfhdFlags: toHex(tfhd!['flags'] as Uint8Array),
        tfdt: [tfdt!['version'], tfdt!['baseMediaDecodeTime']],
        trun: [trun!['version'], toHex(trun!['flags'] as Uint8Array), trun!['dataOffset']],
        samples: samples.map((s) => [
          s.duration,
          s.size,
          s.flags.dependsOn,
          s.flags.isNonSyncSample,
          s.compositionTimeOffset,
        ]),
      };
    });
    expect(view).toEqual([
      { trackId: 1, tfhdFlags: '020000', tfdt: [1, 3600], trun: [1, '000f01', 208], samples: [[3600, 3, 2, 0, 0]] },
      {
        trackId: 2,
        tfhdFlags: '020000',
        tfdt: [1, 1920],
        trun: [1, '000f01', 211],
        samples: [
          [1024, 2, 2, 0, 0],
          [1024, 2, 2, 0, 0],
        ],
      },
    ]);
    const nonSync = muxjs.mp4.tools.inspect(writeFragment(1, ONE_TRACK))[0]!;
    expect(muxjs.mp4.tools.textify([nonSync])).toMatch(
      /"dependsOn": 1,[\s\S]*"isNonSyncSample": 1,[\s\S]*"compositionTimeOffset": 6000/,
    );
  });

  const track = (patch: Partial<FragmentTrack>, samples: Sample[] = [sample(1, 0, true, 1)]): FragmentTrack => ({
    id: 1,
    baseMediaDecodeTime: 0,
    samples,
    ...patch,
  });
  it.each<[string, number, FragmentTrack[]]>([
    ['a negative sequence number', -1, [track({})]],
    ['a sequence number of 2^32', 2 ** 32, [track({})]],
    ['track id 0', 1, [track({ id: 0 })]],
    ['track id 2^32', 1, [track({ id: 2 ** 32 })]],
    ['the same track twice', 1, [track({}), track({ baseMediaDecodeTime: 5 })]],
    ['a negative baseMediaDecodeTime', 1, [track({ baseMediaDecodeTime: -1 })]],
    ['an unsafe baseMediaDecodeTime', 1, [track({ baseMediaDecodeTime: 2 ** 53 })]],
    ['a fractional baseMediaDecodeTime', 1, [track({ baseMediaDecodeTime: 0.5 })]],
    ['a negative duration', 1, [track({}, [sample(-1, 0, true)])]],
    ['a duration of 2^32', 1, [track({}, [sample(2 ** 32, 0, true)])]],
    ['a fractional duration', 1, [track({}, [sample(1.5, 0, true)])]],
    ['a composition offset of 2^31', 1, [track({}, [sample(1, 2 ** 31, true)])]],
    ['a composition offset below -2^31', 1, [track({}, [sample(1, -(2 ** 31) - 1, true)])]],
    ['a NaN composition offset', 1, [track({}, [sample(1, Number.NaN, true)])]],
  ])('refuses %s with FMP4_INVALID_FRAGMENT', (_name, sequenceNumber, tracks) => {
    expect(() => writeFragment(sequenceNumber, tracks)).toThrow(
      expect.objectContaining({ code: Fmp4ErrorCode.INVALID_FRAGMENT }),
    );
  });

  it(`refuses a fragment above MAX_FRAGMENT_BYTES (${MAX_FRAGMENT_BYTES}) before allocating it`, () => {
    const mebibyte = new Uint8Array(1024 * 1024);
    const samples = Array.from({ length: MAX_FRAGMENT_BYTES / mebibyte.length }, () => ({
      duration: 1,
      compositionOffset: 0,
      sync: true,
      data: mebibyte,
    }));
    expect(() => writeFragment(1, [{ id: 1, baseMediaDecodeTime: 0, samples }])).toThrow(
      expect.objectContaining({ code: Fmp4ErrorCode.FRAGMENT_TOO_LARGE }),
    );
  });

  describe('writeFragmentInto', () => {
    it.each([
      { name: 'one track', tracks: ONE_TRACK },
      { name: 'two tracks', tracks: TWO_TRACKS },
      { name: 'no tracks', tracks: [] as FragmentTrack[] },
    ])('writes the same bytes as writeFragment at the start of the target, leaving the rest ($name)', ({ tracks }) => {
      const target = new Uint8Array(fragmentSize(tracks) + 5).fill(0xee);
      const written = writeFragmentInto(target, 9, tracks);
      expect(written.buffer).toBe(target.buffer);
      expect(written.byteOffset).toBe(0);
      expect(Buffer.from(written)).toEqual(Buffer.from(writeFragment(9, tracks)));
      expect([...target.subarray(written.length)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    });

    it('writes into a view at an offset of a larger buffer (a chunk of a pool)', () => {
      const chunk = new Uint8Array(1024);
      const written = writeFragmentInto(chunk.subarray(100), 3, TWO_TRACKS);
      expect(written.byteOffset).toBe(100);
      expect(Buffer.from(chunk.subarray(100, 100 + written.length))).toEqual(Buffer.from(writeFragment(3, TWO_TRACKS)));
    });

    it.each([
      {
        name: 'too small a target',
        target: () => new Uint8Array(fragmentSize(ONE_TRACK) - 1),
        code: Fmp4ErrorCode.BUFFER_OVERFLOW,
      },
      {
        name: 'an invalid track',
        target: () => new Uint8Array(4096),
        code: Fmp4ErrorCode.INVALID_FRAGMENT,
        tracks: [{ id: 0, baseMediaDecodeTime: 0, samples: [] }],
      },
    ])('refuses $name and writes nothing', ({ target, code, tracks }) => {
      const buffer = target().fill(0xee);
      expect(() => writeFragmentInto(buffer, 1, tracks ?? ONE_TRACK)).toThrow(expect.objectContaining({ code }));
      expect(buffer.every((b) => b === 0xee)).toBe(true);
    });
  });

  describe('properties', () => {
    const sampleArb = fc.record({
      duration: fc.nat({ max: 0xffffffff }),
      compositionOffset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      sync: fc.boolean(),
      data: fc.uint8Array({ maxLength: 64 }),
    });
    const tracksArb = fc.uniqueArray(
      fc.record({
        id: fc.integer({ min: 1, max: 0xffffffff }),
        baseMediaDecodeTime: fc.oneof(fc.nat({ max: 2 ** 32 }), fc.maxSafeNat()),
        samples: fc.array(sampleArb, { maxLength: 12 }),
      }),
      { selector: (t) => t.id, maxLength: 4 },
    );

    it(
      'fuzz: fragmentSize equals the written length, and mp4box reads back exactly the samples',
      () => {
        fc.assert(
          fc.property(fc.nat({ max: 0xffffffff }), tracksArb, (sequenceNumber, tracks) => {
            const fragment = writeFragment(sequenceNumber, tracks);
            expect(fragment.length).toBe(fragmentSize(tracks));
            if (tracks.length === 0) return;
            // mp4box needs a moov that declares the tracks; their codec does not matter here.
            const init = writeInitSegment(
              tracks.map((t) => ({
                id: t.id,
                timescale: 90000,
                config: { kind: 'video', codec: 'h264', ...H264_MAIN },
              })),
            );
            expectFragmentsReadBack(inspectWithMp4box(init, [fragment]), [{ sequenceNumber, tracks }]);
          }),
          { numRuns: fuzzRuns(300) },
        );
      },
      // Each input also runs mp4box: allow 5 ms per input.
      fuzzTimeout(5 * fuzzRuns(300)),
    );

    it(
      'fuzz: random timing values are written (and read back by mp4box) or refused with FMP4_INVALID_FRAGMENT',
      () => {
        const videoInit = writeInitSegment([VIDEO_AUDIO_INIT[0]!]);
        const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(2 ** 32, 2 ** 31, -1, 2 ** 53));
        fc.assert(
          fc.property(anyNumber, anyNumber, anyNumber, anyNumber, (sequenceNumber, time, duration, offset) => {
            const tracks = [
              {
                id: 1,
                baseMediaDecodeTime: time,
                samples: [{ duration, compositionOffset: offset, sync: true, data: new Uint8Array(3) }],
              },
            ];
            let fragment: Uint8Array;
            try {
              fragment = writeFragment(sequenceNumber, tracks);
            } catch (err) {
              expect(err).toMatchObject({ code: Fmp4ErrorCode.INVALID_FRAGMENT });
              return;
            }
            expect(fragment.length).toBe(fragmentSize(tracks));
            expectFragmentsReadBack(inspectWithMp4box(videoInit, [fragment]), [{ sequenceNumber, tracks }]);
          }),
          { numRuns: fuzzRuns() },
        );
      },
      fuzzTimeout(5 * fuzzRuns()),
    );
  });
});
