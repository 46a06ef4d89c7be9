import { ALAW_TO_LINEAR, encodeFlacFrame, flacFrameBlockSize, ULAW_TO_LINEAR } from '@camgate/codecs';
import { fuzzRuns, fuzzTimeout } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_FLAC_BLOCK_SIZE, PcmToFlac, type PcmEncoding } from './pcm-to-flac.js';

/** 150 runs in CI; `pnpm fuzz` runs a million. */
const RUNS = fuzzRuns(150);

interface Out {
  dts: number;
  data: Uint8Array;
}

function converter(encoding: PcmEncoding, channels = 1): { pcm: PcmToFlac; out: Out[] } {
  const out: Out[] = [];
  const pcm = new PcmToFlac({ encoding, sampleRate: 8000, channels }, (dts, data) => out.push({ dts, data }));
  return { pcm, out };
}

/** Payload bytes 0, 1, 2 ... (every code word in turn). */
function bytes(length: number, from = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (from + i) & 0xff);
}

/** What the converter should write: the linear samples of `payload`, encoded on their own. */
function expected(encoding: PcmEncoding, payload: Uint8Array, sampleNumber: number, channels = 1): Uint8Array {
  const linear =
    encoding === 'l16'
      ? Int16Array.from({ length: payload.length >> 1 }, (_, i) => (payload[2 * i]! << 8) | payload[2 * i + 1]!)
      : Int16Array.from(payload, (b) => (encoding === 'pcma' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR)[b]!);
  return encodeFlacFrame(linear, { channels, sampleRate: 8000, position: { sampleNumber } });
}

