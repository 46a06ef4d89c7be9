import fc from 'fast-check';
import { fuzzRuns } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import { packetizeH264 } from '../packetize/h264.js';
import { buildRtpPacket } from '../packetize/rtp-header.js';
import { parseRtpPacket } from '../rtp-packet.js';
import { AccessUnitWriter } from './access-unit-writer.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import type { VideoAccessUnit } from './video-depacketizer.js';

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);

/** A slice NAL unit of `size` bytes whose content depends on `seed` (no 00 00 0x inside). */
function slice(key: boolean, size: number, seed: number): Uint8Array {
  const nal = new Uint8Array(size);
  for (let i = 1; i < size; i++) nal[i] = 4 + ((seed * 31 + i * 7) % 250);
  nal[0] = key ? 0x65 : 0x41;
  return nal;
}

/** Length-prefixed bytes of the NAL units (what the depacketizer emits). */
function lengthPrefixed(nals: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    nals.flatMap((nal) => {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(nal.length);
      return [prefix, nal];
    }),
  );
}

/** Feeds H.264 access units of the given slice sizes; `onUnit` sees each as the depacketizer emits it. */
function depacketize(sizes: readonly number[], onUnit: (unit: VideoAccessUnit, index: number) => void): Buffer[] {
  const expected: Buffer[] = [];
  let index = 0;
  const d = new H264Depacketizer({ onUnit: (unit) => onUnit(unit, index++), onError: () => undefined });
  let seq = 0;
  sizes.forEach((size, i) => {
    const key = i === 0;
    const nals = key ? [SPS, PPS, slice(true, size, i)] : [slice(false, size, i)];
    expected.push(lengthPrefixed(nals));
    for (const p of packetizeH264(nals, { maxPayloadSize: 1400 })) {
      const packet = buildRtpPacket(
        { marker: p.marker, payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: i * 3600, ssrc: 1 },
        p.payload,
      );
      d.push(parseRtpPacket(packet));
    }
  });
  return expected;
}

describe('AccessUnitWriter reuses its slab (frame contract: data is valid while the listener runs)', () => {
  it('a consumer that copies inside the listener gets every access unit right, across wrap-arounds and growth', () => {
    // Small P-frames, I-frame-sized units, a unit beyond the first slab (300 KiB) and one of 1 MiB, in turns.
    const sizes: number[] = [];
    for (let i = 0; i < 400; i++) {
      sizes.push(
        i % 50 === 10 ? 150_000 : i % 97 === 50 ? 300_000 : i === 333 ? 1_048_576 : 2_000 + ((i * 977) % 20_000),
      );
    }
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    const expected = depacketize(sizes, (unit) => {
      copies.push(Buffer.from(unit.data));
      buffers.add(unit.data.buffer);
    });
    expect(copies.length).toBe(sizes.length);
    copies.forEach((copy, i) => expect(copy.equals(expected[i] as Buffer), `unit ${i}`).toBe(true));
    // ~6 MB of units through slabs of 256 KiB, 512 KiB, 1 MiB and 2 MiB: one slab per growth, not per megabyte.
    expect(buffers.size).toBeLessThanOrEqual(4);
  });

  it('overwrites a handed-over unit later: keeping a view without copying is the consumer’s bug', () => {
    const kept: Uint8Array[] = [];
    const expected = depacketize(
      Array.from({ length: 60 }, () => 20_000),
      (unit) => kept.push(unit.data),
    );
    expect(kept.length).toBe(60);
    // 60 units of 20 KB do not fit 256 KiB: the first ones were written over.
    expect(Buffer.from(kept[0] as Uint8Array).equals(expected[0] as Buffer)).toBe(false);
    expect(Buffer.from(kept[59] as Uint8Array).equals(expected[59] as Buffer)).toBe(true);
  });

  it('fuzz: units of any size in any order come out right when copied inside the listener', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 2, max: 3_000 }), fc.integer({ min: 3_000, max: 400_000 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (sizes) => {
          const copies: Buffer[] = [];
          const expected = depacketize(sizes, (unit) => copies.push(Buffer.from(unit.data)));
          expect(copies.length).toBe(expected.length);
          const wrong = copies.findIndex((copy, i) => !copy.equals(expected[i] as Buffer));
          expect(wrong).toBe(-1);
        },
      ),
      { numRuns: fuzzRuns(50) },
    );
  });

  it('moves an unfinished unit that reaches the end of the slab to its start, open NAL unit included', () => {
    const writer = new AccessUnitWriter((b) => b & 0x1f);
    const units: Buffer[] = [];
    const write = (size: number, fill: number) => {
      writer.beginNal();
      writer.appendByte(0x41);
      const body = new Uint8Array(size - 1).fill(fill);
      // In pieces, as packets arrive: the wrap can fall inside a NAL unit.
      for (let at = 0; at < body.length; at += 1000) writer.append(body, at, Math.min(at + 1000, body.length));
      writer.endNal();
    };
    // 150 KB written, 106 KB left, more than the largest unit (50 KB): the 120 KB unit starts there and
    // reaches the end of the 256 KiB slab half-way, inside a NAL unit.
    const sizes = [50_000, 50_000, 50_000, 120_000, 30_000, 30_000, 120_000, 2_000];
    sizes.forEach((size, i) => {
      write(size, i + 1);
      write(500, 0x80 + i);
      const unit = writer.finish() as Uint8Array;
      expect(unit.length).toBe(4 + size + 4 + 500);
      expect(unit.subarray(5, 4 + size).every((b) => b === i + 1)).toBe(true);
      expect(unit.subarray(4 + size + 5).every((b) => b === 0x80 + i)).toBe(true);
      units.push(Buffer.from(unit));
    });
    expect(units.map((u) => u.readUInt32BE(0))).toEqual(sizes);
  });
});
