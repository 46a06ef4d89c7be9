import { RtpErrorCode } from '../errors.js';
import type { RtpPacket } from '../rtp-packet.js';
import { sequenceDistance } from '../sequence.js';
import type { AudioUnit } from './audio-unit.js';
import { MAX_AAC_ACCESS_UNIT_BYTES } from './aac-depacketizer.js';
import type { DepacketizerSink } from './video-depacketizer.js';

/** 64 KiB for one AudioMuxElement reassembled over packets: several access units at most. */
const MAX_ELEMENT_BYTES = 64 * 1024;

/**
 * AAC in LATM (RFC 3016 `MP4A-LATM`) with the configuration out of band
 * (`cpresent=0`): each AudioMuxElement holds `numSubFrames + 1` payloads,
 * each preceded by its PayloadLengthInfo (ISO/IEC 14496-3 §1.7.3.2); an element
 * may be fragmented over packets, the marker bit ending it. Units are views on
 * the packet or on the reassembly buffer, valid only while the sink's onUnit runs.
 */
export class LatmDepacketizer {
  readonly #sink: DepacketizerSink<AudioUnit>;
  readonly #subFrames: number;
  readonly #frameLength: number;
  #buffer = new Uint8Array(0);
  #length = 0;
  #timestamp = 0;
  #expectedSequence = -1;

  constructor(config: { numSubFrames: number; frameLength: number }, sink: DepacketizerSink<AudioUnit>) {
    this.#subFrames = config.numSubFrames + 1;
    this.#frameLength = config.frameLength;
    this.#sink = sink;
  }

  push(packet: RtpPacket): void {
    if (this.#expectedSequence >= 0 && packet.sequenceNumber !== this.#expectedSequence) {
      const gap = sequenceDistance(this.#expectedSequence, packet.sequenceNumber);
      if (gap < 0 && gap > -64) return;
      if (this.#length > 0) this.#sink.onError(RtpErrorCode.INCOMPLETE_FRAGMENT, 'LATM element cut by packet loss');
      this.#length = 0;
      this.#sink.onError(RtpErrorCode.PACKET_LOSS, 'sequence gap');
    }
    this.#expectedSequence = (packet.sequenceNumber + 1) & 0xffff;
    if (this.#length > 0 && packet.timestamp !== this.#timestamp) {
      this.#sink.onError(RtpErrorCode.INCOMPLETE_FRAGMENT, 'LATM element without its end, dropped');
      this.#length = 0;
    }
    if (this.#length === 0) this.#timestamp = packet.timestamp;
    const payload = packet.data.subarray(packet.payloadStart, packet.payloadEnd);
    if (!packet.marker || this.#length > 0) {
      if (this.#length + payload.length > MAX_ELEMENT_BYTES) {
        this.#length = 0;
        this.#sink.onError(RtpErrorCode.INVALID_AUDIO_PAYLOAD, 'LATM element too large');
        return;
      }
      if (this.#buffer.length < this.#length + payload.length) {
        const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + payload.length, 2048));
        grown.set(this.#buffer.subarray(0, this.#length));
        this.#buffer = grown;
      }
      this.#buffer.set(payload, this.#length);
      this.#length += payload.length;
      if (!packet.marker) return;
      // A view: its units are handed over before the next packet writes the buffer again.
      const element = this.#buffer.subarray(0, this.#length);
      this.#length = 0;
      this.#parse(element);
    } else {
      this.#parse(payload);
    }
  }

  #parse(element: Uint8Array): void {
    let at = 0;
    let index = 0;
    while (at < element.length) {
      for (let sub = 0; sub < this.#subFrames; sub++) {
        let length = 0;
        for (;;) {
          if (at >= element.length) {
            this.#fail('PayloadLengthInfo runs past the element');
            return;
          }
          const byte = element[at++] as number;
          length += byte;
          if (byte !== 0xff) break;
        }
        if (length > MAX_AAC_ACCESS_UNIT_BYTES || at + length > element.length) {
          this.#fail(`LATM payload of ${length} bytes does not fit`);
          return;
        }
        if (length > 0) {
          this.#sink.onUnit({
            timestamp: (this.#timestamp + index * this.#frameLength) >>> 0,
            data: element.subarray(at, at + length),
          });
        }
        at += length;
        index++;
      }
    }
  }

  #fail(detail: string): void {
    this.#sink.onError(RtpErrorCode.INVALID_AUDIO_PAYLOAD, detail);
  }
}