describe('PcmToFlac', () => {
  it.for([
    { encoding: 'pcma', packet: 160 },
    { encoding: 'pcmu', packet: 160 },
    { encoding: 'pcmu', packet: 320 },
    { encoding: 'l16', packet: 2 * 160 },
  ] as const)('$encoding, $packet-byte packets: one frame each, numbered by sample', ({ encoding, packet }) => {
    const { pcm, out } = converter(encoding);
    const samples = encoding === 'l16' ? packet / 2 : packet;
    for (let i = 0; i < 3; i++) pcm.push(1000 + i * samples, bytes(packet, i * 7));
    expect(out.map((o) => o.dts)).toEqual([1000, 1000 + samples, 1000 + 2 * samples]);
    out.forEach((o, i) => expect(o.data).toEqual(expected(encoding, bytes(packet, i * 7), i * samples)));
    expect(pcm.stats).toEqual({ frames: 3, droppedSamples: 0, droppedBytes: 0 });
  });

  it.for([
    { samples: 4608, frames: [4608] },
    { samples: 4609, frames: [2305, 2304] },
    { samples: 9216, frames: [4608, 4608] },
    { samples: 9217, frames: [3073, 3072, 3072] },
    { samples: 65_535, frames: new Array<number>(15).fill(4369) },
  ])('a packet of $samples samples: even frames within the 4608 maximum', ({ samples, frames }) => {
    const { pcm, out } = converter('pcmu');
    const payload = bytes(samples);
    pcm.push(0, payload);
    expect(out.map((o) => flacFrameBlockSize(o.data))).toEqual(frames);
    let at = 0;
    out.forEach((o, i) => {
      expect(o.dts).toBe(at);
      expect(o.data).toEqual(expected('pcmu', payload.subarray(at, at + frames[i]!), at));
      at += frames[i]!;
    });
  });

  it('holds packets under 16 samples and joins them to the next one when it follows on', () => {
    const { pcm, out } = converter('pcma');
    pcm.push(100, bytes(5));
    pcm.push(105, bytes(5, 5));
    expect(out).toEqual([]);
    pcm.push(110, bytes(10, 10)); // 20 held + new: one frame from dts 100
    expect(out).toEqual([{ dts: 100, data: expected('pcma', bytes(20), 0) }]);
    pcm.push(120, bytes(MIN_FLAC_BLOCK_SIZE, 20)); // exactly the minimum: a frame of its own
    expect(out[1]).toEqual({ dts: 120, data: expected('pcma', bytes(16, 20), 20) });
    expect(pcm.stats.droppedSamples).toBe(0);
  });

  it('drops held samples across a gap or a reset, and counts them', () => {
    const { pcm, out } = converter('pcma');
    pcm.push(100, bytes(8));
    pcm.push(200, bytes(160)); // not at 108: the 8 held samples cannot be placed
    expect(out).toEqual([{ dts: 200, data: expected('pcma', bytes(160), 0) }]);
    pcm.push(360, bytes(3));
    pcm.reset();
    pcm.push(363, bytes(16));
    expect(out[1]).toEqual({ dts: 363, data: expected('pcma', bytes(16), 160) });
    expect(pcm.stats.droppedSamples).toBe(11);
  });

  it('stereo: samples interleaved L, R (RFC 3551 §4.1); an incomplete pair is dropped', () => {
    const { pcm, out } = converter('pcmu', 2);
    pcm.push(0, bytes(2 * 160 + 1));
    expect(out).toHaveLength(1);
    expect(flacFrameBlockSize(out[0]!.data)).toBe(160);
    expect(out[0]!.data).toEqual(expected('pcmu', bytes(320), 0, 2));
    expect(pcm.stats.droppedBytes).toBe(1);
  });

  it('L16 is big-endian and signed; an odd byte is dropped', () => {
    const { pcm, out } = converter('l16');
    const payload = Uint8Array.from({ length: 2 * 32 + 1 }, (_, i) => (i % 2 === 0 ? 0x80 + i : i));
    pcm.push(0, payload);
    expect(out[0]!.data).toEqual(expected('l16', payload.subarray(0, 64), 0));
    expect(pcm.stats.droppedBytes).toBe(1);
  });

  it('writes nothing for an empty payload', () => {
    const { pcm, out } = converter('l16');
    pcm.push(0, new Uint8Array(0));
    pcm.push(0, new Uint8Array(1));
    expect(out).toEqual([]);
  });

  it(
    'fuzz: payloads of any length and content, at any time, give frames of 16..4608 samples that add up',
    () => {
      const packet = fc.record({
        gap: fc.integer({ min: 0, max: 3 }),
        // Mostly short packets (held, joined, dropped), sometimes one to split (L16 stereo: 4 bytes a sample).
        payload: fc.oneof(
          { weight: 19, arbitrary: fc.uint8Array({ maxLength: 200 }) },
          { weight: 1, arbitrary: fc.uint8Array({ minLength: 4600, maxLength: 10_000 }) },
        ),
      });
      const run = fc.record({
        encoding: fc.constantFrom<PcmEncoding>('pcma', 'pcmu', 'l16'),
        channels: fc.constantFrom(1, 2),
        packets: fc.array(packet, { maxLength: 8 }),
      });
      fc.assert(
        fc.property(run, ({ encoding, channels, packets }) => {
          const { pcm, out } = converter(encoding, channels);
          const width = (encoding === 'l16' ? 2 : 1) * channels;
          let dts = 0;
          let samplesIn = 0;
          for (const { gap, payload } of packets) {
            dts += gap; // 0: continuous with the packet before
            pcm.push(dts, payload);
            const samples = Math.floor(payload.length / width);
            dts += samples;
            samplesIn += samples;
          }
          let samplesOut = 0;
          let last = -1;
          for (const { dts: at, data } of out) {
            const size = flacFrameBlockSize(data)!;
            expect(size).toBeGreaterThanOrEqual(MIN_FLAC_BLOCK_SIZE);
            expect(size).toBeLessThanOrEqual(4608);
            expect(at).toBeGreaterThan(last);
            last = at;
            samplesOut += size;
          }
          expect(pcm.stats.frames).toBe(out.length);
          // Every sample is written, dropped, or still held (fewer than 16).
          const held = samplesIn - samplesOut - pcm.stats.droppedSamples;
          expect(held).toBeGreaterThanOrEqual(0);
          expect(held).toBeLessThan(MIN_FLAC_BLOCK_SIZE);
        }),
        { numRuns: RUNS },
      );
    },
    // Encoding costs more than the 1 ms per input fuzzTimeout allows: about 2 ms a run (8 packets).
    fuzzTimeout(3 * RUNS),
  );
});
