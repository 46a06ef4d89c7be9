/**
 * A camera's frames as recorded segments (issue 15): one muxed CMAF fragment per segment (a moof
 * with a video traf and an audio traf, one mdat), cut at keyframes about every
 * RECORDED_SEGMENT_SECONDS, with a two-track init segment. Muxed, so that one segment is one index
 * row, one byte range of a VOD playlist and one chunk pair of an MP4 export.
 *
 * It shares the live stream's timing rules (output timeline, PDT, audio cadence) but not its
 * parts: a recording is read later, so it can wait for late audio instead of publishing a GAP.
 * It knows nothing of files: segments go to `onSegment`.
 */
import { writeFragment, writeInitSegment, type FragmentTrack, type InitTrack } from '@camgate/fmp4';
import { HlsError, HlsErrorCode } from '../errors.js';
import { audioFrameTicks, audioReached, flacFrameTicks } from '../segmenter/audio-alignment.js';
import { isValidFrame, OutputTimeline, type TimelineTrack } from '../segmenter/output-timeline.js';
import { MAX_PART_BYTES } from '../segmenter/part-cutting.js';
import { ProgramDateTime } from '../segmenter/program-date-time.js';
import { StagedSamples, toSamples, type PendingSample } from '../segmenter/staged-samples.js';
import { sameConfig } from '../segmenter/track-state.js';
import type { FrameSink, HlsFrame, HlsTrack, RenditionName } from '../types.js';

/** 6 s: Apple's VOD segment length (HLS authoring spec 7.5); a month of one camera is ~430,000 rows. */
export const RECORDED_SEGMENT_SECONDS = 6;
/**
 * 30 s: a GOP longer than this (a camera's "smart codec" at night goes to 10-20 s) is cut without
 * a keyframe, so a segment's memory and the index's MAX_SEGMENT_MS (60 s) stay bounded.
 */
export const MAX_RECORDED_SEGMENT_SECONDS = 30;
/** 64 MiB: a segment's media is cut short of this (30 s at 16 Mbit/s is 60 MB): bounds the memory per camera. */
export const MAX_RECORDED_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * 2 s: how long a cut waits for the audio of its segment (RTP audio often arrives in packets of
 * several frames, behind the video of the same instant). Audio later than that goes into the next
 * segment's audio.
 */
export const AUDIO_WAIT_SECONDS = 2;
/** 30 s of audio waiting for a video cut (video stalled, audio flowing): older audio is dropped. */
export const MAX_PENDING_AUDIO_SECONDS = 30;

/** track_ID of the video and audio tracks in recorded init segments and fragments. */
export const RECORDED_TRACK_IDS: Readonly<Record<RenditionName, number>> = { video: 1, audio: 2 };

/** One recorded segment, ready to be stored. */
export interface RecordedMedia {
  /** The init segment it plays with: the same object as long as the configuration holds. */
  init: Uint8Array;
  /** One CMAF fragment (moof + mdat), the receiver's to keep. */
  fragment: Uint8Array;
  /** PROGRAM-DATE-TIME of its first frame, ms since the epoch. */
  startMs: number;
  durationMs: number;
  /** Counts connections and configurations, from 0: segments of one epoch follow each other without a discontinuity. */
  epoch: number;
  /** Starts with a keyframe (false only after a cut of a GOP longer than MAX_RECORDED_SEGMENT_SECONDS). */
  independent: boolean;
}

export interface RecordingSegmenterOptions {
  /** Where segments go (synchronously, in order). */
  onSegment: (media: RecordedMedia) => void;
  /** Target segment length, s (RECORDED_SEGMENT_SECONDS). */
  segmentSeconds?: number;
}

export interface RecordingSegmenterStats {
  segments: number;
  /** Cuts without a keyframe (GOP or size over the limits). */
  forcedCuts: number;
  /** Frames not recorded: before the first keyframe of a connection, invalid, or of no track. */
  droppedFrames: number;
  /** Audio frames dropped while video did not come (MAX_PENDING_AUDIO_SECONDS). */
  droppedAudio: number;
}

/** A track of the recording: its configuration, timeline and the frames of the open segment. */
class RecordedTrack extends StagedSamples implements TimelineTrack {
  track: HlsTrack;
  offset = 0;
  rebase: 'epoch' | 'continue' | undefined = 'epoch';
  lastInputDts: number | undefined;
  /** End of the last recorded sample, output ticks (-1 before any). */
  lastEnd = -1;
  /** Video: the latest frame interval. Audio: the codec's frame duration. Ticks. */
  cadence = 0;
  bytes = 0;

