import { spawnSync } from 'node:child_process';
import { parseH264Sps, splitAccessUnits } from '@camgate/codecs';
import { requireTools } from '@camgate/testkit';
import { describe, expect, it } from 'vitest';
import { joinLengthPrefixed as lengthPrefixed } from '@camgate/codecs';
import { annexBOf, H264AccessUnitSplitter, MAX_SPLITTER_BUFFER_BYTES } from './h264-au-splitter.js';

const sc = [0, 0, 0, 1];
const aud = [0x09, 0xf0];
const sps = [0x67, 0x64, 0x00, 0x1e, 0xac];
const pps = [0x68, 0xee, 0x3c, 0x80];
const idr = (first: boolean) => [0x65, first ? 0x88 : 0x08, 0x84, 0x21];
const p = (first: boolean) => [0x41, first ? 0x9a : 0x1a, 0x02, 0x03];

/** Two access units and the start of a third: AUD SPS PPS IDR IDR(2nd slice) | AUD P | AUD P. */
const stream = Uint8Array.from([
  ...sc,
  ...aud,
  ...sc,
  ...sps,
  ...sc,
  ...pps,
  ...sc,
  ...idr(true),
  ...sc,
  ...idr(false),
  ...sc,
  ...aud,
  ...[0, 0, 1],
  ...p(true),
  ...sc,
  ...aud,
  ...sc,
  ...p(true),
]);

describe('H264AccessUnitSplitter', () => {
  it.each([1, 2, 3, 5, 7, 64])('cuts units the same whatever the chunk size (%i bytes)', (size) => {
    const splitter = new H264AccessUnitSplitter();
    const units = [];
    for (let at = 0; at < stream.length; at += size) units.push(...splitter.push(stream.subarray(at, at + size)));
    // The third unit is complete only when the output ends.
    expect(units.map((u) => u.nals.length)).toEqual([4, 1]);
    units.push(...splitter.flush());
    expect(units.map((u) => [u.keyframe, u.nals.length, u.sps !== undefined, u.pps !== undefined])).toEqual([
      [true, 4, true, true],
      [false, 1, false, false],
      [false, 1, false, false],
    ]);
    expect([...(units[0]?.nals[0] ?? [])]).toEqual(sps);
    expect([...(units[1]?.nals[0] ?? [])]).toEqual(p(true));
  });

  it('refuses a NAL unit beyond its bound', () => {
    const splitter = new H264AccessUnitSplitter();
    splitter.push(Uint8Array.from([...sc, 0x65, 0x88]));
    expect(() => splitter.push(new Uint8Array(MAX_SPLITTER_BUFFER_BYTES).fill(7))).toThrow(
      expect.objectContaining({ code: 'CAMGATE_ERR_TRANSCODE_FAILED' }),
    );
  });

  it("splits x264's real output as the codecs package's whole-stream splitter does", (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const out = spawnSync(
      ffmpeg,
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=s=320x240:r=25',
        '-frames:v',
        '30',
        '-c:v',
        'libx264',
        '-tune',
        'zerolatency',
        '-x264-params',
        'aud=1:slices=2',
        '-g',
        '10',
        '-f',
        'h264',
        'pipe:1',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const bytes = new Uint8Array(out.stdout);
    const splitter = new H264AccessUnitSplitter();
    const units = [];
    for (let at = 0; at < bytes.length; at += 1000) units.push(...splitter.push(bytes.subarray(at, at + 1000)));
    units.push(...splitter.flush());
    const reference = splitAccessUnits(bytes, 'h264');
    expect(units.length).toBe(30);
    expect(units.length).toBe(reference.length);
    expect(units.filter((u) => u.keyframe).length).toBe(3);
    const first = units[0]?.sps;
    expect(first === undefined ? undefined : parseH264Sps(first).width).toBe(320);
  });
});

describe('annexBOf / lengthPrefixed', () => {
  it('round-trips NAL units', () => {
    const nals = [Uint8Array.from(sps), Uint8Array.from(idr(true))];
    const prefixed = lengthPrefixed(nals);
    expect([...prefixed.subarray(0, 4)]).toEqual([0, 0, 0, 5]);
    expect([...(annexBOf(prefixed) ?? [])]).toEqual([...sc, ...sps, ...sc, ...idr(true)]);
  });

  it.each([
    ['a length past the end', [0, 0, 0, 9, 1, 2]],
    ['a zero length', [0, 0, 0, 0]],
    ['trailing bytes', [0, 0, 0, 1, 0x65, 0]],
  ])('refuses %s', (_, data) => {
    expect(annexBOf(Uint8Array.from(data))).toBeUndefined();
  });
});
