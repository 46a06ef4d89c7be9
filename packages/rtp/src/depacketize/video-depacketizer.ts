import { RtpErrorCode } from '../errors.js';
import type { RtpPacket } from '../rtp-packet.js';
import { sequenceDistance } from '../sequence.js';
import { AccessUnitWriter } from './access-unit-writer.js';

/** One video frame: the NAL units that share an RTP timestamp, ready for the fMP4 writer. */
export interface VideoAccessUnit {
  /** RTP timestamp (32-bit) of the access unit's packets: its presentation time. */
  timestamp: number;
  /** The NAL units, each behind a 4-byte big-endian length (ISO/IEC 14496-15 sample format). */
  data: Uint8Array;
  /** Views into `data`, one per NAL unit, in decode order. */
  nals: Uint8Array[];
  /** A random-access point (H.264 IDR, H.265 IRAP), with its parameter sets in front. */
  keyframe: boolean;
  /** Parameter sets seen in-band with this access unit differ from the ones known before. */
  parameterSetsChanged: boolean;
  /** Packets of this access unit were lost: it may decode with artifacts. */
  damaged: boolean;
}

export interface DepacketizerSink<T> {
  onUnit(unit: T): void;
  /** A non-fatal problem: the packet or unit concerned is dropped, the stream goes on. */
  onError(code: RtpErrorCode, detail: string): void;
}

/**
 * 64 packets back: a duplicate or late packet on TCP (never reordered); further
 * back means the sender restarted its numbering.
 */
const MAX_LATE_DISTANCE = 64;

/**
 * Packet-to-access-unit logic shared by the H.264 and H.265 depacketizers:
 * sequence checking, access-unit boundaries, parameter-set tracking and
 * keyframe gating. Subclasses parse their RFC's payload formats.
 *
 * Boundaries: an access unit ends at a packet with the marker bit, unless it
 * holds no picture yet (Tapo TC70 marks SPS and PPS, Reolink marks the SPS,
 * some servers mark SEI: parameter sets and SEI never end an access unit); it
 * also ends when the timestamp changes, for cameras that never set the marker
 * (FLIR M400), and at an access unit delimiter.
 */
export abstract class VideoDepacketizer {
  protected readonly writer: AccessUnitWriter;
  readonly #sink: DepacketizerSink<VideoAccessUnit>;
  /** Latest parameter set per NAL unit type (H.264 SPS/PPS; H.265 VPS/SPS/PPS). */
  readonly #parameterSets = new Map<number, Uint8Array>();
  #timestamp = 0;
  #expectedSequence = -1;
  #fragmentOpen = false;
  #damaged = false;
  #parameterSetsChanged = false;
  #seenKeyframe = false;
  /** NAL unit types present in the access unit being ended (6-bit types: H.265's range covers H.264's). */
  readonly #present = new Uint8Array(64);
  /** Frames dropped while waiting for the first random-access point. */
  droppedBeforeKeyframe = 0;

  protected constructor(sink: DepacketizerSink<VideoAccessUnit>, initialParameterSets: readonly Uint8Array[]) {
    this.#sink = sink;
    this.writer = new AccessUnitWriter((b) => this.nalTypeOf(b));
    for (const nal of initialParameterSets) {
      if (nal.length > 0) this.#parameterSets.set(this.nalTypeOf(nal[0] as number), nal);
    }
  }

  protected abstract nalTypeOf(firstByte: number): number;
  protected abstract isPicture(nalType: number): boolean;
  protected abstract isRandomAccess(nalType: number): boolean;
  protected abstract isAccessUnitDelimiter(nalType: number): boolean;
  /** Parameter-set NAL unit types in the order they precede a keyframe. */
  protected abstract readonly parameterSetTypes: readonly number[];
  /** Parses one packet's payload (`data[start..end)`, never empty). */
  protected abstract parsePayload(data: Uint8Array, start: number, end: number): void;

