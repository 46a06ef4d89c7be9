/**
 * A progressive MP4's header (ISO/IEC 14496-12 §8.5-8.7: a moov with full sample tables, before
 * the mdat) for samples recorded as fragments: an export of a recording plays in any player and
 * editor, and starts playing before it is all downloaded (moov first). The sample entries come
 * from the recording's init segment unchanged; the media bytes are the fragments' sample data,
 * which the caller streams after this header as the mdat's payload, chunk after chunk.
 */
import { BoxWriter } from '../box-writer.js';
import { ftypSize, writeFtyp, type FileType } from '../boxes/ftyp.js';
import { Fmp4Error, Fmp4ErrorCode } from '../errors.js';
import { boxSizeAt, type ReadSample } from './fragment-reader.js';

/** A run of one track's samples whose bytes follow each other in the mdat. */
export interface ProgressiveChunk {
  trackId: number;
  samples: readonly ReadSample[];
}

/** Brands of a progressive file: ISO base media with 64-bit chunk offsets and signed composition offsets (iso4). */
export const PROGRESSIVE_FILE_TYPE: FileType = {
  majorBrand: 'isom',
  minorVersion: 0x200,
  compatibleBrands: ['isom', 'iso4', 'mp41'],
};

/** The mdat header: a 64-bit size (a clip may pass 4 GiB). */
export const MDAT_HEADER_SIZE = 16;

const UNREADABLE = Fmp4ErrorCode.UNREADABLE_FRAGMENT;

interface Box {
  type: string;
  at: number;
  size: number;
}

/** A trak of the init segment, with the parts the header copies. */
interface InitTrak {
  trackId: number;
  timescale: number;
  tkhd: Box;
  mdhd: Box;
  hdlr: Box;
  mediaHeader: Box;
  dinf: Box;
  stsd: Box;
}

/** The header's bytes: ftyp, moov, and the header of an mdat of `payloadSize` bytes (the chunks' samples). */
export function progressiveHeader(init: Uint8Array, chunks: readonly ProgressiveChunk[]): Uint8Array {
  const { mvhd, traks } = readInit(init);
  const tables = traks.map((trak) => buildTables(trak, chunks));
  const moovSize = 8 + mvhd.size + traks.reduce((n, trak, i) => n + trakSize(trak, tables[i] as TrackTables), 0);
  const headerSize = ftypSize(PROGRESSIVE_FILE_TYPE) + moovSize + MDAT_HEADER_SIZE;
  // Chunk offsets: where each chunk's samples start in the file.
  let at = headerSize;
  const offsets = new Map<number, number[]>();
  for (const chunk of chunks) {
    const list = offsets.get(chunk.trackId) ?? [];
    list.push(at);
    offsets.set(chunk.trackId, list);
    for (const sample of chunk.samples) at += sample.size;
  }
  const payloadSize = at - headerSize;
  const movieTimescale = new DataView(init.buffer, init.byteOffset + mvhd.at + 20, 4).getUint32(0);

  const w = new BoxWriter(headerSize);
  writeFtyp(w, PROGRESSIVE_FILE_TYPE);
  const moov = w.startBox('moov');
  let movieDuration = 0;
  for (const [i, trak] of traks.entries()) {
    const t = tables[i] as TrackTables;
    movieDuration = Math.max(movieDuration, Math.round((t.duration / trak.timescale) * movieTimescale));
  }
  copyWithDuration(w, init, mvhd, 24, movieDuration);
  for (const [i, trak] of traks.entries()) {
    const t = tables[i] as TrackTables;
    const trakBox = w.startBox('trak');
    copyWithDuration(w, init, trak.tkhd, 28, Math.round((t.duration / trak.timescale) * movieTimescale));
    const mdia = w.startBox('mdia');
    copyWithDuration(w, init, trak.mdhd, 24, t.duration);
    copy(w, init, trak.hdlr);
    const minf = w.startBox('minf');
    copy(w, init, trak.mediaHeader);
    copy(w, init, trak.dinf);
    const stbl = w.startBox('stbl');
    copy(w, init, trak.stsd);
    writeTables(w, t, offsets.get(trak.trackId) ?? []);
    w.endBox(stbl);
    w.endBox(minf);
    w.endBox(mdia);
    w.endBox(trakBox);
  }
  w.endBox(moov);
  // mdat with size = 1 and a 64-bit largesize (§4.2).
  w.u32(1);
  w.fourcc('mdat');
  w.u64(MDAT_HEADER_SIZE + payloadSize);
  return w.finishExact();
}

