import { RtpErrorCode } from '../errors.js';
import type { RtpPacket } from '../rtp-packet.js';
import { sequenceDistance } from '../sequence.js';
import { readBitsAt, type AudioUnit } from './audio-unit.js';
import type { DepacketizerSink } from './video-depacketizer.js';

/** 8 KiB per AAC access unit: 6144 bits per channel per frame (ISO/IEC 14496-3 §4.5.3.1) is 6 KiB at 8 channels. */
export const MAX_AAC_ACCESS_UNIT_BYTES = 8 * 1024;
/** 256 access units per packet: far above what fits an MTU; bounds a forged AU-headers-length. */
const MAX_UNITS_PER_PACKET = 256;

/** The `fmtp` parameters of an RFC 3640 mpeg4-generic AAC stream (§4.1), lengths in bits. */
export interface Rfc3640Parameters {
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
  ctsDeltaLength: number;
  dtsDeltaLength: number;
  randomAccessIndication: boolean;
  streamStateIndication: number;
  auxiliaryDataSizeLength: number;
  /** Size of every access unit when the AU header carries none. */
  constantSize?: number;
  /** Samples per access unit (1024, or 960), from the AudioSpecificConfig. */
  frameLength: number;
}

/**
 * AAC depacketizer for RFC 3640 (`mpeg4-generic`, AAC-hbr and AAC-lbr), for any
 * AU-header layout: several access units per packet, an access unit fragmented
 * over packets (§3.2.3), and ADTS-wrapped payloads, whose headers are stripped
 * (Reolink, go2rtc#1328). Access units are views on the packet; only a
 * fragmented one is copied, once, into a buffer reused for the next one. Either
 * way a unit is valid only while the sink's onUnit runs.
 */
export class AacDepacketizer {
  readonly #params: Rfc3640Parameters;
  readonly #sink: DepacketizerSink<AudioUnit>;
  readonly #headerPresent: boolean;
  readonly #sizes: number[] = [];
  readonly #indices: number[] = [];
  #expectedSequence = -1;
  /** Reassembly buffer of fragmented access units (allocated at the first one, then reused). */
  #fragmentBuffer: Uint8Array | undefined;
  /** Size of the fragmented access unit in progress, or -1. */
  #fragmentSize = -1;
  #fragmentReceived = 0;
  #fragmentTimestamp = 0;

  constructor(params: Rfc3640Parameters, sink: DepacketizerSink<AudioUnit>) {
    this.#params = params;
    this.#sink = sink;
    this.#headerPresent =
      params.sizeLength + params.indexLength + params.indexDeltaLength + params.ctsDeltaLength + params.dtsDeltaLength >
        0 ||
      params.randomAccessIndication ||
      params.streamStateIndication > 0;
  }

