import { isCodedError } from '@camgate/bits';
import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { collector, lengthPrefixed, rtp } from '../test-rtp.js';
import { MAX_ACCESS_UNIT_BYTES } from './access-unit-writer.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import type { VideoAccessUnit } from './video-depacketizer.js';

const SPS = [0x67, 0x42, 0xc0, 0x1e, 0xd9];
const SPS2 = [0x67, 0x42, 0xc0, 0x28, 0xda];
const PPS = [0x68, 0xce, 0x3c, 0x80];
const SEI = [0x06, 0x05, 0x01, 0xaa, 0x80];
const AUD = [0x09, 0xf0];
const IDR = [0x65, 0x88, 0x84, 0x21, 0xa0];
const P = [0x41, 0x9a, 0x02, 0x04];

function setup(parameterSets?: { sps?: number[]; pps?: number[] }) {
  const c = collector<VideoAccessUnit>();
  const d = new H264Depacketizer(c.sink, {
    ...(parameterSets?.sps ? { sps: Uint8Array.from(parameterSets.sps) } : {}),
    ...(parameterSets?.pps ? { pps: Uint8Array.from(parameterSets.pps) } : {}),
  });
  let seq = 1000;
  const send = (ts: number, payload: number[], marker = false) => d.push(rtp({ seq: seq++, ts, marker }, payload));
  const skip = (n = 1) => (seq += n);
  const units = () => c.units.map((u) => ({ ts: u.timestamp, key: u.keyframe, data: [...u.data] }));
  return { c, d, send, skip, units };
}

/** FU-A fragments of a NAL unit: [indicator, header(S/E/type)] + chunk. */
function fuA(nal: number[], chunk: number): number[][] {
  const indicator = (nal[0]! & 0xe0) | 28;
  const type = nal[0]! & 0x1f;
  const body = nal.slice(1);
  const out: number[][] = [];
  for (let at = 0; at < body.length; at += chunk) {
    const s = at === 0 ? 0x80 : 0;
    const e = at + chunk >= body.length ? 0x40 : 0;
    out.push([indicator, s | e | type, ...body.slice(at, at + chunk)]);
  }
  return out;
}

function stapA(...nals: number[][]): number[] {
  return [0x18, ...nals.flatMap((n) => [n.length >> 8, n.length & 0xff, ...n])];
}

