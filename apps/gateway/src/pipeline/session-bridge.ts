import { isCodedError } from '@camgate/bits';
import type { FrameSink, HlsFrame, HlsStream, HlsTrack, RenditionName } from '@camgate/hls';
import type { Frame, RtspSession, Track } from '@camgate/rtsp';
import { hlsTrackOf, type HlsTrackMapping } from './hls-track.js';
import { PartArrival } from './part-arrival.js';
import { PcmToFlac } from './pcm-to-flac.js';

/** What became of one received track: in the HLS stream, or not and why. */
export interface BridgedTrack {
  track: Track;
  mapping: HlsTrackMapping;
}

export interface SessionBridgeStats {
  /** Frames handed to the packager. */
  framesIn: number;
  /** Frames of a playable track that could not be used (its parameter sets not known yet, a rejected track). */
  framesDropped: number;
  /** Sessions attached so far (1 + reconnects). */
  sessions: number;
}

export interface SessionBridgeOptions {
  /**
   * The sessions' `readBatchMs` (RtspSessionOptions; packages/rtsp/src/client/read-scheduler.ts): above 0, after each part
   * it publishes the bridge lets the session drain its socket on the shared timer until shortly
   * before the frame that closes the next part is due (`deferReadsUntil`). 0: no deferral.
   */
  readBatchMs?: number;
}

/** A sink beside the live stream (a recorder), and who hears of its failure. */
interface ExtraSink {
  sink: FrameSink;
  /** The sink threw: it was removed, the live stream goes on. */
  onError: (err: unknown) => void;
}

/** How to attach: `listen: false` when the caller listens to the session's frames and hands each to `push`. */
export interface BridgeAttachOptions {
  listen?: boolean;
}

/**
 * Reads go back to at once 10 ms before the next part's closing frame may arrive (its earliest
 * arrival of late, see PartArrival): room for jitter beyond what was seen and for the shared read
 * timer running a few ms late (the scheduler rounds the time down, never later). The timer runs
 * at that time whatever `readBatchMs` is, so `readBatchMs` needs no room here.
 */
const PART_DEADLINE_SLACK_MS = 10;

interface Slot {
  trackId: number;
  /** Unit of the track's frame times. */
  clockRate: number;
  /** The packager has the track (its configuration is complete). */
  set: boolean;
  /** G.711 and L16 audio: the converter to FLAC (made when the packager takes the track). */
  flac?: PcmToFlac;
}

/**
 * Feeds RTSP sessions into one HLS stream, one session after another (the first connection, then
 * each reconnect), so that players keep one playlist across camera reconnects: every session after
 * the first starts with EXT-X-DISCONTINUITY, and a changed codec configuration gets a new init
 * segment. The session's first video and first audio track are used when browsers can play them.
 *
 * The frame fan-out: sinks added with `addSink` (a recorder) get the same tracks, frames (G.711
 * already FLAC) and discontinuities as the live stream, after it. A sink that throws is removed
 * and reported; the live stream and the other sinks go on. The live stream alone paces the reads.
 *
 * Attach a session before `connect()`: frames can arrive in the same read as the PLAY response.
 */
export class SessionBridge {
  readonly #stream: HlsStream;
  readonly #readBatchMs: number;
  #session: RtspSession | undefined;
  #detach: (() => void) | undefined;
  #tracks: BridgedTrack[] = [];
  #video: Slot | undefined;
  #audio: Slot | undefined;
  #selected = false;
  /** The camera packet being converted to FLAC while its frames are pushed. */
  #converting: Frame | undefined;
  /**
   * A camera packet flagged discontinuity whose samples are not pushed yet (a short packet is held
   * until 16 samples are in): the next FLAC frame pushed carries the flag.
   */
  #flacDiscontinuity = false;
  /** The stream's published parts after the last push: one more means that push published a part. */
  #parts = 0;
  /** A driving part went out and its audio part has not yet: reads may wait once it has. */
  #armed = false;
  readonly #arrival = new PartArrival();
  /** Sinks beside the live stream, in the order added. */
  #sinks: ExtraSink[] = [];
  readonly stats: SessionBridgeStats = { framesIn: 0, framesDropped: 0, sessions: 0 };

  constructor(stream: HlsStream, options: SessionBridgeOptions = {}) {
    this.#stream = stream;
    this.#readBatchMs = options.readBatchMs ?? 0;
  }

  /** The received tracks of the current session and what became of each (for status reports). */
  get tracks(): readonly BridgedTrack[] {
    return this.#tracks;
  }

  /** The id of the video track the stream takes (its configuration is complete), for per-frame checks. */
  get videoTrackId(): number | undefined {
    return this.#video?.set === true ? this.#video.trackId : undefined;
  }