  constructor(track: HlsTrack) {
    super();
    this.track = track;
    if (track.kind === 'audio') this.cadence = audioFrameTicks(track);
  }

  get clockRate(): number {
    return this.track.clockRate;
  }

  get end(): number {
    const last = this.samples.at(-1);
    return last === undefined ? this.lastEnd : last.dts + this.cadence;
  }

  add(dts: number, pts: number, frame: HlsFrame): void {
    // Every audio frame is a sync sample.
    const keyframe = frame.keyframe || this.track.kind === 'audio';
    this.samples.push({ dts, pts, keyframe, wallclock: frame.wallclock, data: this.stage(frame.data) });
    this.bytes += frame.data.length;
  }

  /** Removes the first `count` samples (recorded), the next one's start becoming the recorded end. */
  take(count: number, end: number): PendingSample[] {
    const taken = this.samples.slice(0, count);
    this.samples = this.samples.slice(count);
    for (const sample of taken) this.bytes -= sample.data.length;
    if (taken.length > 0) this.lastEnd = end;
    return taken;
  }
}

/** A cut decided at a video frame: the frames before it (count) form the segment once its audio is in. */
interface PendingCut {
  count: number;
  /** Output ticks (video clock) where the segment ends. */
  end: number;
}

/**
 * Turns a camera's frames into recorded segments. A FrameSink: the gateway adds it beside the live
 * stream. Frames before a connection's first keyframe are dropped (they cannot be decoded).
 */
export class RecordingSegmenter implements FrameSink {
  readonly stats: RecordingSegmenterStats = { segments: 0, forcedCuts: 0, droppedFrames: 0, droppedAudio: 0 };
  readonly #onSegment: (media: RecordedMedia) => void;
  readonly #segmentSeconds: number;
  readonly #timeline = new OutputTimeline({ wallclockStart: true });
  readonly #pdt = new ProgramDateTime();
  #video: RecordedTrack | undefined;
  #audio: RecordedTrack | undefined;
  #init: Uint8Array | undefined;
  #epoch = 0;
  /** The next segment is the first of its epoch (re-anchors PDT). */
  #epochStart = true;
  /** Video is dropped until a keyframe: at the start and after each discontinuity. */
  #needsKeyframe = true;
  #cut: PendingCut | undefined;
  #sequence = 0;

  constructor(options: RecordingSegmenterOptions) {
    this.#onSegment = options.onSegment;
    this.#segmentSeconds = options.segmentSeconds ?? RECORDED_SEGMENT_SECONDS;
  }

  /** The epoch of the next segment (counts from 0). */
  get epoch(): number {
    return this.#epoch;
  }

  setTrack(track: HlsTrack): void {
    const existing = track.kind === 'video' ? this.#video : this.#audio;
    if (existing !== undefined) {
      if (existing.track.clockRate !== track.clockRate) {
        throw new HlsError(HlsErrorCode.INVALID_TRACK, `the ${track.kind} track cannot change its clock rate`);
      }
      if (sameConfig(existing.track.config, track.config)) {
        existing.track = track;
        return;
      }
    }
    // A new configuration or a new track: what is recorded so far goes with the old init segment,
    // and the next segment starts a new epoch with the new one.
    this.#flush();
    if (existing !== undefined) {
      existing.track = track;
      if (track.kind === 'audio') existing.cadence = audioFrameTicks(track);
    } else if (track.kind === 'video') this.#video = new RecordedTrack(track);
    else this.#audio = new RecordedTrack(track);
    this.#init = undefined;
    this.#newEpoch();
  }

  markDiscontinuity(): void {
    this.#flush();
    this.#newEpoch();
  }

  /** Records what is pending (the camera stops recording). */
  end(): void {
    this.#flush();
    this.#newEpoch();
  }

  push(frame: HlsFrame): void {
    const state = frame.kind === 'video' ? this.#video : this.#audio;
    if (state === undefined || !isValidFrame(frame, MAX_PART_BYTES)) {
      this.stats.droppedFrames++;
      return;
    }
    // A timestamp jump within a connection: the track continues where it ended (output-timeline.ts).
    if (frame.discontinuity && state.rebase === undefined) state.rebase = 'continue';
    if (frame.kind === 'video') this.#pushVideo(state, frame);
    else this.#pushAudio(state, frame);
  }

