/**
 * The numbers of an LL-HLS stream that are fixed for its whole life, as
 * rfc8216bis requires (§6.2.1: TARGETDURATION must not change; §6.2.4:
 * SERVER-CONTROL identical across reloads and renditions; Apple CoreMedia stops
 * for good on a PART-HOLD-BACK change, mediamtx#6237). They are computed once,
 * from the configuration and the first measurements, before the first playlist
 * is served, and never re-derived from what is observed later.
 */
export interface StreamTiming {
  /** EXT-X-TARGETDURATION, whole seconds. */
  targetDuration: number;
  /** EXT-X-PART-INF:PART-TARGET, seconds (whole milliseconds). */
  partTarget: number;
  /** PART-HOLD-BACK = 3 x PART-TARGET (Apple's MUST; the spec's SHOULD). */
  partHoldBack: number;
  /** HOLD-BACK = 3 x TD (the spec's minimum and default). */
  holdBack: number;
  /** CAN-SKIP-UNTIL = 6 x TD (the spec's minimum). */
  canSkipUntil: number;
  /** Nominal video part: a whole number of frames, seconds. */
  videoPart: number;
  /** Frames per video part. */
  framesPerPart: number;
}

export interface TimingInputs {
  /** Configured segment duration, seconds. */
  segmentDuration: number;
  /** Configured part duration, seconds. */
  partDuration: number;
  /** Duration between the first two keyframes, seconds (undefined for audio-only streams). */
  firstGop?: number;
  /** Video frame duration, seconds (undefined for audio-only streams). */
  videoFrame?: number;
  /** Audio frame duration, seconds (1024/48000 for 48 kHz AAC; undefined without audio). */
  audioFrame?: number;
  /**
   * Numbers to reach at least: another variant's, which the renditions of one multivariant
   * playlist must share (TARGETDURATION and SERVER-CONTROL, rfc8216bis §6.2.4).
   */
  floor?: { targetDuration: number; partTarget: number };
}

/**
 * 2% headroom over the longest nominal part: absorbs camera timestamp jitter
 * while keeping every nominal part above the 85% floor (§4.4.4.9).
 */
const PART_TARGET_HEADROOM = 1.02;

/**
 * Derives the fixed numbers.
 * - TD = ceil(max(configured segment duration, first measured GOP)).
 * - Video parts are a whole number of frames close to the configured part
 *   duration. Audio parts end at the audio frame boundary nearest each video
 *   part boundary, so they hold floor or ceil(videoPart / audioFrame) frames:
 *   PART-TARGET covers the longest of these, and the shortest stays above 85%
 *   of it (200 ms video parts with 48 kHz AAC: parts of 192-213 ms, target 218 ms).
 */
export function computeStreamTiming(inputs: TimingInputs): StreamTiming {
  const { segmentDuration, partDuration, firstGop, videoFrame, audioFrame } = inputs;
  const targetDuration = Math.max(
    1,
    Math.ceil(Math.max(segmentDuration, firstGop ?? 0) - 1e-9),
    inputs.floor?.targetDuration ?? 0,
  );
  let framesPerPart: number;
  let videoPart: number;
  let longest: number;
  if (videoFrame !== undefined && videoFrame > 0) {
    framesPerPart = Math.max(1, Math.round(partDuration / videoFrame));
    videoPart = framesPerPart * videoFrame;
    longest =
      audioFrame === undefined ? videoPart : Math.max(videoPart, Math.ceil(videoPart / audioFrame - 1e-9) * audioFrame);
  } else {
    const frame = audioFrame ?? partDuration;
    framesPerPart = Math.max(1, Math.round(partDuration / frame));
    videoPart = framesPerPart * frame;
    longest = videoPart;
  }
  const partTarget = Math.max(Math.ceil(longest * PART_TARGET_HEADROOM * 1000) / 1000, inputs.floor?.partTarget ?? 0);
  return {
    targetDuration,
    partTarget,
    partHoldBack: roundMs(3 * partTarget),
    holdBack: 3 * targetDuration,
    canSkipUntil: 6 * targetDuration,
    videoPart,
    framesPerPart,
  };
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** §6.2.5.2 Advance Part Limit: how far past the last part a blocking request may ask. */
export function advancePartLimit(partTarget: number): number {
  return partTarget < 1 ? Math.floor(3 / partTarget) : 3;
}
