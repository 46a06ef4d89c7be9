import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packetizeAac } from '../packetize/aac.js';
import { packetizeH264 } from '../packetize/h264.js';
import { packetizeH265 } from '../packetize/h265.js';
import { buildRtpPacket } from '../packetize/rtp-header.js';
import { parseRtpPacket } from '../rtp-packet.js';
import { collector } from '../test-rtp.js';
import { AacDepacketizer } from './aac-depacketizer.js';
import type { AudioUnit } from './audio-unit.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import { H265Depacketizer } from './h265-depacketizer.js';
import type { VideoAccessUnit } from './video-depacketizer.js';

/** NAL unit bodies without 00 00 0x (any valid NAL unit after emulation prevention). */
const body = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((bytes) => bytes.map((b) => (b < 4 ? b + 4 : b)));

const h264Frame = fc
  .tuple(fc.boolean(), fc.array(body(1, 3000), { minLength: 1, maxLength: 4 }))
  .map(([key, slices]) => {
    const sps = Uint8Array.from([0x67, 0x42, 0xc0, 0x1e]);
    const pps = Uint8Array.from([0x68, 0xce, 0x3c, 0x80]);
    const type = key ? 0x65 : 0x41;
    const nals = slices.map((s) => Uint8Array.from([type, ...s]));
    return { key, nals: key ? [sps, pps, ...nals] : nals };
  });

describe('packetize -> depacketize round trip (valid inputs)', () => {
  it('fuzz: H.264 access units come back byte-identical at any payload size', () => {
    fc.assert(
      fc.property(
        fc.array(h264Frame, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 16, max: 2000 }),
        (frames, mtu) => {
          frames[0] = {
            ...frames[0]!,
            key: true,
            nals: [Uint8Array.of(0x67, 0x42, 0xc0, 0x1e), Uint8Array.of(0x68, 0xce), Uint8Array.of(0x65, 9, 9)],
          };
          const c = collector<VideoAccessUnit>();
          const d = new H264Depacketizer(c.sink);
          let seq = 65_000;
          frames.forEach((frame, i) => {
            for (const p of packetizeH264(frame.nals, { maxPayloadSize: mtu })) {
              d.push(
                parseRtpPacket(
                  buildRtpPacket(
                    { marker: p.marker, payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: i * 3000, ssrc: 1 },
                    p.payload,
                  ),
                ),
              );
            }
          });
          expect(c.errors).toEqual([]);
          expect(c.units.map((u) => u.nals.map((n) => [...n]))).toEqual(frames.map((f) => f.nals.map((n) => [...n])));
        },
      ),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('fuzz: H.265 access units come back byte-identical', () => {
    fc.assert(
      fc.property(
        fc.array(body(1, 3000), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 16, max: 2000 }),
        (slices, mtu) => {
          const nals = [
            Uint8Array.of(0x40, 0x01, 0x0c),
            Uint8Array.of(0x42, 0x01, 0x01),
            Uint8Array.of(0x44, 0x01, 0xc1),
            ...slices.map((s) => Uint8Array.from([0x26, 0x01, ...s])),
          ];
          const c = collector<VideoAccessUnit>();
          const d = new H265Depacketizer(c.sink);
          packetizeH265(nals, { maxPayloadSize: mtu }).forEach((p, seq) =>
            d.push(
              parseRtpPacket(
                buildRtpPacket(
                  { marker: p.marker, payloadType: 96, sequenceNumber: seq, timestamp: 0, ssrc: 1 },
                  p.payload,
                ),
              ),
            ),
          );
          expect(c.errors).toEqual([]);
          expect(c.units.map((u) => u.nals.map((n) => [...n]))).toEqual([nals.map((n) => [...n])]);
        },
      ),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('fuzz: AAC access units and their timestamps come back identical (several per packet, fragmented)', () => {
    // A first byte of 0xFF could read as an ADTS header, which real access units never start with.
    const au = fc.uint8Array({ minLength: 1, maxLength: 4000 }).map((b) => (b[0] === 0xff ? b.with(0, 0xfe) : b));
    fc.assert(
      fc.property(fc.array(au, { minLength: 1, maxLength: 20 }), fc.integer({ min: 64, max: 1400 }), (aus, mtu) => {
        const c = collector<AudioUnit>();
        const d = new AacDepacketizer(
          {
            sizeLength: 13,
            indexLength: 3,
            indexDeltaLength: 3,
            ctsDeltaLength: 0,
            dtsDeltaLength: 0,
            randomAccessIndication: false,
            streamStateIndication: 0,
            auxiliaryDataSizeLength: 0,
            frameLength: 1024,
          },
          c.sink,
        );
        const input = aus.map((data, i) => ({ data, timestamp: (2 ** 32 - 2048 + i * 1024) >>> 0 }));
        packetizeAac(input, { maxPayloadSize: mtu }).forEach((p, seq) =>
          d.push(
            parseRtpPacket(
              buildRtpPacket(
                { marker: p.marker, payloadType: 97, sequenceNumber: seq, timestamp: p.timestamp, ssrc: 1 },
                p.payload,
              ),
            ),
          ),
        );
        expect(c.errors).toEqual([]);
        expect(c.units.map((u) => [u.timestamp, [...u.data]])).toEqual(input.map((a) => [a.timestamp, [...a.data]]));
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});
