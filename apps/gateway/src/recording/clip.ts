/**
 * A clip of a recording as one progressive MP4 (issue 15: `clip.mp4?start=&duration=`): the
 * header (moov first, progressive-header.ts in @camgate/fmp4) built from the recorded fragments'
 * moofs, then their sample bytes read straight from the hour files, range by range. Nothing but
 * the sample tables is held in memory, whatever the clip's length.
 *
 * It starts at the keyframe at or before `start` (so it decodes from its first frame) and ends
 * before `end`. Its timeline is the wall clock: where the recording has a hole, the last frame
 * before it lasts until the next one.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Fmp4Error,
  Fmp4ErrorCode,
  initTracks,
  progressiveHeader,
  readMoof,
  type ProgressiveChunk,
  type ReadSample,
} from '@camgate/fmp4';
import type { IndexedSegment } from './recording-index.js';
import type { RecordingFiles } from './recording-files.js';

/** 1 hour: the longest clip (~260,000 samples of a camera with audio: a few MB of tables). */
export const MAX_CLIP_MS = 60 * 60 * 1000;
const UNREADABLE = Fmp4ErrorCode.UNREADABLE_FRAGMENT;
/** 16 MiB: a moof larger than this is not one the recorder wrote (the file is damaged). */
const MAX_MOOF_BYTES = 16 * 1024 * 1024;

/** What to send: the header, then each range of each file in order (`end` inclusive). */
export interface ClipPlan {
  header: Uint8Array;
  reads: Array<{ path: string; start: number; end: number }>;
  /** The whole file's size. */
  size: number;
  /** The clip's first and last times (wall clock, ms). */
  startMs: number;
  endMs: number;
}

interface TrackChunk extends ProgressiveChunk {
  samples: ReadSample[];
  /** Decode time of the first sample, track ticks. */
  dts: number;
  timescale: number;
  /** Where its bytes are. */
  path: string;
  offset: number;
}

/**
 * Plans the clip from `startMs` to `endMs` of a camera's segments that overlap it (as the index
 * lists them): undefined when there are none (or, in a cluster, when the first is on another
 * node's disk: that node plans it). Reads each segment's moof (a few KB); throws
 * FMP4_UNREADABLE_FRAGMENT for a damaged file.
 */
export async function planClip(
  files: RecordingFiles,
  all: readonly IndexedSegment[],
  startMs: number,
  endMs: number,
): Promise<ClipPlan | undefined> {
  const first = all[0];
  if (first?.node !== files.index.node) return undefined;
  // One configuration per file: the clip ends where the camera's changed. Its bytes are read from
  // this node's disk: in a cluster, it ends where the camera moved to another node.
  const segments: IndexedSegment[] = [];
  for (const segment of all) {
    if (segment.init !== first.init || segment.node !== first.node) break;
    segments.push(segment);
  }
  const handles = new Map<string, FileHandle>();
  try {
    const init = await readRange(files, handles, first.init, 0, undefined);
    const timescales = new Map(initTracks(init).map((t) => [t.trackId, t.timescale]));
    const chunks: TrackChunk[] = [];
    for (const segment of segments) {
      const head = await readRange(files, handles, segment.path, segment.offset, 8);
      const moofSize = new DataView(head.buffer, head.byteOffset).getUint32(0);
      if (moofSize < 8 || moofSize > Math.min(segment.length, MAX_MOOF_BYTES)) {
        throw new Fmp4Error(UNREADABLE, `a damaged segment in ${segment.path} at ${segment.offset}`);
      }
      const moof = await readRange(files, handles, segment.path, segment.offset, moofSize);
      for (const run of readMoof(moof)) {
        const timescale = timescales.get(run.trackId);
        if (timescale === undefined) throw new Fmp4Error(UNREADABLE, `track ${run.trackId} is not in the init segment`);
        chunks.push({
          trackId: run.trackId,
          samples: run.samples,
          dts: run.baseMediaDecodeTime,
          timescale,
          path: segment.path,
          offset: segment.offset + run.dataOffset,
        });
      }
    }
    const kept = trim(chunks, startMs, endMs);
    const firstChunk = kept[0];
    if (firstChunk === undefined) return undefined;
    const header = progressiveHeader(init, kept);
    const reads = kept.map((chunk) => {
      const bytes = chunk.samples.reduce((n, s) => n + s.size, 0);
      return { path: join(files.root, chunk.path), start: chunk.offset, end: chunk.offset + bytes - 1 };
    });
    const size = header.length + reads.reduce((n, r) => n + r.end - r.start + 1, 0);
    const video = kept.find((c) => c.trackId === 1) ?? firstChunk;
    return { header, reads, size, startMs: Math.round(msOf(video, video.dts)), endMs };
  } finally {
    for (const handle of handles.values()) await handle.close().catch(() => undefined);
  }
}