interface TrackTables {
  duration: number;
  count: number;
  stts: Array<[count: number, delta: number]>;
  ctts: Array<[count: number, offset: number]> | undefined;
  cttsVersion: number;
  stss: number[] | undefined;
  sizes: number[];
  stsc: Array<[firstChunk: number, samplesPerChunk: number]>;
  chunks: number;
}

function buildTables(trak: InitTrak, chunks: readonly ProgressiveChunk[]): TrackTables {
  const t: TrackTables = {
    duration: 0,
    count: 0,
    stts: [],
    ctts: [],
    cttsVersion: 0,
    stss: [],
    sizes: [],
    stsc: [],
    chunks: 0,
  };
  let allSync = true;
  let anyOffset = false;
  for (const chunk of chunks) {
    if (chunk.trackId !== trak.trackId || chunk.samples.length === 0) continue;
    t.chunks++;
    if (t.stsc.at(-1)?.[1] !== chunk.samples.length) t.stsc.push([t.chunks, chunk.samples.length]);
    for (const sample of chunk.samples) {
      t.count++;
      t.duration += sample.duration;
      const lastStts = t.stts.at(-1);
      if (lastStts?.[1] === sample.duration) lastStts[0]++;
      else t.stts.push([1, sample.duration]);
      const lastCtts = t.ctts?.at(-1);
      if (lastCtts?.[1] === sample.compositionOffset) lastCtts[0]++;
      else t.ctts?.push([1, sample.compositionOffset]);
      if (sample.compositionOffset !== 0) anyOffset = true;
      if (sample.compositionOffset < 0) t.cttsVersion = 1;
      if (sample.sync) t.stss?.push(t.count);
      else allSync = false;
      t.sizes.push(sample.size);
    }
  }
  if (!anyOffset) t.ctts = undefined;
  // Every sample a sync sample (audio): no stss (§8.6.2.1).
  if (allSync) t.stss = undefined;
  return t;
}

function tablesSize(t: TrackTables): number {
  return (
    16 +
    8 * t.stts.length +
    (t.ctts === undefined ? 0 : 16 + 8 * t.ctts.length) +
    (t.stss === undefined ? 0 : 16 + 4 * t.stss.length) +
    20 +
    4 * t.sizes.length +
    16 +
    12 * t.stsc.length +
    16 +
    8 * t.chunks
  );
}

function trakSize(trak: InitTrak, t: TrackTables): number {
  const stbl = 8 + trak.stsd.size + tablesSize(t);
  const minf = 8 + trak.mediaHeader.size + trak.dinf.size + stbl;
  const mdia = 8 + trak.mdhd.size + trak.hdlr.size + minf;
  return 8 + trak.tkhd.size + mdia;
}

/** stts, ctts, stss, stsz, stsc, co64 (§8.6.1.2, §8.6.1.3, §8.6.2, §8.7.3.2, §8.7.4, §8.7.5). */
function writeTables(w: BoxWriter, t: TrackTables, offsets: readonly number[]): void {
  const stts = w.startFullBox('stts', 0, 0);
  w.u32(t.stts.length);
  for (const [count, delta] of t.stts) {
    w.u32(count);
    w.u32(delta);
  }
  w.endBox(stts);
  if (t.ctts !== undefined) {
    const ctts = w.startFullBox('ctts', t.cttsVersion, 0);
    w.u32(t.ctts.length);
    for (const [count, offset] of t.ctts) {
      w.u32(count);
      if (t.cttsVersion === 1) w.i32(offset);
      else w.u32(offset);
    }
    w.endBox(ctts);
  }
  if (t.stss !== undefined) {
    const stss = w.startFullBox('stss', 0, 0);
    w.u32(t.stss.length);
    for (const n of t.stss) w.u32(n);
    w.endBox(stss);
  }
  const stsz = w.startFullBox('stsz', 0, 0);
  w.u32(0);
  w.u32(t.sizes.length);
  for (const size of t.sizes) w.u32(size);
  w.endBox(stsz);
  const stsc = w.startFullBox('stsc', 0, 0);
  w.u32(t.stsc.length);
  for (const [first, perChunk] of t.stsc) {
    w.u32(first);
    w.u32(perChunk);
    w.u32(1); // sample_description_index
  }
  w.endBox(stsc);
  const co64 = w.startFullBox('co64', 0, 0);
  w.u32(offsets.length);
  for (const offset of offsets) w.u64(offset);
  w.endBox(co64);
}

