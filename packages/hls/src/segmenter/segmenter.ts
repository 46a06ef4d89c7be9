import { codecStringOf, writeInitSegment } from '@camgate/fmp4';
import type { StreamPosition } from '../continuation.js';
import { HlsError, HlsErrorCode } from '../errors.js';
import type { Rendition, Segment } from '../store/rendition.js';
import { computeStreamTiming, type StreamTiming } from '../timing/stream-timing.js';
import type { HlsFrame, HlsTrack } from '../types.js';
import {
  audioFrameTicks,
  audioReached,
  continueAudio,
  flacFrameTicks,
  MAX_PENDING_BOUNDARIES,
  splitAtBoundary,
  type Boundary,
} from './audio-alignment.js';
import { isValidFrame, OutputTimeline } from './output-timeline.js';
import {
  audioOnlyPartsPerSegment,
  clampPartEnd,
  closesBeforeFrame,
  completePartEnd,
  cutsAtKeyframe,
  MAX_PART_BYTES,
  mustForceCut,
  partTargetTicks,
} from './part-cutting.js';
import { ProgramDateTime } from './program-date-time.js';
import { toSamples, type PendingSample } from './staged-samples.js';
import { sameConfig, TrackState } from './track-state.js';

export interface SegmenterOptions {
  /** Nominal part duration, seconds. */
  partDuration: number;
  /** Configured segment duration, seconds. */
  segmentDuration: number;
  /** Complete segments kept listed. */
  segmentCount: number;
  /** First media sequence number. */
  startMsn: number;
  /**
   * Set when the stream continues another (a hand-over): the Discontinuity Sequence Number of that
   * stream's last segment. The first segment then follows an EXT-X-DISCONTINUITY (its DSN is one
   * more), since the output timelines start anew.
   */
  continuesDiscontinuity?: number;
  /** Output times are input times: no re-basing (a variant fed with another stream's output times). */
  inputTimeline?: boolean;
  /** TARGETDURATION and PART-TARGET at least these (another variant's: see TimingInputs.floor). */
  timingFloor?: { targetDuration: number; partTarget: number };
  /** Monotonic clock, ms. */
  now: () => number;
  /** Called after anything was published (parts, segments, timing). */
  onChange: () => void;
}

export interface SegmenterStats {
  parts: number;
  segments: number;
  /** Segments cut without a keyframe because the GOP outgrew the target duration. */
  forcedCuts: number;
  /** EXT-X-DISCONTINUITY tags added (reconnects, configuration changes); not the one that starts a continued stream. */
  discontinuities: number;
  /** Frames dropped: before the first keyframe, for a track not set up, going back in time, or invalid. */
  droppedFrames: number;
  /** Of those, frames that were not valid input (timestamps not integers, pts < dts, no data or too much). */
  invalidFrames: number;
  /** Parts closed before their nominal length because the next frame would exceed PART-TARGET. */
  shortParts: number;
  /** Audio parts published as GAP (no audio arrived for that time). */
  gapParts: number;
}

/**
 * Cuts frames into LL-HLS parts and segments: one CMAF rendition per track.
 *
 * - Video drives the part clock. A part is a whole number of frames and closes
 *   as soon as its last frame is in (the next one is expected one frame
 *   interval later), so packaging adds no frame of latency; it always closes
 *   before a frame that would take it past PART-TARGET.
 * - A segment starts at a keyframe. A keyframe cuts when the segment reached
 *   the configured duration, or when one more GOP would not fit TD. A GOP
 *   longer than TD allows is cut without a keyframe just before TD + 0.5 s and
 *   counted in `forcedCuts`: TD never changes.
 * - Audio parts take the frames whose midpoint lies before each video part's
 *   end, so audio has the same MSNs and part indices; a stretch without audio
 *   becomes GAP parts.
 * - Output timelines start at 10 s and never go back: after a discontinuity
 *   (camera reconnect, configuration change) they resume where they were, the
 *   segment is flagged EXT-X-DISCONTINUITY, and a changed configuration gets a
 *   new init segment under a new MAP URI.
 */