describe('H264Depacketizer (RFC 6184)', () => {
  it('single NAL unit packets make one access unit, ended by the marker', () => {
    const t = setup();
    t.send(3000, SPS);
    t.send(3000, PPS);
    t.send(3000, IDR, true);
    expect(t.units()).toEqual([{ ts: 3000, key: true, data: lengthPrefixed(SPS, PPS, IDR) }]);
    expect(t.c.units[0]!.nals.map((n) => [...n])).toEqual([SPS, PPS, IDR]);
  });

  it('STAP-A with SPS and PPS, then an IDR in FU-A fragments', () => {
    const idr = [0x65, ...Array.from({ length: 50 }, (_, i) => i + 1)];
    const t = setup();
    t.send(0, stapA(SPS, PPS));
    const fragments = fuA(idr, 20);
    fragments.forEach((f, i) => t.send(0, f, i === fragments.length - 1));
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(SPS, PPS, idr) }]);
    expect(t.c.errors).toEqual([]);
  });

  it('accepts FU-A with start and end in one packet (CostarHD)', () => {
    const t = setup({ sps: SPS, pps: PPS });
    t.send(0, [0x7c, 0xc5, ...IDR.slice(1)], true);
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(SPS, PPS, IDR) }]);
  });

  it('does not end an access unit on marked SPS/PPS/SEI (Tapo TC70, Reolink, RtspServer)', () => {
    const t = setup();
    t.send(0, SPS, true);
    t.send(0, PPS, true);
    t.send(0, SEI, true);
    t.send(0, IDR, true);
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(SPS, PPS, SEI, IDR) }]);
  });

  it('splits access units on timestamp change when markers are missing (FLIR M400)', () => {
    const t = setup();
    t.send(0, SPS);
    t.send(0, PPS);
    t.send(0, IDR);
    t.send(3600, P);
    t.send(7200, P);
    expect(t.units().map((u) => [u.ts, u.key])).toEqual([
      [0, true],
      [3600, false],
    ]);
  });

  it('drops frames before the first keyframe', () => {
    const t = setup({ sps: SPS, pps: PPS });
    t.send(0, P, true);
    t.send(3600, P, true);
    t.send(7200, IDR, true);
    expect(t.units().map((u) => u.ts)).toEqual([7200]);
    expect(t.d.droppedBeforeKeyframe).toBe(2);
  });

  it('puts stored parameter sets (from the SDP) in front of every keyframe', () => {
    const t = setup({ sps: SPS, pps: PPS });
    t.send(0, IDR, true);
    t.send(3600, P, true);
    t.send(7200, IDR, true);
    expect(t.units().map((u) => u.data)).toEqual([
      lengthPrefixed(SPS, PPS, IDR),
      lengthPrefixed(P),
      lengthPrefixed(SPS, PPS, IDR),
    ]);
  });

  it('reports a keyframe without any known parameter sets and drops it', () => {
    const t = setup();
    t.send(0, IDR, true);
    expect(t.units()).toEqual([]);
    expect(t.c.errors).toEqual([RtpErrorCode.MISSING_PARAMETER_SETS]);
  });

  it('flags an in-band SPS change on the access unit that carries it', () => {
    const t = setup({ sps: SPS, pps: PPS });
    t.send(0, IDR, true);
    t.send(3600, SPS2);
    t.send(3600, PPS);
    t.send(3600, IDR, true);
    expect(t.c.units.map((u) => u.parameterSetsChanged)).toEqual([false, true]);
    expect(t.d.parameterSets.map((s) => [...s])).toEqual([SPS2, PPS]);
  });

  it('drops FU-A fragments without their start (B02) and goes on', () => {
    const t = setup({ sps: SPS, pps: PPS });
    const [, middle, end] = fuA([0x65, ...Array.from({ length: 30 }, (_, i) => i + 1)], 10);
    t.send(0, middle!);
    t.send(0, end!, true);
    t.send(3600, IDR, true);
    expect(t.units().map((u) => u.ts)).toEqual([3600]);
    expect(t.c.errors).toEqual([RtpErrorCode.INCOMPLETE_FRAGMENT, RtpErrorCode.INCOMPLETE_FRAGMENT]);
  });

  it('drops the NAL unit a sequence gap cuts (B03), keeps the rest of the frame and flags it damaged', () => {
    const t = setup({ sps: SPS, pps: PPS });
    const fragments = fuA([0x65, ...Array.from({ length: 30 }, (_, i) => i + 1)], 10);
    t.send(0, SEI);
    t.send(0, fragments[0]!);
    t.skip();
    t.send(0, fragments[2]!);
    t.send(0, IDR, true);
    expect(t.c.errors).toEqual([
      RtpErrorCode.INCOMPLETE_FRAGMENT,
      RtpErrorCode.PACKET_LOSS,
      RtpErrorCode.INCOMPLETE_FRAGMENT,
    ]);
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(SPS, PPS, SEI, IDR) }]);
    expect(t.c.units[0]!.damaged).toBe(true);
  });

  it(`drops an access unit over ${MAX_ACCESS_UNIT_BYTES} bytes (B04) and recovers`, () => {
    const t = setup({ sps: SPS, pps: PPS });
    const chunk = new Array<number>(1400).fill(0x11);
    t.send(0, [0x7c, 0x85, ...chunk]);
    for (let i = 0; i < 6000; i++) t.send(0, [0x7c, 0x05, ...chunk]);
    t.send(3600, IDR, true);
    expect(t.c.errors).toContain(RtpErrorCode.ACCESS_UNIT_TOO_LARGE);
    expect(t.units().map((u) => u.ts)).toEqual([3600]);
  });

  it('drops an access unit with too many NAL units (B05)', () => {
    const t = setup({ sps: SPS, pps: PPS });
    for (let i = 0; i < 300; i++) t.send(0, IDR);
    t.send(3600, IDR, true);
    expect(t.c.errors).toEqual([RtpErrorCode.ACCESS_UNIT_TOO_LARGE]);
    expect(t.units().map((u) => u.ts)).toEqual([3600]);
  });

  it.each([
    ['a size larger than the rest', [0x18, 0x00, 0x09, 0x67, 0x42], RtpErrorCode.INVALID_AGGREGATION],
    ['a 1-byte size field', [0x18, 0x00, 0x04, ...PPS, 0x00], RtpErrorCode.INVALID_AGGREGATION],
    ['a zero size with a non-zero tail', [0x18, 0x00, 0x00, 0x55], RtpErrorCode.INVALID_AGGREGATION],
    ['STAP-B', [0x19, 0x00, 0x01], RtpErrorCode.UNSUPPORTED_PACKETIZATION],
    ['MTAP16', [0x1a, 0x00, 0x01], RtpErrorCode.UNSUPPORTED_PACKETIZATION],
    ['MTAP24', [0x1b, 0x00, 0x01], RtpErrorCode.UNSUPPORTED_PACKETIZATION],
    ['FU-B', [0x1d, 0x85, 0x00], RtpErrorCode.UNSUPPORTED_PACKETIZATION],
    ['a 1-byte FU-A', [0x1c], RtpErrorCode.INCOMPLETE_FRAGMENT],
  ])('rejects STAP-A/MTAP abuse: %s (B06)', (_name, payload, code) => {
    const t = setup({ sps: SPS, pps: PPS });
    t.send(0, payload);
    expect(t.c.errors).toEqual([code]);
  });

  it('accepts STAP-A with trailing zero padding', () => {
    const t = setup();
    t.send(0, [...stapA(SPS, PPS), 0, 0, 0]);
    t.send(0, IDR, true);
    expect(t.c.errors).toEqual([]);
    expect(t.units()).toHaveLength(1);
  });

  it('splits Annex-B start codes inside a single NAL unit packet (cameras wrapping NAL units)', () => {
    const t = setup();
    t.send(0, [0, 0, 0, 1, ...SPS, 0, 0, 0, 1, ...PPS, 0, 0, 1, ...IDR], true);
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(SPS, PPS, IDR) }]);
  });

  it('splits SPS | start code | PPS | start code | IDR inside one FU-A (scrypted notes)', () => {
    const t = setup();
    const nal = [...SPS, 0, 0, 0, 1, ...PPS, 0, 0, 0, 1, ...IDR];
    const fragments = fuA(nal, 6);
    fragments.forEach((f, i) => t.send(0, f, i === fragments.length - 1));
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(SPS, PPS, IDR) }]);
  });

  it('strips access unit delimiters, which also start a new access unit', () => {
    const t = setup({ sps: SPS, pps: PPS });
    t.send(0, AUD);
    t.send(0, IDR);
    t.send(0, AUD);
    t.send(0, P);
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(SPS, PPS, IDR) }]);
  });

  it('sees no loss across the sequence number wrap', () => {
    const c = collector<VideoAccessUnit>();
    const d = new H264Depacketizer(c.sink, { sps: Uint8Array.from(SPS), pps: Uint8Array.from(PPS) });
    [65534, 65535, 0, 1].forEach((seq, i) => d.push(rtp({ seq, ts: i * 3600, marker: true }, i === 0 ? IDR : P)));
    expect(c.errors).toEqual([]);
    expect(c.units).toHaveLength(4);
  });

  it('fuzz: random packet sequences never throw and emit well-formed access units (B01)', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom(SPS, PPS, IDR, P, SEI, AUD, stapA(SPS, PPS)).map((p) => Uint8Array.from(p)),
      fc
        .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }))
        .map(([a, b, rest]) => Uint8Array.from([(a & 0xe0) | 28, b, ...rest])),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            payload,
            marker: fc.boolean(),
            tsStep: fc.constantFrom(0, 0, 3600),
            seqStep: fc.constantFrom(1, 1, 1, 2, 0, -3),
          }),
          {
            maxLength: 60,
          },
        ),
        (steps) => {
          const c = collector<VideoAccessUnit>();
          const d = new H264Depacketizer(c.sink, { sps: Uint8Array.from(SPS), pps: Uint8Array.from(PPS) });
          let seq = 0;
          let ts = 0;
          try {
            for (const step of steps) {
              seq += step.seqStep;
              ts += step.tsStep;
              d.push(rtp({ seq, ts, marker: step.marker }, step.payload));
            }
            d.flush();
          } catch (err) {
            expect(isCodedError(err), String(err)).toBe(true);
            throw err;
          }
          for (const unit of c.units) {
            expect(unit.nals.length).toBeGreaterThan(0);
            let total = 0;
            for (const nal of unit.nals) {
              expect(nal.length).toBeGreaterThan(0);
              total += 4 + nal.length;
            }
            expect(total).toBe(unit.data.length);
          }
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});

