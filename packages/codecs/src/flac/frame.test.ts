import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitReader } from '@camgate/bits';
import { requireTools, runProcess } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecsErrorCode } from '../errors.js';
import { hex } from '../test-fixtures.js';
import { decodeAlaw, decodeUlaw } from '../g711/g711.js';
import { flacCrc16, flacCrc8 } from './crc.js';
import { encodeFlacFrame, FlacFrameEncoder, flacFrameBlockSize, type FlacFrameOptions } from './frame.js';
import { flacMetadataBlock, FlacMetadataType, flacStreamInfo } from './stream-info.js';

/** A deterministic pseudo-random generator (xorshift32) so vectors never change. */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const ramp16 = Int16Array.from({ length: 16 }, (_, i) => 100 * i - 700);
const noise16 = ((): Int16Array => {
  const next = noise(1);
  return Int16Array.from({ length: 16 }, () => (next() & 0xffff) - 0x8000);
})();

describe('encodeFlacFrame (RFC 9639 §9)', () => {
  // Golden frames checked with ffmpeg's FLAC decoder (the interop test below decodes the same inputs).
  const golden: Array<[name: string, pcm: Int16Array, options: FlacFrameOptions, want: string]> = [
    [
      '16 samples of silence, mono 8 kHz: a CONSTANT subframe',
      new Int16Array(16),
      { channels: 1, sampleRate: 8000, position: { frameNumber: 0 } },
      // header (8-bit block size, 8 kHz, mono, 16 bits, frame 0, 16 - 1, CRC-8) | CONSTANT 0 | CRC-16
      'fff86408000fce' + '00' + '0000' + '0e85',
    ],
    [
      '16 samples of a ramp, mono 8 kHz: FIXED order 2 (a zero residual)',
      ramp16,
      { channels: 1, sampleRate: 8000, position: { frameNumber: 1 } },
      // header | FIXED order 2, warm-up -700 -600 | method 0, partition order 0, parameter 0, 14 zeros | CRC-16
      'fff86408010fdb' + '14' + 'fd44fda8' + '003fff' + 'f04a',
    ],
    [
      '16 samples of full-scale noise, mono 8 kHz: VERBATIM wins',
      noise16,
      { channels: 1, sampleRate: 8000, position: { sampleNumber: 160 } },
      // header (variable blocking, sample number 160 as c2a0) | VERBATIM | 16 samples | CRC-16
      'fff96408c2a00fe0' + '02' + 'a021860128c5194f97d1dbd0b31a9cb2f125a37482cb1737cb8a78ae2ff515b1' + '223c',
    ],
  ];
  it.each(golden)('%s', (_name, pcm, options, want) => {
    expect(hex(encodeFlacFrame(pcm, options))).toBe(want);
  });

  it('writes the header fields, the CRC-8 of the header and the CRC-16 of the frame', () => {
    const frame = encodeFlacFrame(ramp16, { channels: 1, sampleRate: 8000, position: { frameNumber: 1 } });
    const r = new BitReader(frame);
    expect(r.readBits(15)).toBe(0b111111111111100); // sync
    expect(r.readBits(1)).toBe(0); // fixed blocking strategy
    expect(r.readBits(4)).toBe(0b0110); // block size - 1 in 8 bits at the end
    expect(r.readBits(4)).toBe(0b0100); // 8 kHz
    expect(r.readBits(4)).toBe(0b0000); // mono
    expect(r.readBits(3)).toBe(0b100); // 16 bits
    expect(r.readBits(1)).toBe(0);
    expect(r.readBits(8)).toBe(1); // frame number
    expect(r.readBits(8)).toBe(15); // block size - 1
    expect(frame[6]).toBe(flacCrc8(frame, 0, 6));
    const crc = flacCrc16(frame, 0, frame.length - 2);
    expect([frame[frame.length - 2], frame[frame.length - 1]]).toEqual([crc >>> 8, crc & 0xff]);
  });

  it('codes equal stereo channels with a side channel (RFC 9639 §4.2), independent ones as L/R', () => {
    const tone = Int16Array.from({ length: 64 }, (_, i) => Math.round(1000 * Math.sin(i / 3)));
    const same = Int16Array.from({ length: 128 }, (_, i) => tone[i >> 1] as number);
    const unrelated = Int16Array.from({ length: 128 }, (_, i) =>
      i % 2 === 0 ? (tone[i >> 1] as number) : (noise16[(i >> 1) % 16] as number),
    );
    const assignment = (pcm: Int16Array): number =>
      (encodeFlacFrame(pcm, { channels: 2, sampleRate: 48000, position: { frameNumber: 0 } })[3] as number) >> 4;
    expect([0b1000, 0b1001, 0b1010]).toContain(assignment(same));
    expect(assignment(unrelated)).toBe(0b0001);
  });

  const codedNumbers: Array<[number, string]> = [
    [0x7f, '7f'],
    [0x80, 'c280'],
    [0x7ff, 'dfbf'],
    [0x800, 'e0a080'],
    [0xffff, 'efbfbf'],
    [0x10000, 'f0908080'],
    [2 ** 31 - 1, 'fdbfbfbfbfbf'],
    [2 ** 36 - 1, 'febfbfbfbfbfbf'],
  ];
  it.each(codedNumbers)('codes sample number %i as UTF-8-like %s (§9.1.5)', (number, want) => {
    const frame = encodeFlacFrame(new Int16Array(16), {
      channels: 1,
      sampleRate: 8000,
      position: { sampleNumber: number },
    });
    expect(hex(frame.subarray(4, 4 + want.length / 2))).toBe(want);
  });

  const rates: Array<[rate: number, code: number, extra: string]> = [
    [8000, 0b0100, ''],
    [48000, 0b1010, ''],
    [12000, 0b1100, '0c'], // kHz in 8 bits
    [11025, 0b1101, '2b11'], // Hz in 16 bits
    [352800, 0b1110, '89d0'], // tens of Hz in 16 bits
  ];
  it.each(rates)('codes %i Hz as %i with "%s" at the end of the header (§9.1.2)', (rate, code, extra) => {
    const frame = encodeFlacFrame(new Int16Array(16), { channels: 1, sampleRate: rate, position: { frameNumber: 0 } });
    expect(frame[2]! & 0x0f).toBe(code);
    expect(hex(frame.subarray(6, 6 + extra.length / 2))).toBe(extra);
  });

  const bad: Array<[name: string, pcm: Int16Array, options: FlacFrameOptions, code: string]> = [
    [
      '3 channels',
      new Int16Array(48),
      { channels: 3, sampleRate: 8000, position: { frameNumber: 0 } },
      CodecsErrorCode.UNSUPPORTED,
    ],
    [
      'a block over 4608',
      new Int16Array(4609),
      { channels: 1, sampleRate: 8000, position: { frameNumber: 0 } },
      CodecsErrorCode.INVALID_ARGUMENT,
    ],
    [
      'an empty block',
      new Int16Array(0),
      { channels: 1, sampleRate: 8000, position: { frameNumber: 0 } },
      CodecsErrorCode.INVALID_ARGUMENT,
    ],
    [
      'an odd stereo length',
      new Int16Array(33),
      { channels: 2, sampleRate: 8000, position: { frameNumber: 0 } },
      CodecsErrorCode.INVALID_ARGUMENT,
    ],
    [
      'a frame number over 31 bits',
      new Int16Array(16),
      { channels: 1, sampleRate: 8000, position: { frameNumber: 2 ** 31 } },
      CodecsErrorCode.INVALID_ARGUMENT,
    ],
    [
      'a rate no header carries',
      new Int16Array(16),
      { channels: 1, sampleRate: 655351, position: { frameNumber: 0 } },
      CodecsErrorCode.INVALID_ARGUMENT,
    ],
  ];
  it.each(bad)('rejects %s with a coded error', (_name, pcm, options, code) => {
    expect(() => encodeFlacFrame(pcm, options)).toThrow(expect.objectContaining({ code }));
  });
});