  #pushVideo(v: RecordedTrack, frame: HlsFrame): void {
    if (this.#needsKeyframe) {
      if (!frame.keyframe) {
        this.stats.droppedFrames++;
        return;
      }
      this.#needsKeyframe = false;
    }
    const actual = this.#timeline.place(v, frame, this.#video, this.#audio);
    const previous = v.samples.at(-1);
    // Output decode times only go forward (a camera's clock stepping back without a discontinuity).
    const floor = previous !== undefined ? previous.dts + 1 : v.lastEnd;
    const dts = Math.max(actual, floor);
    const pts = Math.max(dts, frame.pts + v.offset + (dts - actual));
    if (v.lastInputDts !== undefined) {
      const delta = frame.dts - v.lastInputDts;
      // The frame interval: zero steps and gaps over a second are not cadence.
      if (delta > 0 && delta <= v.clockRate) v.cadence = delta;
    }
    v.lastInputDts = frame.dts;

    const first = v.samples[0];
    if (first !== undefined && this.#cut === undefined) {
      const length = (dts - first.dts) / v.clockRate;
      const frameSeconds = v.cadence / v.clockRate;
      if (frame.keyframe && length >= this.#segmentSeconds - frameSeconds / 2) {
        this.#cut = { count: v.samples.length, end: dts };
      } else if (
        length + frameSeconds >= MAX_RECORDED_SEGMENT_SECONDS ||
        v.bytes + frame.data.length > MAX_RECORDED_SEGMENT_BYTES
      ) {
        this.stats.forcedCuts++;
        this.#cut = { count: v.samples.length, end: dts };
      }
    }
    v.add(dts, pts, frame);
    this.#completeCut(false);
  }

  #pushAudio(a: RecordedTrack, frame: HlsFrame): void {
    const video = this.#video;
    // Audio waits for video's first keyframe of the connection: a segment starts with video.
    if (video !== undefined && this.#needsKeyframe) {
      this.stats.droppedFrames++;
      return;
    }
    if (a.track.config.codec === 'flac') a.cadence = flacFrameTicks(a.track, frame.data) ?? a.cadence;
    const actual = this.#timeline.place(a, frame, video, a);
    const previous = a.samples.at(-1);
    const floor = previous !== undefined ? previous.dts + 1 : a.lastEnd;
    // Continuous audio: a frame within half a frame of where the recorded audio ended starts there.
    const dts =
      previous === undefined && a.lastEnd >= 0 && Math.abs(actual - a.lastEnd) <= a.cadence / 2
        ? a.lastEnd
        : Math.max(actual, floor);
    if (video === undefined) {
      const first = a.samples[0];
      if (
        first !== undefined &&
        (dts - first.dts) / a.clockRate >= this.#segmentSeconds - a.cadence / a.clockRate / 2
      ) {
        this.#record(undefined, a.samples.length, dts);
      }
      a.add(dts, dts, frame);
      return;
    }
    const videoStart = video.samples[0];
    // Audio from before the segment's first video frame (the start of a connection) has no place.
    if (videoStart !== undefined && dts + a.cadence <= (videoStart.dts / video.clockRate) * a.clockRate) {
      this.stats.droppedFrames++;
      return;
    }
    a.add(dts, dts, frame);
    // Video stopped coming while audio flows: the oldest audio goes.
    for (let oldest = a.samples[0]; oldest !== undefined; oldest = a.samples[0]) {
      if ((dts - oldest.dts) / a.clockRate <= MAX_PENDING_AUDIO_SECONDS) break;
      a.take(1, a.samples[1]?.dts ?? oldest.dts + a.cadence);
      this.stats.droppedAudio++;
    }
    this.#completeCut(false);
  }

  /**
   * Records the pending cut's segment once its audio is in (or waited for long enough, or `now`):
   * video's frames before the cut, and audio's frames whose middle is before it.
   */
  #completeCut(now: boolean): void {
    const cut = this.#cut;
    const video = this.#video;
    if (cut === undefined || video === undefined) return;
    const audio = this.#audio;
    const audioEnd = audio === undefined ? 0 : (cut.end / video.clockRate) * audio.clockRate;
    if (!now && audio !== undefined && !audioReached(audio.samples.at(-1), audio.cadence, audioEnd)) {
      const latest = video.samples.at(-1) as PendingSample;
      if ((latest.dts - cut.end) / video.clockRate < AUDIO_WAIT_SECONDS) return;
    }
    this.#cut = undefined;
    let audioCount = 0;
    if (audio !== undefined) {
      const half = audio.cadence / 2;
      while (audioCount < audio.samples.length && (audio.samples[audioCount] as PendingSample).dts + half < audioEnd) {
        audioCount++;
      }
    }
    this.#record(cut, audioCount, 0);
  }

  /**
   * Writes one segment: video's first `cut.count` samples (ending at `cut.end`), audio's first
   * `audioCount` (the last ending where the next begins, or after its cadence; `audioOnlyEnd` for
   * audio-only streams).
   */
  #record(cut: PendingCut | undefined, audioCount: number, audioOnlyEnd: number): void {
    const video = this.#video;
    const audio = this.#audio;
    const init = this.#init ?? this.#makeInit();
    const tracks: FragmentTrack[] = [];
    let start: PendingSample | undefined;
    let startSeconds = 0;
    let durationSeconds = 0;
    if (video !== undefined && cut !== undefined && cut.count > 0) {
      const samples = video.take(cut.count, cut.end);
      const first = samples[0] as PendingSample;
      start = first;
      startSeconds = first.dts / video.clockRate;
      durationSeconds = (cut.end - first.dts) / video.clockRate;
      tracks.push({
        id: RECORDED_TRACK_IDS.video,
        baseMediaDecodeTime: first.dts,
        samples: toSamples(samples, cut.end),
      });
    }
    if (audio !== undefined && audioCount > 0) {
      const next = audio.samples[audioCount];
      const last = audio.samples[audioCount - 1] as PendingSample;
      const end = video === undefined ? audioOnlyEnd : (next?.dts ?? last.dts + audio.cadence);
      const samples = audio.take(audioCount, end);
      const first = samples[0] as PendingSample;
      if (start === undefined) {
        start = first;
        startSeconds = first.dts / audio.clockRate;
        durationSeconds = (end - first.dts) / audio.clockRate;
      }
      tracks.push({ id: RECORDED_TRACK_IDS.audio, baseMediaDecodeTime: first.dts, samples: toSamples(samples, end) });
    }
    if (start === undefined || init === undefined) return;
    this.#sequence = (this.#sequence % 0xffffffff) + 1;
    const fragment = writeFragment(this.#sequence, tracks);
    const startMs = this.#pdt.segment(start.wallclock, startSeconds, this.#epochStart);
    this.#epochStart = false;
    this.stats.segments++;
    this.#onSegment({
      init,
      fragment,
      startMs,
      durationMs: Math.round(durationSeconds * 1000),
      epoch: this.#epoch,
      // A segment after a forced cut starts mid-GOP.
      independent: start.keyframe,
    });
  }

  /** Records everything pending: the cut waiting for audio, then the open segment. */
  #flush(): void {
    this.#completeCut(true);
    const video = this.#video;
    const audio = this.#audio;
    if (video !== undefined && video.samples.length > 0) {
      const last = video.samples.at(-1) as PendingSample;
      const end = last.dts + Math.max(video.cadence, 1);
      this.#record({ count: video.samples.length, end }, audio?.samples.length ?? 0, 0);
    } else if (audio !== undefined && audio.samples.length > 0) {
      const last = audio.samples.at(-1) as PendingSample;
      if (video === undefined) this.#record(undefined, audio.samples.length, last.dts + audio.cadence);
      else this.stats.droppedAudio += audio.take(audio.samples.length, last.dts + audio.cadence).length;
    }
  }

  #newEpoch(): void {
    // An epoch in which nothing was recorded is not counted.
    if (!this.#epochStart) this.#epoch++;
    this.#epochStart = true;
    this.#needsKeyframe = this.#video !== undefined;
    this.#timeline.newEpoch(this.#video, this.#audio);
  }

  #makeInit(): Uint8Array | undefined {
    const tracks: InitTrack[] = [];
    for (const state of [this.#video, this.#audio]) {
      if (state === undefined) continue;
      const { kind, clockRate, config } = state.track;
      tracks.push({ id: RECORDED_TRACK_IDS[kind], timescale: clockRate, config });
    }
    this.#init = tracks.length === 0 ? undefined : writeInitSegment(tracks);
    return this.#init;
  }
}
