import type { RtpPacket } from '../rtp-packet.js';
import type { AudioUnit } from './audio-unit.js';
import type { DepacketizerSink } from './video-depacketizer.js';

/**
 * Formats where each packet's payload is one frame: G.711 PCMA/PCMU (RFC 3551
 * §4.5.14) and Opus (RFC 7587). The frame is a view on the packet.
 */
export class FrameDepacketizer {
  readonly #sink: DepacketizerSink<AudioUnit>;
  #lastSequence = -1;

  constructor(sink: DepacketizerSink<AudioUnit>) {
    this.#sink = sink;
  }

  push(packet: RtpPacket): void {
    if (packet.sequenceNumber === this.#lastSequence) return; // duplicate
    this.#lastSequence = packet.sequenceNumber;
    if (packet.payloadEnd > packet.payloadStart) {
      this.#sink.onUnit({ timestamp: packet.timestamp, data: packet.payload });
    }
  }
}