function copy(w: BoxWriter, init: Uint8Array, box: Box): void {
  w.bytesFrom(init.subarray(box.at, box.at + box.size));
}

/** Copies a version 0 header box whose 32-bit duration is at `durationAt`, with `duration` there. */
function copyWithDuration(w: BoxWriter, init: Uint8Array, box: Box, durationAt: number, duration: number): void {
  if (init[box.at + 8] !== 0)
    throw new Fmp4Error(UNREADABLE, `${box.type} version ${init[box.at + 8]} is not supported`);
  const start = w.position;
  copy(w, init, box);
  new DataView(w.bytes.buffer, w.bytes.byteOffset + start + durationAt, 4).setUint32(0, Math.min(duration, 0xffffffff));
}

/** The tracks of an init segment: their ids and timescales (FMP4_UNREADABLE_FRAGMENT when it is not one). */
export function initTracks(init: Uint8Array): Array<{ trackId: number; timescale: number }> {
  return readInit(init).traks.map(({ trackId, timescale }) => ({ trackId, timescale }));
}

/** The init segment's movie header and tracks (as camgate's init-segment.ts writes them). */
function readInit(init: Uint8Array): { mvhd: Box; traks: InitTrak[] } {
  const moov = childrenOf(init, 0, init.length).find((b) => b.type === 'moov');
  if (moov === undefined) throw new Fmp4Error(UNREADABLE, 'the init segment has no moov');
  const inMoov = childrenOf(init, moov.at + 8, moov.at + moov.size);
  const mvhd = need(inMoov, 'mvhd');
  const traks: InitTrak[] = [];
  for (const trak of inMoov.filter((b) => b.type === 'trak')) {
    const inTrak = childrenOf(init, trak.at + 8, trak.at + trak.size);
    const tkhd = need(inTrak, 'tkhd');
    const mdia = need(inTrak, 'mdia');
    const inMdia = childrenOf(init, mdia.at + 8, mdia.at + mdia.size);
    const mdhd = need(inMdia, 'mdhd');
    const minf = need(inMdia, 'minf');
    const inMinf = childrenOf(init, minf.at + 8, minf.at + minf.size);
    const stbl = need(inMinf, 'stbl');
    const inStbl = childrenOf(init, stbl.at + 8, stbl.at + stbl.size);
    const mediaHeader = inMinf.find((b) => b.type === 'vmhd' || b.type === 'smhd' || b.type === 'nmhd');
    if (mediaHeader === undefined) throw new Fmp4Error(UNREADABLE, 'a trak has no media header');
    if (tkhd.size < 32 || mdhd.size < 28) throw new Fmp4Error(UNREADABLE, 'a tkhd or mdhd is too short');
    const view = new DataView(init.buffer, init.byteOffset);
    traks.push({
      trackId: view.getUint32(tkhd.at + 20),
      timescale: view.getUint32(mdhd.at + 20),
      tkhd,
      mdhd,
      hdlr: need(inMdia, 'hdlr'),
      mediaHeader,
      dinf: need(inMinf, 'dinf'),
      stsd: need(inStbl, 'stsd'),
    });
  }
  if (traks.length === 0 || mvhd.size < 28) throw new Fmp4Error(UNREADABLE, 'the init segment has no track');
  return { mvhd, traks };
}

function childrenOf(bytes: Uint8Array, from: number, to: number): Box[] {
  const boxes: Box[] = [];
  for (let at = from; at < to;) {
    const { size, type } = boxSizeAt(bytes, at);
    if (at + size > to) throw new Fmp4Error(UNREADABLE, `box "${type}" at ${at} runs past its parent`);
    boxes.push({ type, at, size });
    at += size;
  }
  return boxes;
}

function need(boxes: readonly Box[], type: string): Box {
  const box = boxes.find((b) => b.type === type);
  if (box === undefined) throw new Fmp4Error(UNREADABLE, `the init segment has no ${type}`);
  return box;
}