/** A chunk's decode time `dts` as wall clock ms: recorded media time is the wall clock (the recorder's OutputTimeline). */
function msOf(chunk: TrackChunk, dts: number): number {
  return (dts / chunk.timescale) * 1000;
}

/**
 * Keeps video from the last keyframe at or before `startMs` and every track's samples before
 * `endMs`; each chunk's last sample lasts until the next chunk of its track (the wall clock).
 */
function trim(chunks: TrackChunk[], startMs: number, endMs: number): TrackChunk[] {
  const video = chunks.filter((c) => c.trackId === 1);
  let from = Number.NEGATIVE_INFINITY;
  if (video.length > 0) {
    // The decode time of the last keyframe at or before startMs.
    for (const chunk of video) {
      let dts = chunk.dts;
      for (const sample of chunk.samples) {
        if (msOf(chunk, dts) > startMs) break;
        if (sample.sync) from = msOf(chunk, dts);
        dts += sample.duration;
      }
    }
    const firstVideo = video[0] as TrackChunk;
    if (from === Number.NEGATIVE_INFINITY) from = msOf(firstVideo, firstVideo.dts);
  } else from = startMs;
  const kept: TrackChunk[] = [];
  for (const chunk of chunks) {
    let dts = chunk.dts;
    let offset = chunk.offset;
    const samples: ReadSample[] = [];
    let firstDts: number | undefined;
    let firstOffset = offset;
    for (const sample of chunk.samples) {
      const ms = msOf(chunk, dts);
      if (ms >= from - 0.5 && ms < endMs) {
        if (firstDts === undefined) {
          firstDts = dts;
          firstOffset = offset;
        }
        samples.push(sample);
      }
      dts += sample.duration;
      offset += sample.size;
    }
    if (firstDts !== undefined) kept.push({ ...chunk, samples, dts: firstDts, offset: firstOffset });
  }
  // Each track's timeline without holes: a chunk's last sample lasts until its track's next chunk.
  const last = new Map<number, TrackChunk>();
  for (const chunk of kept) {
    const previous = last.get(chunk.trackId);
    if (previous !== undefined) {
      const lastSample = previous.samples.at(-1) as ReadSample;
      const end = previous.dts + previous.samples.reduce((n, s) => n + s.duration, 0);
      const gap = chunk.dts - end;
      if (gap > 0 && lastSample.duration + gap <= 0xffffffff) {
        previous.samples[previous.samples.length - 1] = { ...lastSample, duration: lastSample.duration + gap };
      }
    }
    last.set(chunk.trackId, chunk);
  }
  return kept;
}

async function readRange(
  files: RecordingFiles,
  handles: Map<string, FileHandle>,
  path: string,
  offset: number,
  length: number | undefined,
): Promise<Uint8Array> {
  let handle = handles.get(path);
  if (handle === undefined) {
    handle = await open(join(files.root, path), 'r');
    handles.set(path, handle);
  }
  const size = length ?? (await handle.stat()).size;
  const buffer = Buffer.alloc(size);
  const { bytesRead } = await handle.read(buffer, 0, size, offset);
  if (bytesRead !== size) {
    throw new Fmp4Error(UNREADABLE, `${path} ends before byte ${offset + size}`);
  }
  return buffer;
}
