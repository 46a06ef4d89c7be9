/**
 * Audio beside video: audio parts follow the video parts' boundaries, so that both renditions have
 * the same MSNs and part indices (rfc8216bis §6.2.2: renditions' segments and parts must line up
 * for a player to switch and to block on the same part). A part takes the audio frames whose
 * midpoint lies before the video part's end.
 */
import { flacFrameBlockSize } from '@camgate/codecs';
import type { HlsTrack } from '../types.js';
import type { PendingSample } from './staged-samples.js';

/** Video boundaries audio may lag behind before its parts are published as GAP (~3 s of 200 ms parts). */
export const MAX_PENDING_BOUNDARIES = 16;

/** A video part boundary, which audio follows. */
export interface Boundary {
  msn: number;
  index: number;
  /** Start and end of the video part on the output timeline, seconds. */
  start: number;
  end: number;
  lastOfSegment: boolean;
  /** The segment this part opens (index 0) follows a discontinuity. */
  discontinuity: boolean;
  programDateTime: number;
}

/** Where an audio track's published media ends, and its frame duration (ticks; lastEnd -1 before any). */
export interface AudioEnd {
  lastEnd: number;
  cadence: number;
}

/**
 * Audio has reached a boundary ending at `end` (ticks) when the frame after its latest pending
 * one (continuous audio: one frame later) has its midpoint at or past it.
 */
export function audioReached(last: PendingSample | undefined, cadence: number, end: number): boolean {
  return last !== undefined && last.dts + cadence + cadence / 2 >= end;
}

/**
 * How the pending audio `samples` split at `boundary` (clock `clockRate`): the first `late` are
 * dropped, the next `count` make the audio part. Dropped: audio for a time already published (a
 * GAP part covered it: the audio lagged the video by more than the pending boundaries allow) and
 * audio during a hole in the video (a stall), more than a frame before the part starts (a frame
 * just before it is one moved on from the previous part). An audio part never exceeds
 * PART-TARGET (`limit` ticks): after a long video part (jitter, a late frame), its last audio
 * frame moves to the next part.
 */
export function splitAtBoundary(
  samples: readonly PendingSample[],
  audio: AudioEnd,
  boundary: Pick<Boundary, 'start' | 'end'>,
  clockRate: number,
  limit: number,
): { late: number; count: number } {
  const half = audio.cadence / 2;
  const end = boundary.end * clockRate;
  const floor = Math.max(audio.lastEnd - half, boundary.start * clockRate - audio.cadence - half);
  let late = 0;
  while (late < samples.length && (samples[late] as PendingSample).dts < floor) late++;
  let count = 0;
  while (late + count < samples.length && (samples[late + count] as PendingSample).dts + half < end) count++;
  const first = samples[late];
  // Measured from where the part will start: continueAudio may move its first frame back by up to
  // half a frame, to the end of the audio before.
  const start = first === undefined ? 0 : continuedDts(audio, first.dts);
  while (count > 1 && (samples[late + count - 1] as PendingSample).dts + audio.cadence - start > limit) count--;
  return { late, count };
}

/**
 * Audio continues exactly where the published audio ended when the next frame is within half a
 * frame of it (timestamp jitter would otherwise leave gaps or overlaps of a few ticks); frames
 * that then fall on or before their predecessor are dropped, so decode times always increase.
 */
export function continueAudio(audio: AudioEnd, samples: PendingSample[]): PendingSample[] {
  const first = samples[0];
  if (first === undefined || continuedDts(audio, first.dts) === first.dts) return samples;
  first.dts = audio.lastEnd;
  first.pts = audio.lastEnd;
  const kept = [first];
  for (const sample of samples.slice(1)) if (sample.dts > (kept.at(-1) as PendingSample).dts) kept.push(sample);
  return kept;
}

/**
 * Where a part whose first frame is at `dts` starts: the end of the audio before, if within half a
 * frame, bounds included (a frame exactly half a frame early is kept by the floors before it, and
 * must not start inside the audio before).
 */
export function continuedDts(audio: AudioEnd, dts: number): number {
  return audio.lastEnd >= 0 && Math.abs(dts - audio.lastEnd) <= audio.cadence / 2 ? audio.lastEnd : dts;
}

/** Samples per audio frame, in the track's clock: AAC 1024 or 960 (frameLengthFlag), otherwise 20 ms. */
export function audioFrameTicks(track: HlsTrack): number {
  const config = track.config;
  if (config.codec === 'aac') {
    const asc = config.audioSpecificConfig;
    const objectType = (asc[0] ?? 0) >> 3;
    // GASpecificConfig frameLengthFlag (ISO/IEC 14496-3 §4.4.1), right after the channel configuration.
    const shortFrames = objectType >= 1 && objectType <= 4 && asc.length >= 2 && ((asc[1] as number) & 0x04) !== 0;
    return shortFrames ? 960 : 1024;
  }
  return Math.round(track.clockRate / 50);
}

/** A FLAC frame's duration in the track's clock, from the block size in its header. */
export function flacFrameTicks(track: HlsTrack, data: Uint8Array): number | undefined {
  const samples = flacFrameBlockSize(data);
  if (samples === undefined || track.config.codec !== 'flac') return undefined;
  return Math.round((samples * track.clockRate) / track.config.sampleRate);
}