export class Segmenter {
  readonly stats: SegmenterStats = {
    parts: 0,
    segments: 0,
    forcedCuts: 0,
    discontinuities: 0,
    droppedFrames: 0,
    invalidFrames: 0,
    shortParts: 0,
    gapParts: 0,
  };
  /** The fixed numbers, once the first GOP was measured. */
  timing: StreamTiming | undefined;
  readonly #pdt = new ProgramDateTime();
  readonly #options: SegmenterOptions;
  #video: TrackState | undefined;
  #audio: TrackState | undefined;
  /** Part numbers, known from the second video frame (or at once for audio-only streams). */
  #partTiming: StreamTiming | undefined;
  /** The video frame duration the timing is computed with, seconds. */
  #videoFrame: number | undefined;
  #nextMsn: number;
  #started = false;
  #ended = false;
  readonly #timeline: OutputTimeline;
  /** The next segment follows a discontinuity (from the start in a continued stream). */
  #discontinuityPending: boolean;
  /** Discontinuity Sequence Number of the latest segment (MSN #nextMsn - 1). */
  #discontinuity: number;
  #firstGop: number | undefined;
  #lastGop: number | undefined;
  #lastKeyframe: number | undefined;
  #segmentStart = 0;
  #partStart = 0;
  #nextSegmentForced = false;
  /** Output time, seconds, before which audio is dropped (the start of the video). */
  #audioFloor = 0;
  /** After a reconnect, video frames are dropped until a keyframe. */
  #videoNeedsKeyframe = false;
  readonly #boundaries: Boundary[] = [];

  constructor(options: SegmenterOptions) {
    this.#options = options;
    this.#timeline = new OutputTimeline({ inputTimeline: options.inputTimeline === true });
    this.#nextMsn = options.startMsn;
    this.#discontinuityPending = options.continuesDiscontinuity !== undefined;
    this.#discontinuity = options.continuesDiscontinuity ?? 0;
  }

