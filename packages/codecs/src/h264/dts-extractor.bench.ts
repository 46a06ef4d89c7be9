import { addEmulationPrevention, removeEmulationPrevention } from '@camgate/bits';
import { bench, describe } from 'vitest';
import { splitAccessUnits } from '../nal/access-units.js';
import { fixture, packets } from '../test-fixtures.js';
import { H264DtsExtractor } from './dts-extractor.js';
import { parseH264Pps } from './pps.js';
import { parseH264SliceHeader } from './slice-header.js';
import { parseH264Sps } from './sps.js';

const isType = (type: number) => (nal: Uint8Array) => ((nal[0] as number) & 0x1f) === type;
const aus = splitAccessUnits(fixture('h264-high-bpyramid.h264'), 'h264');
const pts = packets('h264-high-bpyramid').map((p) => p.pts);
const first = aus[0] as Uint8Array[];
const sps = parseH264Sps(first.find(isType(7)) as Uint8Array);
const pps = parseH264Pps(first.find(isType(8)) as Uint8Array);
const lookup = { sps: () => sps, pps: () => pps };

/** A 64 KiB slice (a 1080p P-frame's size): a real x264 slice header, then slice-like data with escapes. */
function bigSlice(): Uint8Array {
  const real = (aus[1] as Uint8Array[]).find(isType(1)) as Uint8Array;
  const payload = new Uint8Array(64 * 1024);
  let seed = 0x2545f491;
  for (let i = 0; i < payload.length; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    payload[i] = (seed & 0xff) | 0x10;
  }
  for (let i = 4096; i < payload.length; i += 4096) payload.fill(0, i, i + 3);
  return Uint8Array.from([...real.subarray(0, 32), ...addEmulationPrevention(payload)]);
}
const slice = bigSlice();

describe('per access unit: slice header of a 64 KiB slice', () => {
  bench('baseline: unescape the whole slice (what a full-NAL parse would pay)', () => {
    removeEmulationPrevention(slice);
  });
  bench('parseH264SliceHeader (unescapes a 64-byte prefix)', () => {
    parseH264SliceHeader(slice, lookup);
  });
});

describe('per access unit: DTS of x264 High with b-pyramid (50 AUs per iteration)', () => {
  const extractor = new H264DtsExtractor();
  let base = 0;
  bench('H264DtsExtractor.extract', () => {
    extractor.reset();
    base += 10_000_000;
    for (let n = 0; n < aus.length; n++) extractor.extract(aus[n] as Uint8Array[], base + (pts[n] as number));
  });
});