  push(packet: RtpPacket): void {
    if (this.#expectedSequence >= 0 && packet.sequenceNumber !== this.#expectedSequence) {
      const gap = sequenceDistance(this.#expectedSequence, packet.sequenceNumber);
      if (gap < 0 && gap > -64) return; // duplicate or late
      if (this.#fragmentSize >= 0) {
        this.#fragmentSize = -1;
        this.#error(RtpErrorCode.INCOMPLETE_FRAGMENT, 'AAC fragment cut by packet loss, dropped');
      }
      this.#sink.onError(RtpErrorCode.PACKET_LOSS, 'sequence gap');
    }
    this.#expectedSequence = (packet.sequenceNumber + 1) & 0xffff;
    const data = packet.data;
    let at = packet.payloadStart;
    const end = packet.payloadEnd;
    if (at === end) return;

    this.#sizes.length = 0;
    this.#indices.length = 0;
    if (this.#headerPresent) {
      const next = this.#readHeaders(data, at, end);
      if (next < 0) return;
      at = next;
    }
    if (this.#params.auxiliaryDataSizeLength > 0) {
      const next = this.#skipAuxiliary(data, at, end);
      if (next < 0) return;
      at = next;
    }

    if (this.#sizes.length === 0) {
      // No AU headers: one access unit, or constant-size units.
      const constant = this.#params.constantSize;
      if (constant !== undefined && constant > 0) {
        const count = Math.min(Math.floor((end - at) / constant), MAX_UNITS_PER_PACKET);
        for (let i = 0; i < count; i++) this.#sizes.push(constant);
      } else {
        this.#sizes.push(end - at);
      }
    }

    const first = this.#sizes[0] as number;
    if (
      this.#fragmentSize >= 0 &&
      (this.#fragmentTimestamp !== packet.timestamp || this.#sizes.length !== 1 || this.#fragmentSize !== first)
    ) {
      this.#fragmentSize = -1;
      this.#error(RtpErrorCode.INCOMPLETE_FRAGMENT, 'AAC fragment interrupted, dropped');
    }
    if (this.#fragmentSize >= 0 || (this.#sizes.length === 1 && first > end - at)) {
      this.#continueFragment(packet, data, at, end, first);
      return;
    }
    const frameLength = this.#params.frameLength;
    for (let i = 0; i < this.#sizes.length; i++) {
      const size = this.#sizes[i] as number;
      if (at + size > end) {
        this.#error(RtpErrorCode.INVALID_AUDIO_PAYLOAD, `AAC access unit of ${size} bytes overruns the packet`);
        return;
      }
      const offset = this.#indices.length > i ? (this.#indices[i] as number) - (this.#indices[0] as number) : i;
      this.#emit((packet.timestamp + offset * frameLength) >>> 0, data.subarray(at, at + size));
      at += size;
    }
  }

  /** Reads the AU-header section (§3.2.1); returns the offset of what follows, or -1. */
  #readHeaders(data: Uint8Array, start: number, end: number): number {
    if (end - start < 2) return this.#fail('AAC packet shorter than its AU-headers-length');
    const bits = ((data[start] as number) << 8) | (data[start + 1] as number);
    const sectionStart = start + 2;
    const after = sectionStart + Math.ceil(bits / 8);
    if (after > end) return this.#fail(`AU-headers-length of ${bits} bits overruns the packet`);
    const p = this.#params;
    let at = sectionStart * 8;
    const limit = at + bits;
    let index = 0;
    while (at < limit) {
      if (this.#sizes.length >= MAX_UNITS_PER_PACKET) return this.#fail('too many AU headers');
      const indexBits = this.#sizes.length === 0 ? p.indexLength : p.indexDeltaLength;
      const fixedBits = p.sizeLength + indexBits;
      if (at + fixedBits > limit) return this.#fail('AU header truncated');
      const size = readBitsAt(data, at, p.sizeLength);
      const indexField = readBitsAt(data, at + p.sizeLength, indexBits);
      at += fixedBits;
      index = this.#sizes.length === 0 ? indexField : index + indexField + 1;
      for (const length of [p.ctsDeltaLength, p.dtsDeltaLength]) {
        if (length === 0) continue;
        if (at + 1 > limit) return this.#fail('AU header truncated');
        const present = readBitsAt(data, at, 1) === 1;
        at += 1 + (present ? length : 0);
      }
      at += (p.randomAccessIndication ? 1 : 0) + p.streamStateIndication;
      if (at > limit) return this.#fail('AU header truncated');
      if (size > MAX_AAC_ACCESS_UNIT_BYTES) {
        return this.#fail(`AAC access unit of ${size} bytes exceeds ${MAX_AAC_ACCESS_UNIT_BYTES}`);
      }
      this.#sizes.push(size);
      this.#indices.push(index);
    }
    return after;
  }

  /** Skips the auxiliary section (§3.2.2); returns the offset of the access units, or -1. */
  #skipAuxiliary(data: Uint8Array, start: number, end: number): number {
    const lengthBits = this.#params.auxiliaryDataSizeLength;
    if ((end - start) * 8 < lengthBits) return this.#fail('auxiliary section truncated');
    const auxBits = readBitsAt(data, start * 8, lengthBits);
    const after = start + Math.ceil((lengthBits + auxBits) / 8);
    return after > end ? this.#fail('auxiliary section overruns the packet') : after;
  }

  /** §3.2.3: each fragment carries one AU header with the whole access unit's size. */
  #continueFragment(packet: RtpPacket, data: Uint8Array, start: number, end: number, size: number): void {
    if (this.#fragmentSize < 0) {
      // `size` is bounded by MAX_AAC_ACCESS_UNIT_BYTES (#readHeaders), or by the packet without AU headers.
      if (this.#fragmentBuffer === undefined || this.#fragmentBuffer.length < size) {
        this.#fragmentBuffer = new Uint8Array(Math.max(size, MAX_AAC_ACCESS_UNIT_BYTES));
      }
      this.#fragmentSize = size;
      this.#fragmentReceived = 0;
      this.#fragmentTimestamp = packet.timestamp;
    }
    const buffer = this.#fragmentBuffer as Uint8Array;
    const length = end - start;
    if (this.#fragmentReceived + length > this.#fragmentSize) {
      this.#fragmentSize = -1;
      this.#error(RtpErrorCode.INVALID_AUDIO_PAYLOAD, 'AAC fragments exceed the access unit size');
      return;
    }
    buffer.set(data.subarray(start, end), this.#fragmentReceived);
    this.#fragmentReceived += length;
    if (this.#fragmentReceived === this.#fragmentSize) {
      this.#fragmentSize = -1;
      this.#emit(this.#fragmentTimestamp, buffer.subarray(0, this.#fragmentReceived));
    } else if (packet.marker) {
      this.#fragmentSize = -1;
      this.#error(RtpErrorCode.INCOMPLETE_FRAGMENT, 'AAC fragment ended early, dropped');
    }
  }

  #emit(timestamp: number, unit: Uint8Array): void {
    if (unit.length === 0) return;
    // ADTS-wrapped access units (Reolink): strip the header when its frame length matches.
    if (unit.length >= 7 && unit[0] === 0xff && ((unit[1] as number) & 0xf6) === 0xf0) {
      const headerLength = ((unit[1] as number) & 0x01) === 1 ? 7 : 9;
      const frameLength =
        (((unit[3] as number) & 0x03) << 11) | ((unit[4] as number) << 3) | ((unit[5] as number) >>> 5);
      if (frameLength === unit.length && frameLength > headerLength) {
        this.#sink.onUnit({ timestamp, data: unit.subarray(headerLength) });
        return;
      }
    }
    this.#sink.onUnit({ timestamp, data: unit });
  }

  #fail(detail: string): -1 {
    this.#error(RtpErrorCode.INVALID_AUDIO_PAYLOAD, detail);
    return -1;
  }

  #error(code: RtpErrorCode, detail: string): void {
    this.#sink.onError(code, detail);
  }
}