  /**
   * Feeds `session` into the stream from now on. With `listen: false` the caller hands each of the
   * session's frames to `push` itself (one 'frame' listener per session instead of one per
   * consumer: an EventEmitter copies its listener array on every emit when there are several).
   */
  attach(session: RtspSession, options: BridgeAttachOptions = {}): void {
    this.detach();
    this.#session = session;
    this.stats.sessions++;
    if (this.stats.sessions > 1) {
      this.#stream.markDiscontinuity();
      for (const extra of this.#sinks) this.#toSink(extra, (sink) => sink.markDiscontinuity());
    }
    this.#selected = false;
    this.#tracks = [];
    this.#video = undefined;
    this.#audio = undefined;
    this.#flacDiscontinuity = false;
    const onFrame = (frame: Frame) => this.push(frame);
    const onTrackChange = (track: Track) => this.#onTrackChange(session, track);
    const listen = options.listen ?? true;
    if (listen) session.on('frame', onFrame);
    session.on('track-change', onTrackChange);
    this.#detach = () => {
      if (listen) session.off('frame', onFrame);
      session.off('track-change', onTrackChange);
    };
  }

  /**
   * Adds a sink beside the live stream: from now on it gets the tracks the stream has (at once) and
   * every frame after the live stream. A sink added mid-stream starts with whatever frame comes
   * next (its packager waits for a keyframe, as after a reconnect).
   */
  addSink(sink: FrameSink, onError: (err: unknown) => void): void {
    if (this.#sinks.some((extra) => extra.sink === sink)) return;
    const extra = { sink, onError };
    this.#sinks = [...this.#sinks, extra];
    for (const slot of [this.#video, this.#audio]) {
      const mapping = slot?.set === true ? this.#tracks.find((t) => t.track.id === slot.trackId)?.mapping : undefined;
      if (mapping?.playable !== true) continue;
      const track = mapping.track;
      this.#toSink(extra, (sink) => sink.setTrack(track));
    }
  }

  /** Removes a sink added with `addSink` (its owner ends what it has itself). */
  removeSink(sink: FrameSink): void {
    this.#sinks = this.#sinks.filter((extra) => extra.sink !== sink);
  }

  /** The sinks beside the live stream. */
  get sinks(): readonly FrameSink[] {
    return this.#sinks.map((extra) => extra.sink);
  }

  /** One call to a sink beside the live stream; if it throws, the sink is removed and its owner told. */
  #toSink(extra: ExtraSink, call: (sink: FrameSink) => void): void {
    try {
      call(extra.sink);
    } catch (err) {
      this.#sinkThrew(extra, err);
    }
  }

  #sinkThrew(extra: ExtraSink, err: unknown): void {
    this.removeSink(extra.sink);
    extra.onError(err);
  }

