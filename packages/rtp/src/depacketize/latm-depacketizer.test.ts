import { fuzzRuns } from '@camgate/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpErrorCode } from '../errors.js';
import { collector, rtp } from '../test-rtp.js';
import type { AudioUnit } from './audio-unit.js';
import { LatmDepacketizer } from './latm-depacketizer.js';

describe('LatmDepacketizer (RFC 3016, cpresent=0)', () => {
  it('reads PayloadLengthInfo, including 0xFF runs', () => {
    const c = collector<AudioUnit>();
    const d = new LatmDepacketizer({ numSubFrames: 0, frameLength: 1024 }, c.sink);
    const long = new Array<number>(300).fill(7);
    d.push(rtp({ seq: 1, ts: 90, marker: true }, [0xff, 0x2d, ...long]));
    expect(c.units.map((u) => [u.timestamp, u.data.length])).toEqual([[90, 300]]);
  });

  it('reassembles an element fragmented over packets and splits sub-frames', () => {
    const c = collector<AudioUnit>();
    const d = new LatmDepacketizer({ numSubFrames: 1, frameLength: 1024 }, c.sink);
    d.push(rtp({ seq: 1, ts: 0, marker: false }, [3, 1, 2]));
    d.push(rtp({ seq: 2, ts: 0, marker: true }, [3, 3, 4, 5, 6]));
    expect(c.units.map((u) => [u.timestamp, [...u.data]])).toEqual([
      [0, [1, 2, 3]],
      [1024, [4, 5, 6]],
    ]);
  });

  it('drops an element whose lengths overrun it', () => {
    const c = collector<AudioUnit>();
    const d = new LatmDepacketizer({ numSubFrames: 0, frameLength: 1024 }, c.sink);
    d.push(rtp({ seq: 1, ts: 0, marker: true }, [9, 1, 2]));
    expect(c.errors).toEqual([RtpErrorCode.INVALID_AUDIO_PAYLOAD]);
  });

  it('fuzz: never throws', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ p: fc.uint8Array({ maxLength: 64 }), m: fc.boolean() }), { maxLength: 20 }),
        (steps) => {
          const c = collector<AudioUnit>();
          const d = new LatmDepacketizer({ numSubFrames: 1, frameLength: 1024 }, c.sink);
          steps.forEach((s, seq) => d.push(rtp({ seq, ts: seq, marker: s.m }, s.p)));
          expect(c.units.every((u) => u.data.length > 0)).toBe(true);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