describe('H264Depacketizer access unit normalization', () => {
  it('keeps one SPS/PPS before the first slice when a server repeats them before every slice (GStreamer)', () => {
    const c = collector<VideoAccessUnit>();
    const d = new H264Depacketizer(c.sink);
    const slice1 = [0x65, 0x88, 0x80, 0x10];
    const slice2 = [0x65, 0x88, 0x84, 0x21];
    const packets = [SPS, PPS, slice1, SPS, PPS, slice2];
    packets.forEach((p, i) => d.push(rtp({ seq: i, ts: 0, marker: i === packets.length - 1 }, p)));
    expect([...c.units[0]!.data]).toEqual(lengthPrefixed(SPS, PPS, slice1, slice2));
    expect(c.units[0]!.nals.map((n) => [...n])).toEqual([SPS, PPS, slice1, slice2]);
  });

  it('keeps the latest of duplicated parameter sets', () => {
    const c = collector<VideoAccessUnit>();
    const d = new H264Depacketizer(c.sink);
    [SPS, PPS, SPS2, PPS, IDR].forEach((p, i) => d.push(rtp({ seq: i, ts: 0, marker: i === 4 }, p)));
    expect([...c.units[0]!.data]).toEqual(lengthPrefixed(SPS2, PPS, IDR));
  });
});