  /** The current parameter sets (from the SDP or learned in-band), in keyframe order. */
  get parameterSets(): Uint8Array[] {
    const sets: Uint8Array[] = [];
    for (const type of this.parameterSetTypes) {
      const set = this.#parameterSets.get(type);
      if (set !== undefined) sets.push(set);
    }
    return sets;
  }

  push(packet: RtpPacket): void {
    if (this.#expectedSequence >= 0 && packet.sequenceNumber !== this.#expectedSequence) {
      const gap = sequenceDistance(this.#expectedSequence, packet.sequenceNumber);
      if (gap < 0 && gap > -MAX_LATE_DISTANCE) return; // duplicate or late
      this.#onLoss();
    }
    this.#expectedSequence = (packet.sequenceNumber + 1) & 0xffff;

    if (!this.writer.isEmpty && packet.timestamp !== this.#timestamp) this.#endAccessUnit();
    this.#timestamp = packet.timestamp;

    if (packet.payloadEnd > packet.payloadStart) {
      this.parsePayload(packet.data, packet.payloadStart, packet.payloadEnd);
    }
    if (packet.marker && !this.#fragmentOpen && this.#hasPicture()) this.#endAccessUnit();
  }

  /** Emits the access unit in progress, if complete enough (end of stream). */
  flush(): void {
    if (!this.writer.isEmpty) this.#endAccessUnit();
  }

  /** Forgets the access unit in progress and the sequence state (new SSRC, new session). */
  reset(): void {
    this.writer.discard();
    this.#fragmentOpen = false;
    this.#expectedSequence = -1;
    this.#damaged = false;
  }

  // ---- for subclasses

  /** Writes a complete NAL unit from `data[start..end)`. */
  protected writeNal(data: Uint8Array, start: number, end: number): void {
    if (this.isAccessUnitDelimiter(this.nalTypeOf(data[start] as number))) {
      // A delimiter starts a new access unit; it is not stored (fMP4 samples do not need it).
      if (this.#hasPicture()) this.#endAccessUnit();
      return;
    }
    if (this.#fragmentOpen) this.#abortFragment();
    this.writer.beginNal();
    this.writer.append(data, start, end);
    this.#captureParameterSets(this.writer.endNal());
  }

  /** Starts a fragmented NAL unit with its reconstructed header bytes. */
  protected startFragment(header: Uint8Array, data: Uint8Array, start: number, end: number): void {
    if (this.#fragmentOpen) this.#abortFragment();
    this.writer.beginNal();
    for (const byte of header) this.writer.appendByte(byte);
    this.writer.append(data, start, end);
    this.#fragmentOpen = true;
  }

  protected continueFragment(data: Uint8Array, start: number, end: number): void {
    if (!this.#fragmentOpen) {
      // Normal when joining a running stream or after loss (gortsplib ErrNonStartingPacketAndNoPrevious).
      this.error(RtpErrorCode.INCOMPLETE_FRAGMENT, 'fragment without its start, dropped');
      return;
    }
    this.writer.append(data, start, end);
  }

  protected endFragment(): void {
    if (!this.#fragmentOpen) return;
    this.#fragmentOpen = false;
    this.#captureParameterSets(this.writer.endNal());
  }

  protected error(code: RtpErrorCode, detail: string): void {
    this.#sink.onError(code, detail);
  }

  // ---- internals

  #abortFragment(): void {
    this.writer.abortNal();
    this.#fragmentOpen = false;
    this.#damaged = true;
    this.error(RtpErrorCode.INCOMPLETE_FRAGMENT, 'fragmented NAL unit interrupted, dropped');
  }

  #onLoss(): void {
    if (this.#fragmentOpen) this.#abortFragment();
    this.#damaged = true;
    this.error(RtpErrorCode.PACKET_LOSS, 'sequence gap');
  }

  #hasPicture(): boolean {
    for (let i = 0; i < this.writer.nalCount; i++) {
      if (this.isPicture(this.writer.nalType(i))) return true;
    }
    return false;
  }

  #captureParameterSets(added: number): void {
    const count = this.writer.nalCount;
    for (let i = count - added; i < count; i++) {
      const type = this.writer.nalType(i);
      if (!this.parameterSetTypes.includes(type)) continue;
      const nal = this.writer.nal(i);
      const known = this.#parameterSets.get(type);
      if (known !== undefined && Buffer.compare(known, nal) === 0) continue;
      this.#parameterSets.set(type, Uint8Array.prototype.slice.call(nal));
      this.#parameterSetsChanged = true;
    }
  }

  /** Drops parameter sets after the first slice and all but the last of each type before it. */
  #normalizeParameterSets(): void {
    const writer = this.writer;
    const count = writer.nalCount;
    let firstPicture = count;
    for (let i = 0; i < count; i++) {
      if (this.isPicture(writer.nalType(i))) {
        firstPicture = i;
        break;
      }
    }
    const lastBefore = new Map<number, number>();
    for (let i = 0; i < firstPicture; i++) lastBefore.set(writer.nalType(i), i);
    writer.compact((index, type) => !this.parameterSetTypes.includes(type) || lastBefore.get(type) === index);
  }

  #endAccessUnit(): void {
    const writer = this.writer;
    if (this.#fragmentOpen) this.#abortFragment();
    const damaged = this.#damaged;
    this.#damaged = false;
    if (writer.overflow !== undefined) {
      const what = writer.overflow === 'bytes' ? 'bytes' : 'NAL units';
      writer.discard();
      this.error(RtpErrorCode.ACCESS_UNIT_TOO_LARGE, `access unit over the limit of ${what}, dropped`);
      return;
    }
    let picture = false;
    let keyframe = false;
    let misplaced = false;
    const present = this.#present;
    present.fill(0);
    for (let i = 0; i < writer.nalCount; i++) {
      const type = writer.nalType(i);
      const parameterSet = this.parameterSetTypes.includes(type);
      // H.264 §7.4.1.2.3 / H.265 §7.4.2.4.4: parameter sets precede the first slice, once each.
      if (parameterSet && (picture || present[type] === 1)) misplaced = true;
      if (this.isPicture(type)) picture = true;
      if (this.isRandomAccess(type)) keyframe = true;
      present[type] = 1;
    }
    // GStreamer's rtph264pay (config-interval=-1) repeats SPS/PPS before every IDR slice, even
    // between the slices of one picture; decoders then lose a slice. Keep the last of each type
    // before the first slice (all of them were already stored).
    if (misplaced) this.#normalizeParameterSets();
    if (!picture) {
      // Parameter sets and SEI alone: the sets are stored, the rest is dropped.
      writer.discard();
      return;
    }
    if (!keyframe && !this.#seenKeyframe) {
      writer.discard();
      this.droppedBeforeKeyframe++;
      return;
    }
    if (keyframe) {
      const missing = this.parameterSetTypes.filter((type) => present[type] !== 1);
      const stored = missing.map((type) => this.#parameterSets.get(type));
      if (stored.some((set) => set === undefined)) {
        writer.discard();
        this.error(
          RtpErrorCode.MISSING_PARAMETER_SETS,
          'keyframe without parameter sets (none in the SDP or in-band yet)',
        );
        return;
      }
      // Stored parameter sets go in front of every keyframe, so each segment can start decoding.
      writer.prepend(stored as Uint8Array[]);
      this.#seenKeyframe = true;
    }
    const data = writer.finish();
    if (data === undefined) return;
    const parameterSetsChanged = this.#parameterSetsChanged;
    this.#parameterSetsChanged = false;
    this.#sink.onUnit({
      timestamp: this.#timestamp,
      data,
      nals: splitUnit(data),
      keyframe,
      parameterSetsChanged,
      damaged,
    });
  }
}

function splitUnit(data: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  for (let at = 0; at + 4 <= data.length;) {
    const size = view.getUint32(at);
    nals.push(data.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return nals;
}
