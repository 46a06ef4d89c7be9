import type { TrackReceiver } from './track-receiver.js';

/** Interleaved channel ids are one byte (RFC 2326 §10.12). */
const CHANNELS = 256;

/**
 * Routes interleaved frames (RFC 2326 §10.12) to track receivers: each channel
 * is the RTP or the RTCP of one track. This is what RtspSession runs for every
 * packet over TCP, between the connection's MessageReader and the tracks, and
 * what the receive benchmark measures. One lookup per packet, no allocation.
 */
export class InterleavedDemux {
  /** Monotonic ms (performance.now()) of the last frame, on any channel. */
  lastDataAt = 0;
  /** Frames on a channel never set up (retina: "some broken IP cameras"): ignored, counted. */
  unassigned = 0;
  readonly #receivers: Array<TrackReceiver | undefined> = new Array<TrackReceiver | undefined>(CHANNELS).fill(
    undefined,
  );
  readonly #rtcp = new Uint8Array(CHANNELS);

  /** Sends `channels` (RTP, RTCP) to `receiver`. A channel already routed keeps its first track. */
  route(receiver: TrackReceiver, channels: readonly [number, number]): void {
    channels.forEach((channel, index) => {
      if (!Number.isInteger(channel) || channel < 0 || channel >= CHANNELS) return;
      if (this.#receivers[channel] !== undefined) return;
      this.#receivers[channel] = receiver;
      this.#rtcp[channel] = index;
    });
  }

  /** Forgets every route (a new connection sets its channels up again). */
  clear(): void {
    this.#receivers.fill(undefined);
    this.#rtcp.fill(0);
  }

  /** One interleaved frame; `payload` is valid only during this call (the receivers copy what they keep). */
  push(channel: number, payload: Uint8Array): void {
    const now = performance.now();
    this.lastDataAt = now;
    const receiver = this.#receivers[channel];
    if (receiver === undefined) {
      this.unassigned++;
      return;
    }
    if (this.#rtcp[channel] === 0) receiver.pushRtp(payload, now);
    else receiver.pushRtcp(payload, now);
  }
}
