import { readFileSync } from 'node:fs';
import { isCodedError } from '@camgate/bits';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CamsimError, CamsimErrorCode } from '../errors.js';
import type { Clip } from './clip.js';
import { parseClip } from './parse-clip.js';
import {
  H264_IDR,
  H264_P,
  H264_PPS,
  H264_SPS,
  H265_IDR,
  H265_PPS,
  H265_SPS,
  H265_TRAIL,
  H265_VPS,
  b64,
  lengthPrefixed,
  syncSizes,
  tinyAacClip,
  tinyH264PcmaClip,
  tinyH265Clip,
  writeTestClip,
  type TestClip,
} from './test-clip-writer.js';

const ascii = (text: string): number[] => [...new TextEncoder().encode(text)];

describe('parseClip', () => {
  it('reads a clip file byte for byte: magic, version, header length, JSON header, frames', () => {
    const json =
      '{"name":"tiny","tracks":[{"kind":"audio","codec":"pcma","clockRate":8000,"channels":1,' +
      '"config":{},"durationTicks":8,"frames":[[0,0,4,1],[4,4,4,1]]}]}';
    const bytes = Uint8Array.from([
      ...ascii('CAMCLIP\0'),
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      json.length,
      ...ascii(json),
      0xd5,
      0xd4,
      0xd7,
      0xd6,
      0x55,
      0x54,
      0x57,
      0x56,
    ]);
    const clip = parseClip(bytes, 'tiny');
    expect(clip).toEqual({
      name: 'tiny',
      durationMs: 1,
      tracks: [
        {
          kind: 'audio',
          codec: 'pcma',
          clockRate: 8000,
          channels: 1,
          config: {},
          durationTicks: 8,
          frames: [
            { pts: 0, dts: 0, keyframe: true, data: Uint8Array.of(0xd5, 0xd4, 0xd7, 0xd6) },
            { pts: 4, dts: 4, keyframe: true, data: Uint8Array.of(0x55, 0x54, 0x57, 0x56) },
          ],
        },
      ],
    });
    // Frames are views on the file, not copies.
    expect(clip.tracks[0]!.frames[1]!.data.buffer).toBe(bytes.buffer);
  });

  it('parses codec configs and length-prefixed video frames', () => {
    const clip = parseClip(writeTestClip(tinyH264PcmaClip()), 'tiny');
    expect(clip.durationMs).toBe(80);
    const [video, audio] = clip.tracks;
    expect(video!.config).toEqual({ sps: Uint8Array.from(H264_SPS), pps: Uint8Array.from(H264_PPS) });
    expect(video!.frames.map((f) => [f.pts, f.dts, f.keyframe, [...f.data]])).toEqual([
      [0, 0, true, [...lengthPrefixed(H264_SPS, H264_PPS, H264_IDR)]],
      [3600, 3600, false, [...lengthPrefixed(H264_P)]],
    ]);
    expect(audio!.frames.map((f) => f.data.length)).toEqual([160, 160, 160, 160]);
    expect(parseClip(writeTestClip(tinyH265Clip()), 'tiny').tracks[0]!.config.vps).toEqual(Uint8Array.from(H265_VPS));
    expect(parseClip(writeTestClip(tinyAacClip()), 'tiny').tracks[0]!.config.audioSpecificConfig).toEqual(
      Uint8Array.of(0x11, 0x90),
    );
  });

  it('accepts B-frames: decode times ahead of presentation, negative before the first picture', () => {
    const c = tinyH264PcmaClip();
    c.header.tracks[0]!.frames = [
      [0, -3600, 0, 1],
      [3600, 0, 0, 0],
    ];
    expect(parseClip(writeTestClip(c), 'tiny').tracks[0]!.frames.map((f) => f.dts)).toEqual([-3600, 0]);
  });

  type Case = [name: string, base: () => TestClip, mutate: (c: TestClip) => void];
  const video = (c: TestClip) => c.header.tracks[0]!;
  const audio = (c: TestClip) => c.header.tracks[1]!;
  const h264 = tinyH264PcmaClip;
  const h265 = tinyH265Clip;
  const aac = tinyAacClip;
  const invalid: Case[] = [
    // File structure
    ['format version 2', h264, (c) => (c.version = 2)],
    ['a header length past the end', h264, (c) => (c.headerLength = 1_000_000)],
    ['a header that is not JSON', h264, (c) => (c.headerLength = 5)],
    ['bytes after the last frame', h264, (c) => (c.trailing = Uint8Array.of(0))],
    ['a frame size past the end of the file', h264, (c) => ((c.keepSizes = true), (audio(c).frames[3]![2] = 161))],
    ['a frame of size 0', h264, (c) => ((c.keepSizes = true), (audio(c).frames[0]![2] = 0))],
    // Header shape
    ['a header that is an array', h264, (c) => (c.header = [] as unknown as TestClip['header'])],
    ['another clip name', h264, (c) => (c.header.name = 'other')],
    ['no tracks', h264, (c) => ((c.header.tracks = []), (c.data = []))],
    ['tracks that are not an array', h264, (c) => (c.header.tracks = {} as unknown as TestClip['header']['tracks'])],
    [
      'two video tracks',
      h264,
      (c) => ((c.header.tracks = [video(c), structuredClone(video(c))]), (c.data[1] = c.data[0]!)),
    ],
    ['three tracks', h264, (c) => ((c.header.tracks = [...c.header.tracks, audio(c)]), c.data.push(c.data[1]!))],
    ['an unknown kind', h264, (c) => (video(c).kind = 'subtitle')],
    ['an unknown codec', h264, (c) => (video(c).codec = 'vp8')],
    ['a codec of the other kind', h264, (c) => (video(c).kind = 'audio')],
    ['a codec name from the prototype', h264, (c) => (video(c).codec = 'constructor')],
    ['a video clock rate other than 90 kHz', h264, (c) => (video(c).clockRate = 48_000)],
    ['a PCMA clock rate other than 8 kHz', h264, (c) => (audio(c).clockRate = 16_000)],
    ['a fractional clock rate', h264, (c) => (video(c).clockRate = 90_000.5)],
    ['channels on a video track', h264, (c) => (video(c).channels = 1)],
    ['an audio track without channels', h264, (c) => delete audio(c).channels],
    ['9 channels', h264, (c) => (audio(c).channels = 9)],
    ['a loop of 0 ticks', h264, (c) => (video(c).durationTicks = 0)],
    ['a loop longer than 60 s', h264, (c) => (video(c).durationTicks = 61 * 90_000)],
    [
      'tracks that loop after different durations',
      h264,
      (c) => {
        audio(c).durationTicks = 800;
        audio(c).frames.push([640, 640, 0, 1]);
        c.data[1]!.push(new Uint8Array(160));
      },
    ],
    // Codec config
    ['a missing SPS', h264, (c) => delete video(c).config['sps']],
    ['an SPS that is not base64', h264, (c) => (video(c).config['sps'] = 'Z0L*AB4=')],
    ['an SPS that is a string of spaces', h264, (c) => (video(c).config['sps'] = '    ')],
    ['an SPS that is a number', h264, (c) => (video(c).config['sps'] = 7)],
    ['an SPS that is a PPS', h264, (c) => (video(c).config['sps'] = b64(H264_PPS))],
    ['a config field the codec does not have', h264, (c) => (video(c).config['vps'] = b64(H265_VPS))],
    ['config on PCMA', h264, (c) => (audio(c).config['audioSpecificConfig'] = b64([0x11, 0x90]))],
    ['a config that is null', h264, (c) => (video(c).config = null as unknown as Record<string, unknown>)],
    ['an H.265 track without its VPS', h265, (c) => delete video(c).config['vps']],
    [
      'an AudioSpecificConfig for 44.1 kHz on a 48 kHz track',
      aac,
      (c) => (video(c).config['audioSpecificConfig'] = b64([0x12, 0x10])),
    ],
    [
      'an AudioSpecificConfig for mono on a stereo track',
      aac,
      (c) => (video(c).config['audioSpecificConfig'] = b64([0x11, 0x88])),
    ],
    ['a truncated AudioSpecificConfig', aac, (c) => (video(c).config['audioSpecificConfig'] = b64([0x11]))],
    // Frame list and timing
    ['no frames', h264, (c) => ((video(c).frames = []), (c.data[0] = []))],
    ['a frame that is not an array', h264, (c) => (video(c).frames[1] = { pts: 3600 } as unknown as unknown[])],
    ['a frame with 3 fields', h264, (c) => video(c).frames[1]!.pop()],
    ['a keyframe flag of 2', h264, (c) => (video(c).frames[1]![3] = 2)],
    ['a first frame that is not a keyframe', h264, (c) => (video(c).frames[0]![3] = 0)],
    ['decode times that do not increase', h264, (c) => (video(c).frames[1]![1] = 0)],
    ['a decode time after the presentation time', h264, (c) => (video(c).frames[1]![1] = 3601)],
    ['a decode time more than a loop early', h264, (c) => (video(c).frames[0]![1] = -7201)],
    [
      'decode times spanning a whole loop',
      h264,
      (c) =>
        (video(c).frames = [
          [0, -7200, 0, 1],
          [3600, 0, 0, 0],
        ]),
    ],
    ['a presentation time off the frame grid', h264, (c) => (video(c).frames[1] = [3000, 3000, 0, 0])],
    ['a presentation time at the loop end', h264, (c) => (video(c).frames[1]![0] = 7200)],
    [
      'two frames presented at once',
      h264,
      (c) =>
        (video(c).frames = [
          [0, -3600, 0, 1],
          [0, 0, 0, 0],
        ]),
    ],
    ['a timestamp as a string', h264, (c) => (video(c).frames[1]![0] = '3600')],
    ['frames that do not divide the loop', h264, (c) => (audio(c).durationTicks = 641)],
    ['an audio frame decoded apart from its presentation', h264, (c) => (audio(c).frames[1]![1] = 150)],
    ['an audio frame that is not a keyframe', h264, (c) => (audio(c).frames[1]![3] = 0)],
    ['a PCMA frame of 159 bytes', h264, (c) => (c.data[1]![2] = new Uint8Array(159))],
    [
      'AAC frames 960 ticks apart',
      aac,
      (c) => ((video(c).durationTicks = 1920), (video(c).frames[1]![0] = 960), (video(c).frames[1]![1] = 960)),
    ],
    ['an AAC AU larger than 8191 bytes', aac, (c) => (c.data[0]![1] = new Uint8Array(8192))],
    // Video frame data
    ['a NAL unit length past the frame', h264, (c) => (c.data[0]![1] = Uint8Array.of(0, 0, 0, 9, ...H264_P))],
    ['a truncated NAL unit length', h264, (c) => (c.data[0]![1] = Uint8Array.of(...lengthPrefixed(H264_P), 0, 0))],
    ['an empty NAL unit', h264, (c) => (c.data[0]![1] = Uint8Array.of(0, 0, 0, 0, ...lengthPrefixed(H264_P)))],
    ['the forbidden bit set', h264, (c) => (c.data[0]![1] = lengthPrefixed([0xc1, 0x9a]))],
    ['H.264 NAL unit type 0', h264, (c) => (c.data[0]![1] = lengthPrefixed([0x60, 0x9a]))],
    ['a STAP-A inside a frame', h264, (c) => (c.data[0]![1] = lengthPrefixed([0x78, 0, 3, ...H264_P]))],
    ['a keyframe without an IDR', h264, (c) => (c.data[0]![0] = lengthPrefixed(H264_SPS, H264_PPS, H264_P))],
    ['an IDR not flagged as keyframe', h264, (c) => (c.data[0]![1] = lengthPrefixed(H264_IDR))],
    ['a keyframe without its PPS', h264, (c) => (c.data[0]![0] = lengthPrefixed(H264_SPS, H264_IDR))],
    [
      'an in-band SPS unlike the track SPS',
      h264,
      (c) => (c.data[0]![0] = lengthPrefixed([...H264_SPS, 1], H264_PPS, H264_IDR)),
    ],
    ['parameter sets after the IDR', h264, (c) => (c.data[0]![0] = lengthPrefixed(H264_IDR, H264_SPS, H264_PPS))],
    ['an H.265 keyframe without its VPS', h265, (c) => (c.data[0]![0] = lengthPrefixed(H265_SPS, H265_PPS, H265_IDR))],
    ['an H.265 NAL unit with TemporalId + 1 = 0', h265, (c) => (c.data[0]![1] = lengthPrefixed([0x02, 0x00, 0xd0]))],
    [
      'an H.265 AP inside a frame (type 48)',
      h265,
      (c) => (c.data[0]![1] = lengthPrefixed([0x60, 0x01, 0, 4, ...H265_TRAIL])),
    ],
    ['a 1-byte H.265 NAL unit', h265, (c) => (c.data[0]![1] = lengthPrefixed([0x02]))],
  ];
  it.each(invalid)('rejects %s with CAMSIM_INVALID_CLIP', (_name, base, mutate) => {
    const clip = syncSizes(base());
    mutate(clip);
    expect(() => parseClip(writeTestClip(clip), 'tiny')).toThrow(
      expect.objectContaining({ code: CamsimErrorCode.INVALID_CLIP }),
    );
  });

  it.each([
    ['an empty file', []],
    ['a wrong magic', [...ascii('CAMCLIP!'), 0, 0, 0, 1, 0, 0, 0, 0]],
    ['a file shorter than its prefix', ascii('CAMCLIP\0')],
  ])('rejects %s with CAMSIM_INVALID_CLIP', (_name, bytes) => {
    expect(() => parseClip(Uint8Array.from(bytes), 'tiny')).toThrow(
      expect.objectContaining({ code: CamsimErrorCode.INVALID_CLIP }),
    );
  });

  it('rejects a file larger than 16 MiB before reading it', () => {
    expect(() => parseClip(new Uint8Array(16 * 1024 * 1024 + 1), 'tiny')).toThrow(
      expect.objectContaining({ code: CamsimErrorCode.INVALID_CLIP }),
    );
  });

  it('rejects a header that is not UTF-8', () => {
    const bytes = writeTestClip(tinyH264PcmaClip());
    bytes[16 + 10] = 0xff; // inside "name"
    expect(() => parseClip(bytes, 'tiny')).toThrow(expect.objectContaining({ code: CamsimErrorCode.INVALID_CLIP }));
  });
});

