import type { Sample } from '@camgate/fmp4';

/**
 * 64 KiB: a track's first staging buffer (a few hundred audio frames, a few video frames); it
 * doubles while a part needs more (a 4 Mbit/s video part: ~100-200 KB) and is then reused.
 */
const MIN_STAGING_BYTES = 64 * 1024;

/** A frame waiting for its part, on the output timeline (ticks of its track's clock). */
export interface PendingSample {
  dts: number;
  pts: number;
  keyframe: boolean;
  wallclock: number;
  data: Uint8Array;
}

/**
 * Frames waiting to be packaged, in arrival order, and the memory their bytes are copied into: a
 * frame's data is the caller's only while push runs (the RTSP client reuses it).
 */
export class StagedSamples {
  samples: PendingSample[] = [];
  /** Pending samples are views on it, in order; it is reused once a part took them. */
  #staging: Uint8Array = new Uint8Array(0);
  #stagingUsed = 0;

  /** A copy of a frame's data in the staging memory, for a sample about to be added to `samples`. */
  stage(data: Uint8Array): Uint8Array {
    if (this.samples.length === 0) this.#stagingUsed = 0;
    if (this.#stagingUsed + data.length > this.#staging.length) this.#makeRoom(data.length);
    const copy = this.#staging.subarray(this.#stagingUsed, this.#stagingUsed + data.length);
    copy.set(data);
    this.#stagingUsed += data.length;
    return copy;
  }

  /**
   * Room for `length` more bytes: the pending samples move to the start of the staging memory (the
   * samples before them were published or dropped), into a larger one when they and the new data
   * do not fit (twice as large at least: growth stops at the largest part).
   */
  #makeRoom(length: number): void {
    let pending = 0;
    for (const sample of this.samples) pending += sample.data.length;
    const old = this.#staging;
    const target =
      pending + length <= old.length ? old : allocate(Math.max(pending + length, 2 * old.length, MIN_STAGING_BYTES));
    let at = 0;
    for (const sample of this.samples) {
      const size = sample.data.length;
      // Samples are in staging order, so a move within the same memory never overwrites one not moved yet.
      const from = sample.data.byteOffset - old.byteOffset;
      if (target === old) target.copyWithin(at, from, from + size);
      else target.set(sample.data, at);
      sample.data = target.subarray(at, at + size);
      at += size;
    }
    this.#staging = target;
    this.#stagingUsed = at;
  }
}

/** fMP4 samples from pending frames: each lasts until the next; the last until `end`. */
export function toSamples(pending: readonly PendingSample[], end: number): Sample[] {
  return pending.map((sample, i) => {
    const next = i + 1 < pending.length ? (pending[i + 1] as PendingSample).dts : end;
    return {
      duration: Math.max(1, next - sample.dts),
      compositionOffset: sample.pts - sample.dts,
      sync: sample.keyframe,
      data: sample.data,
    };
  });
}

/** A buffer of `size` bytes, not zero-filled (every byte is written before it is read). */
function allocate(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}