describe('flacFrameBlockSize (RFC 9639 §9.1.1)', () => {
  // Every way a block size is coded (a code of its own, 8-bit, 16-bit) behind 1- to 6-byte coded numbers.
  const sizes = [1, 15, 16, 160, 192, 256, 257, 320, 576, 1024, 1152, 2048, 2304, 4096, 4607, 4608];
  const positions = [{ sampleNumber: 0 }, { sampleNumber: 200 }, { sampleNumber: 70_000 }, { sampleNumber: 2 ** 35 }];
  const cases = sizes.flatMap((size) => positions.map((position) => [size, position] as const));
  it.each(cases)('%i samples at %o', (size, position) => {
    const frame = encodeFlacFrame(new Int16Array(size), { channels: 1, sampleRate: 8000, position });
    expect(flacFrameBlockSize(frame)).toBe(size);
  });

  it.each([
    ['too short', 'fff8'],
    ['no sync code', 'fff0640800'],
    ['reserved block size code', 'fff8040800'],
    ['an invalid coded number', 'fff86408ff0f'],
    ['8-bit size cut off', 'fff86408c2a0'],
  ])('%s: undefined', (_name, bytes) => {
    expect(flacFrameBlockSize(Uint8Array.from(Buffer.from(bytes, 'hex')))).toBeUndefined();
  });
});

describe('FlacFrameEncoder', () => {
  it('reuses its workspace: frames of any size in any order equal fresh encodings', () => {
    const encoder = new FlacFrameEncoder();
    const next = noise(7);
    for (const [size, channels] of [
      [4608, 2],
      [16, 1],
      [160, 1],
      [4608, 1],
      [17, 2],
      [1, 1],
    ] as const) {
      const pcm = Int16Array.from({ length: size * channels }, () => (next() & 0xffff) - 0x8000);
      const options = { channels, sampleRate: 8000, position: { sampleNumber: size } };
      expect(hex(encoder.encode(pcm, options))).toBe(hex(encodeFlacFrame(pcm, options)));
    }
  });
});