  /**
   * MSN and Discontinuity Sequence Number of the latest segment (the open one, whose parts may
   * have been served; never going back). Before the first segment of a continued stream: the
   * position just before its first MSN, with the continued stream's DSN, so that a stream
   * continuing this one still starts beyond every name this one may publish. Undefined before the
   * first segment otherwise.
   */
  get position(): StreamPosition | undefined {
    if (this.#nextMsn === this.#options.startMsn && this.#options.continuesDiscontinuity === undefined)
      return undefined;
    return { msn: this.#nextMsn - 1, discontinuity: this.#discontinuity };
  }

  /** The output time of a video input time in the current epoch (see HlsStream.videoOutputTime). */
  videoOutputTime(dts: number): number | undefined {
    const v = this.#video;
    if (v === undefined || !this.#started || v.rebase !== undefined || this.#timeline.epochPending) return undefined;
    return dts + v.offset;
  }

  get video(): Rendition | undefined {
    return this.#video?.rendition;
  }

  get audio(): Rendition | undefined {
    return this.#audio?.rendition;
  }

  /** Video parts whose audio part is not published yet (0 without audio). */
  get audioPartsOwed(): number {
    return this.#audio === undefined ? 0 : this.#boundaries.length;
  }

  get renditions(): Rendition[] {
    return [this.#video?.rendition, this.#audio?.rendition].filter((r) => r !== undefined);
  }

  get tracks(): { video?: HlsTrack; audio?: HlsTrack } {
    return {
      ...(this.#video === undefined ? {} : { video: this.#video.track }),
      ...(this.#audio === undefined ? {} : { audio: this.#audio.track }),
    };
  }

  /** RFC 6381 codec strings of the current configurations, video first. */
  get codecs(): string[] {
    return [this.#video, this.#audio].filter((s) => s !== undefined).map((s) => codecStringOf(s.track.config));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Sets a track before the first frames, or replaces its codec configuration
   * later (in-band parameter-set change): the next segment then follows a
   * discontinuity and has a new init segment under a new MAP URI.
   */
  setTrack(track: HlsTrack): void {
    const existing = track.kind === 'video' ? this.#video : this.#audio;
    if (existing === undefined) {
      if (this.#started)
        throw new HlsError(HlsErrorCode.INVALID_TRACK, `cannot add a ${track.kind} track to a running stream`);
      const state = new TrackState(
        track.kind,
        track,
        this.#options.startMsn,
        this.#options.continuesDiscontinuity ?? 0,
        this.#options.now,
      );
      if (track.kind === 'audio') state.cadence = audioFrameTicks(track);
      if (track.kind === 'video') this.#video = state;
      else this.#audio = state;
      return;
    }
    if (existing.track.kind !== track.kind || existing.track.clockRate !== track.clockRate) {
      throw new HlsError(HlsErrorCode.INVALID_TRACK, `the ${track.kind} track cannot change its clock rate`);
    }
    const changed = !sameConfig(existing.track.config, track.config);
    existing.track = track;
    if (track.kind === 'audio') existing.cadence = audioFrameTicks(track);
    // The same configuration again (a camera reconnecting) keeps its init segment and MAP.
    if (changed && existing.initUri !== undefined) {
      existing.configChanged = true;
      this.markDiscontinuity();
    }
  }

  /** The following frames start a new epoch (camera reconnect): the segment is cut and flagged EXT-X-DISCONTINUITY. */
  markDiscontinuity(): void {
    if (!this.#started) return;
    this.#timeline.newEpoch(this.#video, this.#audio);
    this.#discontinuityPending = true;
    // The new epoch's first segment starts with a keyframe: frames before it cannot be decoded.
    this.#videoNeedsKeyframe = this.#video !== undefined;
    // The segment ends with what is in: close video's open part and segment now.
    const video = this.#video;
    if (video !== undefined) this.#closeSegment(video, video.end, false);
    else if (this.#audio !== undefined) this.#closeAudioOnlySegment(this.#audio);
  }

  push(frame: HlsFrame): void {
    if (this.#ended) return;
    const state = frame.kind === 'video' ? this.#video : this.#audio;
    if (state === undefined) {
      this.stats.droppedFrames++;
      return;
    }
    if (!isValidFrame(frame, MAX_PART_BYTES)) {
      this.stats.invalidFrames++;
      this.stats.droppedFrames++;
      return;
    }
    // A timestamp jump within a session (the RTSP client re-based the track: RTP timestamp jump,
    // SSRC change, transport switch) is the same encoded stream: the track's timeline continues
    // where it ended, without a cut or EXT-X-DISCONTINUITY (a cut would start a segment without a
    // keyframe). New sessions and new codec configurations come through markDiscontinuity().
    if (frame.discontinuity && state.rebase === undefined) state.rebase = 'continue';
    // FLAC frames (camera PCM, one per packet) last as long as their block: the camera's packet
    // time, with or without video (part timing and sample durations follow it).
    if (state.track.config.codec === 'flac') state.cadence = flacFrameTicks(state.track, frame.data) ?? state.cadence;
    if (frame.kind === 'video') this.#pushVideo(state, frame);
    else if (this.#video === undefined) this.#pushAudioOnly(state, frame);
    else this.#pushAudio(state, frame);
  }

  /** The stream is over: what is pending is published and playlists end (EXT-X-ENDLIST). */
  end(): void {
    if (this.#ended) return;
    if (this.#video !== undefined) this.#closeSegment(this.#video, this.#video.end, false);
    else if (this.#audio !== undefined) this.#closeAudioOnlySegment(this.#audio);
    this.#drainAudio(true);
    this.#ended = true;
    for (const rendition of this.renditions) {
      rendition.completeSegment();
      rendition.ended = true;
      rendition.version++;
    }
    this.#options.onChange();
  }

  /** Maps a frame's input time to the output timeline (output-timeline.ts). */
  #place(state: TrackState, frame: HlsFrame): number {
    return this.#timeline.place(state, frame, this.#video, this.#audio);
  }

  // ------------------------------------------------------------------ video

  #pushVideo(v: TrackState, frame: HlsFrame): void {
    if (!this.#started || this.#videoNeedsKeyframe) {
      if (!frame.keyframe) {
        this.stats.droppedFrames++;
        return;
      }
      this.#started = true;
      this.#videoNeedsKeyframe = false;
    }
    // `actual` is the frame's time on the output timeline; part and segment lengths are measured on it.
    const actual = this.#place(v, frame);
    const previous = v.samples.at(-1);
    let dts = actual;
    if (previous !== undefined) {
      // Input going back in time without a discontinuity flag: the output stays monotonic.
      if (dts <= previous.dts) dts = previous.dts + 1;
    } else if (v.lastEnd >= 0 && Math.abs(actual - v.lastEnd) < Math.max(v.cadence, 1)) {
      // A part's last sample lasts one frame interval, estimated when it is published. The next
      // part starts exactly where it ended, so the sample timeline has no gaps or overlaps of a
      // few ticks, which stall WebKit (hls.js#9); only this frame moves, by the camera's jitter.
      dts = v.lastEnd;
    } else if (v.lastEnd >= 0 && dts < v.lastEnd) {
      dts = v.lastEnd;
    }
    const pts = Math.max(dts, frame.pts + v.offset + (dts - actual));
    if (v.lastInputDts !== undefined) {
      const delta = frame.dts - v.lastInputDts;
      // The frame interval: zero steps and gaps over a second are not cadence.
      if (delta > 0 && delta <= v.clockRate) v.cadence = delta;
    }
    v.lastInputDts = frame.dts;
    if (frame.keyframe) this.#onKeyframe(v, actual);
    this.#updateTiming();

    const timing = this.timing;
    if (v.rendition.openSegment !== undefined && timing !== undefined) {
      const length = (actual - this.#segmentStart) / v.clockRate;
      if (frame.keyframe && this.#cutsAtKeyframe(length, timing)) {
        this.#closeSegment(v, dts, false);
      } else if (mustForceCut(length, v.cadence / v.clockRate, timing.targetDuration)) {
        // A GOP longer than TD allows: cut here without a keyframe; TD does not change.
        this.stats.forcedCuts++;
        this.#closeSegment(v, dts, true);
      }
    }
    if (v.rendition.openSegment === undefined) this.#openVideoSegment(v, frame, actual);

    const parts = this.#partTiming;
    if (v.samples.length > 0 && parts !== undefined) {
      const start = (v.samples[0] as PendingSample).dts;
      if (closesBeforeFrame(dts - start, parts, v.clockRate, v.samples.length, v.sampleBytes, frame.data.length)) {
        // The frame would start at or past PART-TARGET (a late frame, lost frames, a stall): the
        // part closes before it, its last frame lasting at most up to PART-TARGET.
        this.stats.shortParts++;
        this.#closeVideoPart(v, dts, false);
      }
    }
    // The part starts where its first sample does (moved to the previous part's end when the
    // camera repeated or jittered a timestamp), so its nominal length is measured from there.
    if (v.samples.length === 0) this.#partStart = dts;
    v.samples.push({ dts, pts, keyframe: frame.keyframe, wallclock: frame.wallclock, data: v.stage(frame.data) });
    v.sampleBytes += frame.data.length;

    // The part has its frames once the next one would not fit its nominal length (part-cutting.ts).
    if (parts !== undefined) {
      const end = completePartEnd(dts, this.#partStart, parts, v.clockRate);
      if (end !== undefined) this.#closeVideoPart(v, end, false);
    }
  }

  #onKeyframe(v: TrackState, dts: number): void {
    if (this.#lastKeyframe !== undefined && dts > this.#lastKeyframe) {
      this.#lastGop = (dts - this.#lastKeyframe) / v.clockRate;
      this.#firstGop ??= this.#lastGop;
    }
    this.#lastKeyframe = dts;
  }

  #raiseAudioFloor(seconds: number): void {
    this.#audioFloor = seconds;
    const a = this.#audio;
    if (a === undefined) return;
    const half = a.cadence / 2;
    const before = a.samples.findIndex((sample) => (sample.dts + half) / a.clockRate >= seconds);
    const drop = before < 0 ? a.samples.length : before;
    if (drop > 0) {
      a.samples.splice(0, drop);
      this.stats.droppedFrames += drop;
    }
  }

  /** A keyframe cuts when the segment reached the configured duration, or when one more GOP would not fit TD. */
  #cutsAtKeyframe(length: number, timing: StreamTiming): boolean {
    const video = this.#video as TrackState;
    return cutsAtKeyframe({
      length,
      segmentDuration: this.#options.segmentDuration,
      frame: video.cadence / video.clockRate,
      videoPart: timing.videoPart,
      lastGop: this.#lastGop,
      targetDuration: timing.targetDuration,
    });
  }

  #openVideoSegment(v: TrackState, frame: HlsFrame, dts: number): void {
    const msn = this.#nextMsn++;
    const discontinuity = this.#takeDiscontinuity(v.rendition);
    if (v.initUri === undefined || v.configChanged) this.#writeInit(v, msn);
    v.rendition.startSegment({
      msn,
      discontinuity,
      initUri: v.initUri as string,
      programDateTime: this.#pdt.segment(frame.wallclock, dts / v.clockRate, discontinuity),
      forced: this.#nextSegmentForced,
    });
    this.#nextSegmentForced = false;
    this.#segmentStart = dts;
    // Audio starts with video: at the first segment and after a reconnect, audio from before the
    // keyframe has no picture to go with (and would make the first audio part too long).
    if (v.rendition.segments.length === 1 || discontinuity) this.#raiseAudioFloor(dts / v.clockRate);
  }

  /**
   * Whether the segment being opened in `rendition` (the one that drives segmentation) follows a
   * discontinuity: after a reconnect or a configuration change, and the first of a continued stream.
   */
  #takeDiscontinuity(rendition: Rendition): boolean {
    const first = rendition.segments.length === 0;
    const continued = this.#options.continuesDiscontinuity !== undefined;
    const discontinuity = this.#discontinuityPending && (!first || continued);
    this.#discontinuityPending = false;
    if (discontinuity) this.#discontinuity++;
    if (discontinuity && !first) this.stats.discontinuities++;
    return discontinuity;
  }

  /** Publishes the open video part, ending at `end` (output ticks), and hands its boundary to audio. */
  #closeVideoPart(v: TrackState, end: number, lastOfSegment: boolean): void {
    const segment = v.rendition.openSegment;
    if (v.samples.length === 0 || segment === undefined) return;
    const first = v.samples[0] as PendingSample;
    end = clampPartEnd(end, first.dts, (v.samples.at(-1) as PendingSample).dts, this.#partTiming, v.clockRate);
    const part = v.rendition.addPart(
      (end - first.dts) / v.clockRate,
      v.samples.some((s) => s.keyframe),
      ++v.fragmentSequence,
      [{ id: 1, baseMediaDecodeTime: first.dts, samples: toSamples(v.samples, end) }],
    );
    v.lastEnd = end;
    v.samples = [];
    v.sampleBytes = 0;
    this.stats.parts++;
    this.#boundaries.push({
      msn: segment.msn,
      index: part.index,
      start: first.dts / v.clockRate,
      end: end / v.clockRate,
      lastOfSegment,
      discontinuity: segment.discontinuity,
      programDateTime: segment.programDateTime,
    });
    this.#drainAudio(false);
    this.#options.onChange();
  }

  /** Ends the open video segment at `end` (output ticks); audio ends its segment at the same boundary. */
  #closeSegment(v: TrackState, end: number, forced: boolean): void {
    if (v.rendition.openSegment === undefined) return;
    if (v.samples.length > 0) {
      this.#closeVideoPart(v, end, true);
    } else {
      // The last part was already closed: the boundary audio follows is the segment's last.
      const last = this.#boundaries.at(-1);
      const lastPart = v.rendition.lastPart;
      if (last !== undefined && last.msn === lastPart?.msn && last.index === lastPart.index) last.lastOfSegment = true;
      else this.#completeAudioSegmentAfter(lastPart?.msn, lastPart?.index);
    }
    if (v.rendition.completeSegment() !== undefined) this.stats.segments++;
    this.#nextSegmentForced = forced;
    this.#retain(v.rendition);
    this.#options.onChange();
  }

  // ------------------------------------------------------------------ audio with video

  #pushAudio(a: TrackState, frame: HlsFrame): void {
    if (!this.#started) {
      // Audio before the first video keyframe has nothing to go with.
      this.stats.droppedFrames++;
      return;
    }
    const dts = this.#place(a, frame);
    const half = a.cadence / 2;
    const previous = a.samples.at(-1);
    const behind = (previous !== undefined && dts <= previous.dts) || (a.lastEnd >= 0 && dts + half < a.lastEnd);
    if (behind || (dts + half) / a.clockRate < this.#audioFloor) {
      // Before the video starts, or overlapping what was packaged already.
      this.stats.droppedFrames++;
      return;
    }
    a.samples.push({ dts, pts: dts, keyframe: true, wallclock: frame.wallclock, data: a.stage(frame.data) });
    this.#drainAudio(false);
  }

  /**
   * Publishes audio parts for the video boundaries audio has reached: a part
   * takes the frames whose midpoint lies before the boundary, and can close once
   * the next frame is certainly beyond it. When audio lags too far (or at the
   * end), the remaining boundaries are published as they are, GAP if empty.
   */
  #drainAudio(final: boolean): void {
    const a = this.#audio;
    if (a === undefined) {
      // A stream without audio owes no audio parts: its boundaries would pile up forever.
      this.#boundaries.length = 0;
      return;
    }
    if (this.#video === undefined) return;
    while (this.#boundaries.length > 0) {
      const boundary = this.#boundaries[0] as Boundary;
      const reached = audioReached(a.samples.at(-1), a.cadence, boundary.end * a.clockRate);
      if (!reached && !final && this.#boundaries.length <= MAX_PENDING_BOUNDARIES) return;
      this.#boundaries.shift();
      const limit = this.#partTiming === undefined ? Infinity : partTargetTicks(this.#partTiming, a.clockRate);
      const { late, count } = splitAtBoundary(a.samples, a, boundary, a.clockRate, limit);
      if (late > 0) {
        a.samples.splice(0, late);
        this.stats.droppedFrames += late;
      }
      this.#publishAudioPart(a, boundary, a.samples.splice(0, count));
    }
  }

  #publishAudioPart(a: TrackState, boundary: Boundary, given: PendingSample[]): void {
    const rendition = a.rendition;
    const samples = continueAudio(a, given);
    this.stats.droppedFrames += given.length - samples.length;
    if (rendition.openSegment?.msn !== boundary.msn) {
      rendition.completeSegment();
      if (a.initUri === undefined || a.configChanged) this.#writeInit(a, boundary.msn);
      rendition.startSegment({
        msn: boundary.msn,
        discontinuity: boundary.discontinuity,
        initUri: a.initUri as string,
        programDateTime:
          samples[0] === undefined
            ? boundary.programDateTime
            : this.#pdt.at(samples[0].dts / a.clockRate, samples[0].wallclock),
      });
    }
    if (samples.length > 0) {
      const first = samples[0] as PendingSample;
      const end = (samples.at(-1) as PendingSample).dts + a.cadence;
      rendition.addPart((end - first.dts) / a.clockRate, true, ++a.fragmentSequence, [
        { id: 1, baseMediaDecodeTime: first.dts, samples: toSamples(samples, end) },
      ]);
      a.lastEnd = end;
    } else {
      // No audio for this video part: a GAP part of the same length keeps the indices aligned.
      rendition.addGapPart(boundary.end - boundary.start);
      // Never backwards: the audio before may reach past this boundary (its last frame outlasting
      // a short video part), and the next fragment must not start inside it (tfdt never goes back).
      a.lastEnd = Math.max(a.lastEnd, Math.round(boundary.end * a.clockRate));
      this.stats.gapParts++;
    }
    if (boundary.lastOfSegment) {
      rendition.completeSegment();
      this.#retain(rendition);
    }
    this.#options.onChange();
  }

  /** Video closed its segment after a part audio already published: audio's segment ends there too. */
  #completeAudioSegmentAfter(msn: number | undefined, index: number | undefined): void {
    const audio = this.#audio?.rendition;
    const last = audio?.lastPart;
    if (audio?.openSegment !== undefined && last !== undefined && last.msn === msn && last.index === index) {
      audio.completeSegment();
      this.#retain(audio);
    }
  }

  // ------------------------------------------------------------------ audio only

  #pushAudioOnly(a: TrackState, frame: HlsFrame): void {
    this.#started = true;
    const dts = this.#place(a, frame);
    const previous = a.samples.at(-1);
    if ((previous !== undefined && dts <= previous.dts) || (a.lastEnd >= 0 && dts < a.lastEnd)) {
      this.stats.droppedFrames++;
      return;
    }
    this.#updateTiming();
    if (a.rendition.openSegment === undefined) {
      const msn = this.#nextMsn++;
      const discontinuity = this.#takeDiscontinuity(a.rendition);
      if (a.initUri === undefined || a.configChanged) this.#writeInit(a, msn);
      a.rendition.startSegment({
        msn,
        discontinuity,
        initUri: a.initUri as string,
        programDateTime: this.#pdt.segment(frame.wallclock, dts / a.clockRate, discontinuity),
      });
    }
    a.samples.push({ dts, pts: dts, keyframe: true, wallclock: frame.wallclock, data: a.stage(frame.data) });
    const parts = this.#partTiming as StreamTiming;
    if (a.samples.length >= parts.framesPerPart) {
      const partsPerSegment = audioOnlyPartsPerSegment(this.#options.segmentDuration, parts);
      const lastOfSegment = (a.rendition.openSegment?.parts.length ?? 0) + 1 >= partsPerSegment;
      this.#closeAudioOnlyPart(a);
      if (lastOfSegment) this.#closeAudioOnlySegment(a);
    }
  }

  #closeAudioOnlyPart(a: TrackState): void {
    if (a.samples.length === 0 || a.rendition.openSegment === undefined) return;
    const first = a.samples[0] as PendingSample;
    const end = a.end;
    a.rendition.addPart((end - first.dts) / a.clockRate, true, ++a.fragmentSequence, [
      { id: 1, baseMediaDecodeTime: first.dts, samples: toSamples(a.samples, end) },
    ]);
    a.lastEnd = end;
    a.samples = [];
    this.stats.parts++;
    this.#options.onChange();
  }

  #closeAudioOnlySegment(a: TrackState): void {
    this.#closeAudioOnlyPart(a);
    if (a.rendition.completeSegment() !== undefined) this.stats.segments++;
    this.#retain(a.rendition);
    this.#options.onChange();
  }

  // ------------------------------------------------------------------ shared

  #writeInit(state: TrackState, msn: number): void {
    // The MSN in the name keeps init URIs unique across configuration changes and restarts.
    const uri = `${state.rendition.name}-init-${msn}.mp4`;
    state.rendition.addInit(uri, writeInitSegment([{ id: 1, timescale: state.clockRate, config: state.track.config }]));
    state.initUri = uri;
    state.configChanged = false;
  }

  /**
   * Part numbers once the frame duration is known; the target duration once the
   * first GOP is measured. Both come from ONE set of inputs, fixed here: the
   * frame duration is taken from the SPS frame rate when the camera signals it
   * (robust to timestamp jitter), else from the first measured frame interval.
   */
  #updateTiming(): void {
    if (this.timing !== undefined) return;
    const video = this.#video;
    const audio = this.#audio;
    if (video !== undefined && this.#videoFrame === undefined) {
      const fps = video.track.fps;
      if (fps !== undefined && fps > 0 && fps <= 300) this.#videoFrame = 1 / fps;
      else if (video.cadence > 0) this.#videoFrame = video.cadence / video.clockRate;
      else return;
    }
    const inputs = {
      segmentDuration: this.#options.segmentDuration,
      partDuration: this.#options.partDuration,
      ...(this.#videoFrame === undefined ? {} : { videoFrame: this.#videoFrame }),
      ...(audio === undefined ? {} : { audioFrame: audio.cadence / audio.clockRate }),
      ...(this.#options.timingFloor === undefined ? {} : { floor: this.#options.timingFloor }),
    };
    this.#partTiming ??= computeStreamTiming(inputs);
    if (video !== undefined && this.#firstGop === undefined) return;
    this.timing = computeStreamTiming({
      ...inputs,
      ...(this.#firstGop === undefined ? {} : { firstGop: this.#firstGop }),
    });
    this.#options.onChange();
  }

  #retain(rendition: Rendition): void {
    const targetDuration = this.timing?.targetDuration ?? this.#options.segmentDuration;
    rendition.retain(this.#options.segmentCount, this.#options.now(), 3 * targetDuration);
  }

  /** The stream is closed: every rendition's media is released (see Rendition.close). */
  close(): void {
    for (const rendition of this.renditions) rendition.close();
  }
}

export type { Segment };
