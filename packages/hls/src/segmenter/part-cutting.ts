/**
 * Where the segmenter cuts: the rules for closing a video part and a segment, as pure functions of
 * times on the output timeline, so that every packager of frames (live LL-HLS, recording) cuts
 * alike. rfc8216bis §4.4.3.1 (EXT-X-TARGETDURATION), §4.4.4.9 (EXT-X-PART), Apple's HLS authoring
 * specification §7.
 */
import type { StreamTiming } from '../timing/stream-timing.js';

/** 1000 samples or 32 MiB per part: far beyond a real part (5-10 frames); bounds a runaway stream. */
export const MAX_PART_SAMPLES = 1000;
export const MAX_PART_BYTES = 32 * 1024 * 1024;
/** §4.4.4.9: every part but the last of a segment (and INDEPENDENT or GAP ones) lasts >= 85% of PART-TARGET. */
export const MIN_PART_SHARE = 0.85;
/** Apple authoring 7.7, rfc8216bis §4.4.3.1: a segment never reaches TD + 0.5 s (round(EXTINF) <= TD). */
export const SEGMENT_OVERSHOOT = 0.5;
/** Seconds compared after float arithmetic on tick counts. */
export const EPSILON = 1e-9;

/** PART-TARGET in whole ticks of a clock (rounded down: a part of this many ticks is never over it). */
export function partTargetTicks(timing: StreamTiming, clockRate: number): number {
  return Math.floor(timing.partTarget * clockRate);
}

/** What decides a cut at a keyframe, in seconds. */
export interface KeyframeCut {
  /** Length of the open segment up to the keyframe. */
  length: number;
  /** The configured segment duration. */
  segmentDuration: number;
  /** The video frame interval. */
  frame: number;
  /** The nominal video part (StreamTiming.videoPart). */
  videoPart: number;
  /** The last GOP measured (undefined before two keyframes). */
  lastGop: number | undefined;
  /** EXT-X-TARGETDURATION. */
  targetDuration: number;
}

/** A keyframe cuts when the segment reached the configured duration, or when one more GOP would not fit TD. */
export function cutsAtKeyframe(cut: KeyframeCut): boolean {
  const { length, segmentDuration, frame, videoPart, lastGop, targetDuration } = cut;
  if (length >= segmentDuration - frame / 2 - EPSILON) return true;
  // Not before a part's worth: a segment cut after a frame or two would not make room for the
  // next GOP anyway (it was measured long: a timestamp jump, a repeated keyframe) and its PDT
  // would all but equal the next segment's.
  if (length < videoPart - EPSILON) return false;
  return length + (lastGop ?? length) > targetDuration + EPSILON;
}

/**
 * A GOP longer than TD allows: the segment is cut before a frame (keyframe or not) that would take
 * it to TD + 0.5 s (`length` up to the frame, `frame` its interval, seconds). TD never changes.
 */
export function mustForceCut(length: number, frame: number, targetDuration: number): boolean {
  return length + frame >= targetDuration + SEGMENT_OVERSHOOT - EPSILON;
}

/**
 * The open part closes before the next frame: it would start at or past PART-TARGET (`offset`
 * ticks after the part's first frame: a late frame, lost frames, a stall), or the part is full
 * (`partSamples` frames of `partBytes`, and the next of `frameBytes`).
 */
export function closesBeforeFrame(
  offset: number,
  timing: StreamTiming,
  clockRate: number,
  partSamples: number,
  partBytes: number,
  frameBytes: number,
): boolean {
  const full = partSamples >= MAX_PART_SAMPLES || partBytes + frameBytes > MAX_PART_BYTES;
  return offset >= partTargetTicks(timing, clockRate) || full;
}

/**
 * The part that starts at `partStart` has its frames once its latest, at `dts`, is in and the
 * next one, one nominal interval away, would not fit its nominal length (the nominal interval,
 * not the last one measured: jitter must not shorten parts). Returns where the part then ends
 * (ticks: one nominal interval after `dts`), or undefined while it takes more frames. Nominal
 * length give or take half a frame, and never under 85% of PART-TARGET (§4.4.4.9).
 */
export function completePartEnd(
  dts: number,
  partStart: number,
  timing: StreamTiming,
  clockRate: number,
): number | undefined {
  const interval = Math.round((timing.videoPart / timing.framesPerPart) * clockRate);
  const length = (dts + interval - partStart) / clockRate;
  const enough = Math.max(timing.videoPart - interval / clockRate / 2, MIN_PART_SHARE * timing.partTarget + 0.001);
  return length >= enough - EPSILON ? dts + interval : undefined;
}

/**
 * The end of a closing part whose frames span `first`..`last` (ticks): never past PART-TARGET (a
 * last frame followed by a stall lasts only up to it: a gap follows), never before its last frame.
 */
export function clampPartEnd(
  end: number,
  first: number,
  last: number,
  timing: StreamTiming | undefined,
  clockRate: number,
): number {
  const capped = timing === undefined ? end : Math.min(end, first + partTargetTicks(timing, clockRate));
  return Math.max(capped, last + 1);
}

/** Parts per segment of an audio-only stream, which cuts by count. */
export function audioOnlyPartsPerSegment(segmentDuration: number, timing: StreamTiming): number {
  return Math.max(1, Math.round(segmentDuration / timing.videoPart));
}