/** What a parsed clip promises its player, beyond the types. */
function expectWithinLimits(clip: Clip, bytes: Uint8Array): void {
  expect(clip.tracks.length).toBeGreaterThanOrEqual(1);
  expect(clip.tracks.length).toBeLessThanOrEqual(2);
  for (const track of clip.tracks) {
    expect(track.frames.length).toBeGreaterThan(0);
    expect(track.durationTicks * 1000).toBe(clip.durationMs * track.clockRate);
    for (const frame of track.frames) {
      expect(frame.data.buffer).toBe(bytes.buffer);
      expect(frame.data.byteOffset + frame.data.length).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
      expect(frame.pts).toBeLessThan(track.durationTicks);
    }
  }
}

/** Parses, and on success checks the limits; anything thrown must be a CamsimError. */
function parseOrReject(bytes: Uint8Array): void {
  let clip: Clip;
  try {
    clip = parseClip(bytes, 'tiny');
  } catch (err) {
    if (!(err instanceof CamsimError) || !isCodedError(err, CamsimErrorCode.INVALID_CLIP)) throw err;
    return;
  }
  expectWithinLimits(clip, bytes);
}

describe('parseClip fuzz', () => {
  const bases = [tinyH264PcmaClip, tinyH265Clip, tinyAacClip].map((make) => writeTestClip(make()));

  it(
    'fuzz: random bytes, with or without a valid prefix, throw CAMSIM_INVALID_CLIP',
    () => {
      const prefix = bases[0]!.subarray(0, 12);
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.nat({ max: 400 }),
          fc.uint8Array({ maxLength: 400 }),
          (withPrefix, headerLength, rest) => {
            const length = Uint8Array.of(0, 0, headerLength >>> 8, headerLength & 0xff);
            const bytes = withPrefix ? Uint8Array.from([...prefix, ...length, ...rest]) : rest;
            parseOrReject(bytes);
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'fuzz: valid clips with bytes changed, cut or added parse within limits or throw CAMSIM_INVALID_CLIP',
    () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...bases),
          fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
          fc.option(fc.nat(), { nil: undefined }),
          fc.uint8Array({ maxLength: 8 }),
          (base, changes, cut, added) => {
            const bytes = Uint8Array.from([
              ...base.subarray(0, cut === undefined ? base.length : cut % base.length),
              ...added,
            ]);
            for (const [at, value] of changes) if (bytes.length > 0) bytes[at % bytes.length] = value;
            parseOrReject(bytes);
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'fuzz: any JSON value anywhere in a valid header parses within limits or throws CAMSIM_INVALID_CLIP',
    () => {
      const makers = [tinyH264PcmaClip, tinyH265Clip, tinyAacClip];
      fc.assert(
        fc.property(fc.constantFrom(...makers), fc.nat(), fc.jsonValue(), (make, pick, value) => {
          const clip = make();
          // Every (object or array, key) pair of the header, one of which gets the random value.
          const slots: Array<[Record<string, unknown>, string]> = [];
          const walk = (node: unknown): void => {
            if (typeof node !== 'object' || node === null) return;
            for (const [key, child] of Object.entries(node)) {
              slots.push([node as Record<string, unknown>, key]);
              walk(child);
            }
          };
          walk(clip.header);
          const [parent, key] = slots[pick % slots.length]!;
          parent[key] = value;
          clip.keepSizes = true;
          parseOrReject(writeTestClip(clip));
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'fuzz: the bundled h264-aac clip with bytes changed parses within limits or throws CAMSIM_INVALID_CLIP',
    () => {
      const file = readFileSync(new URL('../../fixtures/h264-aac.camclip', import.meta.url));
      const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
      const headerEnd = 16 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(12);
      fc.assert(
        fc.property(
          // Mostly in the header, where a change means the most; sometimes anywhere.
          fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
          (changes) => {
            const saved = changes.map(([inHeader, at]) => {
              const index = inHeader ? at % headerEnd : at % bytes.length;
              return [index, bytes[index]!] as const;
            });
            for (const [[, , value], [index]] of changes.map((c, i) => [c, saved[i]!] as const)) bytes[index] = value;
            try {
              parseOrReject(bytes);
            } finally {
              for (const [index, value] of saved.reverse()) bytes[index] = value;
            }
          },
        ),
        { numRuns: fuzzRuns(500) },
      );
    },
    fuzzTimeout(),
  );
});