describe('FLAC frames decoded by ffmpeg', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-flac-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A .flac file (RFC 9639 §6: "fLaC", STREAMINFO, frames) of `blocks`, decoded by ffmpeg to s16le. */
  async function roundTrip(
    ffmpeg: string,
    name: string,
    blocks: readonly Int16Array[],
    channels: number,
    sampleRate: number,
    variable: boolean,
  ): Promise<Int16Array> {
    const sizes = blocks.map((b) => b.length / channels);
    const frames: Uint8Array[] = [];
    let sampleNumber = 0;
    for (const [index, block] of blocks.entries()) {
      const position = variable ? { sampleNumber } : { frameNumber: index };
      frames.push(encodeFlacFrame(block, { channels, sampleRate, position }));
      sampleNumber += block.length / channels;
    }
    const info = flacStreamInfo({
      minBlockSize: Math.max(16, Math.min(...sizes)),
      maxBlockSize: Math.max(...sizes),
      sampleRate,
      channels,
      bitsPerSample: 16,
      totalSamples: sampleNumber,
    });
    const path = join(dir, `${name}.flac`);
    await writeFile(
      path,
      Buffer.concat([Buffer.from('fLaC'), flacMetadataBlock(FlacMetadataType.STREAMINFO, info, true), ...frames]),
    );
    const out = join(dir, `${name}.s16le`);
    const result = await runProcess(ffmpeg, [
      '-v',
      'error',
      '-err_detect',
      'explode',
      '-xerror',
      '-i',
      path,
      '-f',
      's16le',
      '-y',
      out,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const raw = await readFile(out);
    return new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  }

  function concat(blocks: readonly Int16Array[]): Int16Array {
    const all = new Int16Array(blocks.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of blocks) {
      all.set(b, at);
      at += b.length;
    }
    return all;
  }

  /** A tone with noise: what a camera microphone gives, so the fixed predictors have work to do. */
  function signal(samples: number, channels: number, rate: number, seed: number): Int16Array {
    const next = noise(seed);
    const pcm = new Int16Array(samples * channels);
    for (let i = 0; i < samples; i++) {
      for (let c = 0; c < channels; c++) {
        const tone = 8000 * Math.sin((2 * Math.PI * (440 + 110 * c) * i) / rate);
        pcm[i * channels + c] = Math.round(tone) + ((next() & 0x3ff) - 0x200);
      }
    }
    return pcm;
  }

  it("the golden frames' inputs come back exactly", async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const blocks = [new Int16Array(16), ramp16, noise16];
    expect(Array.from(await roundTrip(ffmpeg, 'golden', blocks, 1, 8000, false))).toEqual(Array.from(concat(blocks)));
  });

  const laws: Array<[law: string, decode: typeof decodeAlaw]> = [
    ['A-law', decodeAlaw],
    ['µ-law', decodeUlaw],
  ];
  it.for(laws)(
    '%s from 20 ms camera packets, 8 kHz mono, variable block size: bit-exact',
    async ([law, decode], ctx) => {
      const { ffmpeg } = requireTools(ctx, 'ffmpeg');
      const next = noise(law.length);
      // Every code word, then 2 s of "camera" packets: 160 samples each, a few shorter and longer.
      const blocks: Int16Array[] = [];
      const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const all = new Int16Array(256);
      decode(codes, all);
      blocks.push(all);
      const tone = signal(16000, 1, 8000, 7);
      for (let at = 0, n = 0; at < tone.length; n++) {
        const size = n % 10 === 3 ? 80 : n % 10 === 7 ? 320 : 160;
        const packet = Uint8Array.from(tone.subarray(at, at + size), (s) => (s >> 8) ^ (next() & 1));
        const block = new Int16Array(packet.length);
        decode(packet, block);
        blocks.push(block);
        at += size;
      }
      const decoded = await roundTrip(ffmpeg, `g711-${law.length}`, blocks, 1, 8000, true);
      expect(decoded.length).toBe(blocks.reduce((n, b) => n + b.length, 0));
      expect(Buffer.from(decoded.buffer).equals(Buffer.from(concat(blocks).buffer))).toBe(true);
    },
  );

  it('48 kHz stereo, fixed block size 4608 with a shorter last frame: bit-exact', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const pcm = signal(48000, 2, 48000, 3);
    const blocks: Int16Array[] = [];
    for (let at = 0; at < pcm.length; at += 4608 * 2) blocks.push(pcm.subarray(at, at + 4608 * 2));
    // Before the shorter last block: silence (CONSTANT), full-scale noise (VERBATIM) and a
    // block with equal channels (a side channel of zeros).
    const next = noise(5);
    const same = Int16Array.from({ length: 4608 * 2 }, (_, i) => pcm[i - (i % 2)] as number);
    const extra = [new Int16Array(4608 * 2), Int16Array.from({ length: 4608 * 2 }, () => next() & 0xffff), same];
    blocks.splice(blocks.length - 1, 0, ...extra);
    const decoded = await roundTrip(ffmpeg, 'stereo-48k', blocks, 2, 48000, false);
    expect(Buffer.from(decoded.buffer).equals(Buffer.from(concat(blocks).buffer))).toBe(true);
  });
});
