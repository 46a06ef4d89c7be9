import { isCodedError } from '@camgate/bits';
import { H264DtsExtractor, H265DtsExtractor, parseAudioSpecificConfig, parseStreamMuxConfig } from '@camgate/codecs';
import {
  AacDepacketizer,
  FrameDepacketizer,
  H264Depacketizer,
  H265Depacketizer,
  LatmDepacketizer,
  ReceptionStats,
  ReorderBuffer,
  RtpErrorCode,
  RtpPacket,
  TrackTimeline,
  parseRtcpCompound,
  parseRtpPacket,
  type AudioUnit,
  type ReportBlock,
  type SessionClock,
  type VideoAccessUnit,
} from '@camgate/rtp';
import type { Frame } from './frame.js';
import { countError, emptyTrackStats, type TrackStats } from './stats.js';
import { sameConfig, withParameterSets, type SupportedFormat, type Track, type TrackConfig } from './track.js';

export interface TrackReceiverEvents {
  onFrame(frame: Frame): void;
  /** The track's codec configuration changed in-band (e.g. a new resolution): emitted before the frame that uses it. */
  onTrackChange(track: Track): void;
}

interface Depacketizer {
  push(packet: RtpPacket): void;
  flush?(): void;
  reset?(): void;
}

/**
 * One track's receive pipeline: RTP packet -> (UDP: reorder) -> depacketizer
 * -> DTS from picture order (video) -> session timeline -> Frame. Everything
 * runs synchronously in the socket's data callback; one RtpPacket is reused
 * for every packet.
 */
export class TrackReceiver {
  track: Track;
  readonly stats: TrackStats = emptyTrackStats();
  /** Monotonic ms of the last RTP packet, or undefined before the first. */
  lastPacketAt: number | undefined;
  readonly #format: SupportedFormat;
  readonly #events: TrackReceiverEvents;
  readonly #packet = new RtpPacket();
  readonly #reception: ReceptionStats;
  readonly #reorder: ReorderBuffer | undefined;
  readonly #timeline: TrackTimeline;
  readonly #depacketizer: Depacketizer;
  readonly #videoDepacketizer: H264Depacketizer | H265Depacketizer | undefined;
  readonly #dts: H264DtsExtractor | H265DtsExtractor | undefined;
  #ssrc: number | undefined;
  #arrivalMs = 0;
  #lastDts = Number.NEGATIVE_INFINITY;
  #pendingDiscontinuity = false;
  /** Loss counted under earlier SSRCs (reception statistics restart with each source). */
  #lostBefore = 0;

