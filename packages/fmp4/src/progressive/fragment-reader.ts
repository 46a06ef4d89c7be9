/**
 * Reads back the sample tables of a movie fragment (moof) as camgate writes them (fragment.ts) or
 * any CMAF writer does: mfhd, then per traf a tfhd (default-base-is-moof), a tfdt and truns with
 * per-sample durations and sizes. Recorded files come back from disk, where a bad sector or a
 * foreign file must give a coded error (FMP4_UNREADABLE_FRAGMENT), never a crash.
 */
import { Fmp4Error, Fmp4ErrorCode } from '../errors.js';

/** One sample of a fragment, as its trun lists it. */
export interface ReadSample {
  duration: number;
  size: number;
  sync: boolean;
  /** pts - dts. */
  compositionOffset: number;
}

/** One track's run of a fragment: its samples and where their bytes are. */
export interface ReadTrackRun {
  trackId: number;
  baseMediaDecodeTime: number;
  /** Offset of the first sample's bytes from the start of the moof (the samples follow each other). */
  dataOffset: number;
  samples: ReadSample[];
}

/** 1,000,000 samples in one moof: 11 hours of 25 fps; bounds what a damaged file can make us allocate. */
export const MAX_READ_SAMPLES = 1_000_000;

const UNREADABLE = Fmp4ErrorCode.UNREADABLE_FRAGMENT;

/** The box size at `at` of `bytes` (a 32-bit size; 64-bit sizes are not used inside a moof). */
export function boxSizeAt(bytes: Uint8Array, at: number): { size: number; type: string } {
  if (at + 8 > bytes.length) throw new Fmp4Error(UNREADABLE, `a box header at ${at} runs past ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  const size = view.getUint32(0);
  const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
  if (size < 8) throw new Fmp4Error(UNREADABLE, `box "${printable(type)}" at ${at} has size ${size}`);
  return { size, type };
}

/** The track runs of the moof that `moof` holds exactly (ISO/IEC 14496-12 §8.8.4-8.8.8, §8.8.12). */
export function readMoof(moof: Uint8Array): ReadTrackRun[] {
  const top = boxSizeAt(moof, 0);
  if (top.type !== 'moof' || top.size !== moof.length) {
    throw new Fmp4Error(
      UNREADABLE,
      `expected a moof of ${moof.length} bytes, found "${printable(top.type)}" of ${top.size}`,
    );
  }
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  const runs: ReadTrackRun[] = [];
  let samples = 0;
  for (const traf of children(moof, 8, moof.length)) {
    if (traf.type !== 'traf') continue;
    let run: ReadTrackRun | undefined;
    for (const box of children(moof, traf.at + 8, traf.at + traf.size)) {
      const body = box.at + 12;
      const flags = view.getUint32(box.at + 8) & 0xffffff;
      const version = view.getUint8(box.at + 8);
      if (box.type === 'tfhd') {
        need(box, 16);
        // Only default-base-is-moof (and default fields we ignore because every trun gives them).
        if ((flags & 0x000001) !== 0) throw new Fmp4Error(UNREADABLE, 'tfhd with a base-data-offset is not supported');
        run = { trackId: view.getUint32(body), baseMediaDecodeTime: 0, dataOffset: 0, samples: [] };
      } else if (box.type === 'tfdt' && run !== undefined) {
        need(box, version === 1 ? 20 : 16);
        run.baseMediaDecodeTime = version === 1 ? Number(view.getBigUint64(body)) : view.getUint32(body);
      } else if (box.type === 'trun' && run !== undefined) {
        need(box, 16);
        const count = view.getUint32(body);
        samples += count;
        if (samples > MAX_READ_SAMPLES) throw new Fmp4Error(UNREADABLE, `more than ${MAX_READ_SAMPLES} samples`);
        let at = body + 4;
        if ((flags & 0x1) === 0) throw new Fmp4Error(UNREADABLE, 'trun without a data offset');
        const dataOffset = view.getInt32(at);
        at += 4;
        if ((flags & 0x4) !== 0) at += 4; // first-sample-flags: not written by CMAF packagers we read
        const perSample = [0x100, 0x200, 0x400, 0x800].filter((f) => (flags & f) !== 0).length * 4;
        if ((flags & 0x300) !== 0x300) throw new Fmp4Error(UNREADABLE, 'trun without per-sample durations and sizes');
        need(box, at - box.at + count * perSample);
        if (run.samples.length === 0) run.dataOffset = dataOffset;
        for (let i = 0; i < count; i++) {
          const duration = view.getUint32(at);
          const size = view.getUint32(at + 4);
          let next = at + 8;
          let sampleFlags = 0x02000000;
          if ((flags & 0x400) !== 0) {
            sampleFlags = view.getUint32(next);
            next += 4;
          }
          let compositionOffset = 0;
          if ((flags & 0x800) !== 0) compositionOffset = version === 1 ? view.getInt32(next) : view.getUint32(next);
          run.samples.push({ duration, size, sync: (sampleFlags & 0x00010000) === 0, compositionOffset });
          at += perSample;
        }
      }
    }
    if (run !== undefined) runs.push(run);
  }
  return runs;
}

function* children(bytes: Uint8Array, from: number, to: number): Generator<{ type: string; at: number; size: number }> {
  let at = from;
  while (at < to) {
    const { size, type } = boxSizeAt(bytes, at);
    if (at + size > to) throw new Fmp4Error(UNREADABLE, `box "${printable(type)}" at ${at} runs past its parent`);
    yield { type, at, size };
    at += size;
  }
}

function need(box: { type: string; size: number }, bytes: number): void {
  if (box.size < bytes) throw new Fmp4Error(UNREADABLE, `${box.type} of ${box.size} bytes is too short (${bytes})`);
}

function printable(type: string): string {
  return type.replace(/[^\x20-\x7e]/g, '?');
}