  /** A frame the live stream took, to every other sink. */
  #fanOut(frame: HlsFrame): void {
    // The array is replaced, never changed, when a sink is added or removed (also by a failing sink):
    // this loop goes on over the one it started with.
    for (const extra of this.#sinks) {
      // Not through #toSink: no closure per frame.
      try {
        extra.sink.push(frame);
      } catch (err) {
        this.#sinkThrew(extra, err);
      }
    }
  }

  /** The live stream takes a track (it may refuse it: a coded error), then every other sink. */
  #setStreamTrack(track: HlsTrack): void {
    this.#stream.setTrack(track);
    for (const extra of this.#sinks) this.#toSink(extra, (sink) => sink.setTrack(track));
  }

  /** Stops listening to the current session (it is closing or closed). */
  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#session = undefined;
  }

  /** Chooses the tracks once the session knows them (after SETUP; at the latest with its first frame). */
  #select(session: RtspSession): void {
    if (this.#selected || session.tracks.length === 0) return;
    this.#selected = true;
    this.#tracks = session.tracks.map((track) => ({ track, mapping: hlsTrackOf(track) }));
    for (const { track, mapping } of this.#tracks) {
      const usable = mapping.playable || mapping.pending;
      if (track.kind === 'video' && this.#video === undefined && usable)
        this.#video = { trackId: track.id, clockRate: track.clockRate, set: false };
      if (track.kind === 'audio' && this.#audio === undefined && usable)
        this.#audio = { trackId: track.id, clockRate: track.clockRate, set: false };
    }
    this.#setTracks();
  }

  /**
   * Hands the packager the tracks whose configuration is complete. Audio waits for video when the
   * session has video: a stream that started without video would stay audio-only.
   */
  #setTracks(): void {
    const video = this.#video;
    if (video !== undefined && !video.set) video.set = this.#setTrack(video);
    const audio = this.#audio;
    if (audio !== undefined && !audio.set && (video === undefined || video.set)) audio.set = this.#setTrack(audio);
  }

  #setTrack(slot: Slot): boolean {
    const trackId = slot.trackId;
    const entry = this.#tracks.find((t) => t.track.id === trackId);
    if (!entry?.mapping.playable) return false;
    try {
      const hlsTrack = entry.mapping.track;
      this.#setStreamTrack(hlsTrack);
      const { codec } = entry.track;
      if (hlsTrack.config.codec === 'flac' && (codec === 'pcma' || codec === 'pcmu' || codec === 'l16')) {
        const { channels, sampleRate } = hlsTrack.config;
        slot.flac = new PcmToFlac({ encoding: codec, channels, sampleRate }, (dts, data) =>
          this.#pushFlac(dts, data, sampleRate),
        );
      } else {
        delete slot.flac;
      }
      return true;
    } catch (err) {
      // A reconnect that brings a track the stream did not have, or another clock rate: the
      // stream keeps its shape and this track stays out, reported.
      if (!isCodedError(err)) throw err;
      entry.mapping = { playable: false, pending: false, reason: err.message };
      if (this.#video?.trackId === trackId) this.#video = undefined;
      if (this.#audio?.trackId === trackId) this.#audio = undefined;
      return false;
    }
  }

  #onTrackChange(session: RtspSession, track: Track): void {
    this.#select(session);
    const entry = this.#tracks.find((t) => t.track.id === track.id);
    if (entry === undefined) return;
    entry.track = track;
    entry.mapping = hlsTrackOf(track);
    const slot =
      this.#video?.trackId === track.id ? this.#video : this.#audio?.trackId === track.id ? this.#audio : undefined;
    if (slot === undefined) return;
    // Complete for the first time, or changed (new resolution): either way the packager takes it now.
    slot.set = false;
    this.#setTracks();
  }

  /**
   * A frame of the attached session (attached with `listen: false`). Its data is used only during
   * the call (the stream copies what it keeps; FLAC conversion decodes at once), as the frame
   * contract asks: the session reuses that memory afterwards.
   */
  push(frame: Frame): void {
    const session = this.#session;
    if (session === undefined) return;
    this.#select(session);
    const kind: RenditionName | undefined =
      frame.trackId === this.#video?.trackId ? 'video' : frame.trackId === this.#audio?.trackId ? 'audio' : undefined;
    if (kind === undefined) return;
    const slot = kind === 'video' ? this.#video : this.#audio;
    if (slot?.set !== true) {
      this.stats.framesDropped++;
      return;
    }
    this.stats.framesIn++;
    if (slot.flac !== undefined) {
      // One camera packet, one FLAC frame or more (long packets split), or none (a short one held).
      this.#converting = frame;
      if (frame.discontinuity) {
        slot.flac.reset();
        this.#flacDiscontinuity = true;
      }
      slot.flac.push(frame.dts, frame.data);
      this.#converting = undefined;
      this.#afterPush(session, kind, frame, slot.clockRate);
      return;
    }
    const hlsFrame: HlsFrame = {
      kind,
      dts: frame.dts,
      pts: frame.pts,
      keyframe: frame.keyframe,
      discontinuity: frame.discontinuity,
      wallclock: frame.wallclock,
      data: frame.data,
    };
    this.#stream.push(hlsFrame);
    if (this.#sinks.length > 0) this.#fanOut(hlsFrame);
    this.#afterPush(session, kind, frame, slot.clockRate);
  }

  /**
   * Read batching (read-scheduler.ts in packages/rtsp): once a part has gone out on every rendition (the video part
   * of the track that drives the parts, then the audio part that follows it on the first audio
   * frame past its end), the session may batch its reads until shortly before the next part's
   * closing frame may arrive ({@link PartArrival}: predicted on the camera's clock, so a frame read
   * late does not delay the next deadline); that frame is read, and its parts published, at once.
   * Per frame: two counter reads and a comparison.
   */
  #afterPush(session: RtspSession, kind: RenditionName, frame: Frame, clockRate: number): void {
    if (this.#readBatchMs <= 0) return;
    const stream = this.#stream;
    if (frame.discontinuity) this.#arrival.reset();
    const parts = stream.partsPublished;
    if (parts !== this.#parts) {
      this.#parts = parts;
      const driving = this.#video?.set === true ? 'video' : 'audio';
      // A part published by the other track's frame (a discontinuity's cut) says nothing of the clock.
      this.#armed = kind === driving;
      if (this.#armed) this.#arrival.observe((frame.dts / clockRate) * 1000, performance.now());
    }
    if (!this.#armed || stream.audioPartsOwed > 0) return;
    this.#armed = false;
    const timing = stream.timing;
    const next = timing === undefined ? undefined : this.#arrival.nextArrival(timing.videoPart * 1000);
    if (next !== undefined) session.deferReadsUntil(next - PART_DEADLINE_SLACK_MS);
  }

  /** A FLAC frame of the camera packet being converted: its wall clock, and a pending discontinuity on the first. */
  #pushFlac(dts: number, data: Uint8Array, sampleRate: number): void {
    const frame = this.#converting;
    if (frame === undefined) return;
    const discontinuity = this.#flacDiscontinuity;
    this.#flacDiscontinuity = false;
    const flacFrame: HlsFrame = {
      kind: 'audio',
      dts,
      pts: dts,
      keyframe: true,
      discontinuity,
      wallclock: frame.wallclock + ((dts - frame.dts) * 1000) / sampleRate,
      data,
    };
    this.#stream.push(flacFrame);
    if (this.#sinks.length > 0) this.#fanOut(flacFrame);
  }
}