  constructor(
    track: Track,
    format: SupportedFormat,
    clock: SessionClock,
    events: TrackReceiverEvents,
    options: { reorder: boolean },
  ) {
    this.track = track;
    this.#format = format;
    this.#events = events;
    this.#reception = new ReceptionStats(track.clockRate);
    if (options.reorder) {
      this.#reorder = new ReorderBuffer((data) => this.#depacketize(data));
    }
    const videoSink = {
      onUnit: (unit: VideoAccessUnit) => this.#onVideo(unit),
      onError: (code: string) => this.#error(code),
    };
    const audioSink = {
      onUnit: (unit: AudioUnit) => this.#onAudio(unit),
      onError: (code: string) => this.#error(code),
    };
    const config = track.config;
    switch (format.codec) {
      case 'h264':
        this.#videoDepacketizer = new H264Depacketizer(videoSink, config);
        this.#depacketizer = this.#videoDepacketizer;
        this.#dts = new H264DtsExtractor(config);
        break;
      case 'h265':
        this.#videoDepacketizer = new H265Depacketizer(videoSink, config);
        this.#depacketizer = this.#videoDepacketizer;
        this.#dts = new H265DtsExtractor(config);
        break;
      case 'aac':
        this.#depacketizer = new AacDepacketizer({ ...format, frameLength: frameLength(track) }, audioSink);
        break;
      case 'aac-latm':
        this.#depacketizer = new LatmDepacketizer(
          {
            numSubFrames: format.config === undefined ? 0 : parseStreamMuxConfig(format.config).numSubFrames,
            frameLength: frameLength(track),
          },
          audioSink,
        );
        break;
      case 'pcma':
      case 'pcmu':
      case 'l16':
      case 'opus':
        this.#depacketizer = new FrameDepacketizer(audioSink);
        break;
    }
    this.#timeline = new TrackTimeline(track.clockRate, clock, defaultStep(track));
  }

  get payloadType(): number {
    return this.#format.payloadType;
  }

  /** An RTP packet for this track (a datagram or interleaved frame). */
  pushRtp(data: Uint8Array, arrivalMs: number): void {
    const packet = this.#packet;
    try {
      parseRtpPacket(data, packet);
    } catch (err) {
      this.#error(isCodedError(err) ? err.code : RtpErrorCode.PACKET_TOO_SHORT);
      return;
    }
    if (packet.payloadType !== this.#format.payloadType) {
      // Comfort noise, duplicates on other payload types (Geovision PT 50), stray packets: not this stream.
      this.#error('RTP_UNEXPECTED_PAYLOAD_TYPE');
      return;
    }
    this.stats.packets++;
    this.stats.bytes += data.length;
    this.lastPacketAt = arrivalMs;
    this.#arrivalMs = arrivalMs;
    if (this.#ssrc !== packet.ssrc) {
      if (this.#ssrc !== undefined) this.#onSsrcChange();
      this.#ssrc = packet.ssrc;
    }
    this.#reception.onPacket(packet.ssrc, packet.sequenceNumber, packet.timestamp, arrivalMs);
    this.stats.lost = this.#lostBefore + this.#reception.cumulativeLost;
    if (this.#reorder !== undefined) {
      this.#reorder.push(data, packet.sequenceNumber);
    } else {
      this.#depacketizer.push(packet);
    }
  }

  /** An RTCP compound packet from the camera for this track. */
  pushRtcp(data: Uint8Array, arrivalMs: number): void {
    let parsed;
    try {
      parsed = parseRtcpCompound(data);
    } catch (err) {
      // Invalid RTCP is skipped (gortsplib): it never stops the media.
      this.#error(isCodedError(err) ? err.code : RtpErrorCode.INVALID_RTCP);
      return;
    }
    for (const report of parsed.senderReports) {
      if (this.#ssrc !== undefined && report.ssrc !== this.#ssrc) continue;
      this.#timeline.onSenderReport(report.ntpMs, report.rtpTimestamp);
      this.#reception.onSenderReport(report.ntpMiddle, arrivalMs);
    }
  }

  /** The RTCP receiver-report block for this track (UDP), or undefined before any packet. */
  receptionReport(nowMs: number): ReportBlock | undefined {
    return this.#reception.reportBlock(nowMs);
  }

  /** The next frame starts a new timeline (a new connection after a transport switch). */
  restart(): void {
    this.#reorder?.reset();
    this.#depacketizer.reset?.();
    this.#ssrc = undefined;
    this.#timeline.rebase();
    this.#pendingDiscontinuity = true;
  }

  #depacketize(data: Uint8Array): void {
    parseRtpPacket(data, this.#packet);
    this.#depacketizer.push(this.#packet);
  }

  #onSsrcChange(): void {
    // F11: the camera restarted its stream without reconnecting. Accepted; the timeline re-bases.
    this.#error('RTP_SSRC_CHANGED');
    this.#lostBefore = this.stats.lost;
    this.#reorder?.reset();
    this.#depacketizer.reset?.();
    this.#timeline.rebase();
  }

  #onVideo(unit: VideoAccessUnit): void {
    if (unit.parameterSetsChanged && this.#videoDepacketizer !== undefined) this.#updateParameterSets();
    const point = this.#timeline.map(unit.timestamp, this.#arrivalMs);
    let dts = point.pts;
    if (this.#dts !== undefined) {
      try {
        dts = this.#dts.extract(unit.nals, point.pts);
      } catch (err) {
        this.#error(isCodedError(err) ? err.code : 'CODECS_DTS_UNAVAILABLE');
        dts = point.pts;
      }
    }
    // DTS never goes back (fMP4 tfdt): an extractor surprise costs one frame's accuracy, not the stream.
    if (dts <= this.#lastDts) dts = this.#lastDts + 1;
    if (dts > point.pts) dts = point.pts;
    this.#lastDts = dts;
    this.#emit(dts, point.pts, unit.keyframe, point.discontinuity, point.wallclock, unit.data);
  }

  #onAudio(unit: AudioUnit): void {
    const point = this.#timeline.map(unit.timestamp, this.#arrivalMs);
    this.#emit(point.pts, point.pts, true, point.discontinuity, point.wallclock, unit.data);
  }

  #emit(
    dts: number,
    pts: number,
    keyframe: boolean,
    discontinuity: boolean,
    wallclock: number,
    data: Uint8Array,
  ): void {
    this.stats.frames++;
    if (keyframe) this.stats.keyframes++;
    const flagged = discontinuity || this.#pendingDiscontinuity;
    this.#pendingDiscontinuity = false;
    this.#events.onFrame({ trackId: this.track.id, dts, pts, keyframe, discontinuity: flagged, wallclock, data });
  }

  #updateParameterSets(): void {
    const sets = (this.#videoDepacketizer as H264Depacketizer | H265Depacketizer).parameterSets;
    const config: TrackConfig =
      this.track.codec === 'h265'
        ? { ...pick('vps', sets[0]), ...pick('sps', sets[1]), ...pick('pps', sets[2]) }
        : { ...pick('sps', sets[0]), ...pick('pps', sets[1]) };
    if (sameConfig(config, this.track.config)) return;
    this.track = withParameterSets(this.track, config);
    this.#events.onTrackChange(this.track);
  }

  #error(code: string): void {
    countError(this.stats.errors, code);
    if (code === RtpErrorCode.ACCESS_UNIT_TOO_LARGE || code === RtpErrorCode.MISSING_PARAMETER_SETS)
      this.stats.dropped++;
  }
}

function pick<K extends keyof TrackConfig>(key: K, value: Uint8Array | undefined): Partial<Record<K, Uint8Array>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, Uint8Array>>);
}

function frameLength(track: Track): number {
  const asc = track.config.audioSpecificConfig;
  // 960-sample AAC frames exist (DAB+, some encoders); the AudioSpecificConfig says which.
  return asc === undefined ? 1024 : parseAudioSpecificConfig(asc).frameLength;
}

function defaultStep(track: Track): number {
  if (track.kind === 'video') return Math.round(track.clockRate / (track.fps ?? 25));
  if (track.codec === 'aac') return frameLength(track);
  return Math.round(track.clockRate / 50); // 20 ms packets
}
