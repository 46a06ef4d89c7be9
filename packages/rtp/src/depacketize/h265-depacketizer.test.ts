import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { collector, lengthPrefixed, rtp } from '../test-rtp.js';
import { H265Depacketizer } from './h265-depacketizer.js';
import type { VideoAccessUnit } from './video-depacketizer.js';

const VPS = [0x40, 0x01, 0x0c, 0x01, 0xff];
const SPS = [0x42, 0x01, 0x01, 0x01, 0x60];
const PPS = [0x44, 0x01, 0xc1, 0x72];
const IDR = [0x26, 0x01, 0xaf, 0x09, 0x40];
const CRA = [0x2a, 0x01, 0xaf, 0x11];
const TRAIL = [0x02, 0x01, 0xd0, 0x2a];
const AUD = [0x46, 0x01, 0x50];

function ap(...nals: number[][]): number[] {
  return [0x60, 0x01, ...nals.flatMap((n) => [n.length >> 8, n.length & 0xff, ...n])];
}

/** FU fragments (§4.4.3): payload header type 49 keeping the NAL's layer/TID, FU header S/E/type. */
function fu(nal: number[], chunk: number): number[][] {
  const type = (nal[0]! >> 1) & 0x3f;
  const ph = [(nal[0]! & 0x81) | (49 << 1), nal[1]!];
  const body = nal.slice(2);
  const out: number[][] = [];
  for (let at = 0; at < body.length; at += chunk) {
    const s = at === 0 ? 0x80 : 0;
    const e = at + chunk >= body.length ? 0x40 : 0;
    out.push([...ph, s | e | type, ...body.slice(at, at + chunk)]);
  }
  return out;
}

function setup(sets: { vps?: number[]; sps?: number[]; pps?: number[] } = {}) {
  const c = collector<VideoAccessUnit>();
  const d = new H265Depacketizer(c.sink, {
    ...(sets.vps ? { vps: Uint8Array.from(sets.vps) } : {}),
    ...(sets.sps ? { sps: Uint8Array.from(sets.sps) } : {}),
    ...(sets.pps ? { pps: Uint8Array.from(sets.pps) } : {}),
  });
  let seq = 7;
  const send = (ts: number, payload: number[], marker = false) => d.push(rtp({ seq: seq++, ts, marker }, payload));
  const units = () => c.units.map((u) => ({ ts: u.timestamp, key: u.keyframe, data: [...u.data] }));
  return { c, d, send, units };
}

describe('H265Depacketizer (RFC 7798)', () => {
  it('decodes an AP holding VPS/SPS/PPS, then an IDR in FU fragments', () => {
    const idr = [0x26, 0x01, ...Array.from({ length: 40 }, (_, i) => i + 1)];
    const t = setup();
    t.send(0, ap(VPS, SPS, PPS));
    const fragments = fu(idr, 15);
    fragments.forEach((f, i) => t.send(0, f, i === fragments.length - 1));
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(VPS, SPS, PPS, idr) }]);
    expect(t.c.errors).toEqual([]);
  });

  it('accepts an FU with start and end set (OpenIPC)', () => {
    const t = setup({ vps: VPS, sps: SPS, pps: PPS });
    t.send(0, [0x62, 0x01, 0xd3, ...IDR.slice(2)], true);
    expect(t.units()).toEqual([{ ts: 0, key: true, data: lengthPrefixed(VPS, SPS, PPS, IDR) }]);
  });

  it('treats CRA as a random-access point and TRAIL as not', () => {
    const t = setup({ vps: VPS, sps: SPS, pps: PPS });
    t.send(0, TRAIL, true);
    t.send(3600, CRA, true);
    t.send(7200, TRAIL, true);
    expect(t.units().map((u) => [u.ts, u.key])).toEqual([
      [3600, true],
      [7200, false],
    ]);
  });

  it('strips AUD and splits on timestamp change without markers', () => {
    const t = setup({ vps: VPS, sps: SPS, pps: PPS });
    t.send(0, AUD);
    t.send(0, IDR);
    t.send(3600, AUD);
    t.send(3600, TRAIL);
    t.send(7200, TRAIL);
    expect(t.units()).toEqual([
      { ts: 0, key: true, data: lengthPrefixed(VPS, SPS, PPS, IDR) },
      { ts: 3600, key: false, data: lengthPrefixed(TRAIL) },
    ]);
  });

  it.each([
    ['PACI', [0x64, 0x01, 0x00, 0x00], RtpErrorCode.UNSUPPORTED_PACKETIZATION],
    ['an AP size past the end', [0x60, 0x01, 0x00, 0x09, 0x40, 0x01], RtpErrorCode.INVALID_AGGREGATION],
    ['an AP with a 1-byte NAL unit', [0x60, 0x01, 0x00, 0x01, 0x40], RtpErrorCode.INVALID_AGGREGATION],
    ['a 1-byte payload', [0x26], RtpErrorCode.INVALID_AGGREGATION],
    ['a 2-byte FU', [0x62, 0x01], RtpErrorCode.INCOMPLETE_FRAGMENT],
    ['an FU middle without start', [0x62, 0x01, 0x13, 0x55], RtpErrorCode.INCOMPLETE_FRAGMENT],
  ])('rejects %s without stopping', (_name, payload, code) => {
    const t = setup({ vps: VPS, sps: SPS, pps: PPS });
    t.send(0, payload);
    t.send(3600, IDR, true);
    expect(t.c.errors).toEqual([code]);
    expect(t.units().map((u) => u.ts)).toEqual([3600]);
  });

  it('fuzz: random packets never throw and units are well-formed', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            payload: fc.oneof(
              fc.uint8Array({ maxLength: 48 }),
              fc.constantFrom(VPS, SPS, PPS, IDR, TRAIL, AUD, ap(VPS, SPS)).map((p) => Uint8Array.from(p)),
            ),
            marker: fc.boolean(),
            tsStep: fc.constantFrom(0, 3600),
          }),
          { maxLength: 50 },
        ),
        (steps) => {
          const c = collector<VideoAccessUnit>();
          const d = new H265Depacketizer(c.sink, {
            vps: Uint8Array.from(VPS),
            sps: Uint8Array.from(SPS),
            pps: Uint8Array.from(PPS),
          });
          let ts = 0;
          steps.forEach((step, seq) => {
            ts += step.tsStep;
            d.push(rtp({ seq, ts, marker: step.marker }, step.payload));
          });
          d.flush();
          for (const unit of c.units) {
            expect(unit.nals.reduce((n, nal) => n + 4 + nal.length, 0)).toBe(unit.data.length);
            expect(unit.nals.every((nal) => nal.length > 0)).toBe(true);
          }
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
