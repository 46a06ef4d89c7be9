import type { PacketizedFrame, PacketizedTrack } from './packetized-clip.js';

/** Receives every frame of a stream as it becomes due. `rtpTime` is the frame's running RTP time (loops added). */
export interface StreamSubscriber {
  onFrame(trackIndex: number, frame: PacketizedFrame, rtpTime: number, frameNumber: number): void;
}

/**
 * Plays a packetized clip in real time, looped with continuous timestamps,
 * like a camera: one timer per stream whatever the number of viewers, every
 * subscriber gets the same frames at the same moment. Runs only while
 * someone subscribes.
 */
export class StreamPlayer {
  readonly tracks: readonly PacketizedTrack[];
  readonly #subscribers = new Set<StreamSubscriber>();
  readonly #cursors: Array<{ loop: number; index: number }>;
  readonly #frameNumbers: number[];
  #startMs = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  constructor(tracks: readonly PacketizedTrack[], now: () => number = () => performance.now()) {
    this.tracks = tracks;
    this.#now = now;
    this.#cursors = tracks.map(() => ({ loop: 0, index: 0 }));
    this.#frameNumbers = tracks.map(() => 0);
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  subscribe(subscriber: StreamSubscriber): void {
    this.#subscribers.add(subscriber);
    if (this.#timer === undefined && this.#subscribers.size === 1) {
      this.#startMs = this.#now();
      for (const cursor of this.#cursors) {
        cursor.loop = 0;
        cursor.index = 0;
      }
      this.#tick();
    }
  }

  unsubscribe(subscriber: StreamSubscriber): void {
    this.#subscribers.delete(subscriber);
    if (this.#subscribers.size === 0) this.stop();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #dueMs(trackIndex: number): number {
    const track = this.tracks[trackIndex] as PacketizedTrack;
    const cursor = this.#cursors[trackIndex] as { loop: number; index: number };
    const frame = track.frames[cursor.index] as PacketizedFrame;
    return this.#startMs + cursor.loop * track.durationMs + frame.sendMs;
  }

  #tick(): void {
    this.#timer = undefined;
    const now = this.#now();
    let next = Infinity;
    this.tracks.forEach((track, i) => {
      const cursor = this.#cursors[i] as { loop: number; index: number };
      let due = this.#dueMs(i);
      while (due <= now && this.#subscribers.size > 0) {
        const frame = track.frames[cursor.index] as PacketizedFrame;
        const rtpTime = cursor.loop * track.durationTicks + frame.rtpOffset;
        const number = (this.#frameNumbers[i] as number) + 1;
        this.#frameNumbers[i] = number;
        for (const subscriber of this.#subscribers) subscriber.onFrame(i, frame, rtpTime, number);
        cursor.index++;
        if (cursor.index === track.frames.length) {
          cursor.index = 0;
          cursor.loop++;
        }
        due = this.#dueMs(i);
      }
      next = Math.min(next, due);
    });
    if (this.#subscribers.size > 0 && Number.isFinite(next)) {
      this.#timer = setTimeout(() => this.#tick(), Math.max(0, next - this.#now()));
    }
  }
}
