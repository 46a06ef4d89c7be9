import { describe, expect, it } from 'vitest';
import { MAX_PENDING_FRAMES, TimestampPairing } from './timestamp-pairing.js';

const frame = (pts: number, keyframe = false) => ({ pts, wallclock: 1_000_000 + pts / 90, keyframe });

describe('TimestampPairing', () => {
  it.each<[string, Array<{ pts: number; key?: boolean }>, boolean[], Array<number | undefined>, number]>([
    // name, inputs (decode order), output keyframe flags, expected pts, lost
    ['in order', [{ pts: 0, key: true }, { pts: 3600 }, { pts: 7200 }], [true, false, false], [0, 3600, 7200], 0],
    [
      'B-frames: outputs in presentation order',
      [{ pts: 0, key: true }, { pts: 10800 }, { pts: 3600 }, { pts: 7200 }],
      [true, false, false, false],
      [0, 3600, 7200, 10800],
      0,
    ],
    ['an output with nothing pending is extra', [{ pts: 0, key: true }], [true, false], [0, undefined], 0],
    [
      'a frame ffmpeg dropped: the next output keyframe resynchronises',
      [{ pts: 0, key: true }, { pts: 3600 }, { pts: 7200 }, { pts: 10800, key: true }, { pts: 14400 }],
      // ffmpeg lost one frame of the first GOP: outputs are key, P, key, P.
      [true, false, true, false],
      [0, 3600, 10800, 14400],
      1,
    ],
    [
      'a frame ffmpeg repeated is left out',
      [{ pts: 0, key: true }, { pts: 3600 }, { pts: 7200, key: true }, { pts: 10800 }],
      // key, P, P (repeated), key, P
      [true, false, false, true, false],
      [0, 3600, undefined, 7200, 10800],
      0,
    ],
    [
      'an encoder keyframe where the input has none pending keeps the order',
      [{ pts: 0, key: true }, { pts: 3600 }, { pts: 7200 }],
      [true, true, false],
      [0, 3600, 7200],
      0,
    ],
  ])('%s', (_, inputs, outputs, expected, lost) => {
    const pairing = new TimestampPairing();
    for (const i of inputs) pairing.input(frame(i.pts, i.key ?? false));
    expect(outputs.map((key) => pairing.output(key)?.pts)).toEqual(expected);
    expect(pairing.lost).toBe(lost);
  });

  it('is bounded: the oldest pending frame is given up', () => {
    const pairing = new TimestampPairing();
    for (let i = 0; i <= MAX_PENDING_FRAMES; i++) pairing.input(frame(i * 3600));
    expect(pairing.size).toBe(MAX_PENDING_FRAMES);
    expect(pairing.lost).toBe(1);
    expect(pairing.output(false)?.pts).toBe(3600);
  });

  it('clear() counts what was pending as lost', () => {
    const pairing = new TimestampPairing();
    pairing.input(frame(0, true));
    pairing.input(frame(3600));
    pairing.clear();
    expect([pairing.size, pairing.lost]).toEqual([0, 2]);
  });
});
