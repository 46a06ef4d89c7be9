import { joinAnnexB } from '@camgate/codecs';
import type { Frame, RtspSession, Track } from '@camgate/rtsp';

/** The latest keyframe of a camera's video track: what a snapshot decodes. */
export interface Keyframe {
  codec: 'h264' | 'h265';
  /**
   * The access unit as the RTSP session delivered it: 4-byte length-prefixed NAL units (ISO/IEC
   * 14496-15 sample format), the parameter sets in front (the depacketizer puts the stored ones
   * before every keyframe). A view on the session's slab, never written again: kept, not copied.
   */
  data: Uint8Array;
  /** The track's parameter sets (VPS, SPS, PPS) when the frame came, for a unit that lacks them. */
  parameterSets: readonly Uint8Array[];
  /** The picture size from the SPS, when known. */
  width?: number;
  height?: number;
  /** Increases with every keyframe kept by any keeper: names this one (cache keys). */
  sequence: number;
  /** Wall-clock ms since the epoch (camera's RTCP sender reports when known, else arrival). */
  wallclock: number;
}

/**
 * 1024 requests waiting for a keyframe per camera at most; beyond it they are answered at once
 * (503), so a flood of snapshot requests for an idle camera holds no unbounded list.
 */
export const MAX_KEYFRAME_WAITERS = 1024;

let nextSequence = 1;

/**
 * Keeps the last keyframe of a session's first H.264 or H.265 video track, for snapshots: one
 * reference to the frame's data per keyframe (the previous one is let go), nothing per other
 * frame but a comparison. Attach each session of a camera in turn; reset when the camera stops.
 * Waiters for the next keyframe (a snapshot of a camera that is starting) are bounded.
 */
export class KeyframeKeeper {
  #latest: Keyframe | undefined;
  #track: Track | undefined;
  #detach: (() => void) | undefined;
  readonly #waiters = new Set<(keyframe: Keyframe | undefined) => void>();

  /** The last keyframe since the last reset, if any. */
  get latest(): Keyframe | undefined {
    return this.#latest;
  }

  /** Listens to `session`; the keyframe of the one before is forgotten (it may be minutes old). */
  attach(session: RtspSession): void {
    this.detach();
    this.#latest = undefined;
    this.#track = undefined;
    const onFrame = (frame: Frame) => this.#onFrame(session, frame);
    const onTrackChange = (track: Track) => {
      if (track.id === this.#track?.id) this.#track = track;
    };
    session.on('frame', onFrame);
    session.on('track-change', onTrackChange);
    this.#detach = () => {
      session.off('frame', onFrame);
      session.off('track-change', onTrackChange);
    };
  }

  /** Stops listening to the current session; its last keyframe stays until the next session or a reset. */
  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  /** Forgets the last keyframe (the camera stopped: its picture is no longer the camera's). */
  reset(): void {
    this.#latest = undefined;
  }

  /**
   * The next keyframe, or undefined after `timeoutMs`, when `signal` aborts, or at once when
   * {@link MAX_KEYFRAME_WAITERS} requests wait already.
   */
  next(timeoutMs: number, signal?: AbortSignal): Promise<Keyframe | undefined> {
    if (signal?.aborted === true || this.#waiters.size >= MAX_KEYFRAME_WAITERS) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (keyframe: Keyframe | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.#waiters.delete(done);
        resolve(keyframe);
      };
      const abort = () => done(undefined);
      const timer = setTimeout(abort, timeoutMs);
      signal?.addEventListener('abort', abort, { once: true });
      this.#waiters.add(done);
    });
  }

  /** Releases every waiter (the camera is closing). */
  close(): void {
    this.detach();
    this.reset();
    for (const done of [...this.#waiters]) done(undefined);
  }

  #onFrame(session: RtspSession, frame: Frame): void {
    if (!frame.keyframe) return;
    let track = this.#track;
    if (track === undefined) {
      // The session's first video track, as the HLS stream uses it.
      track = session.tracks.find((t) => t.kind === 'video');
      if (track === undefined) return;
      this.#track = track;
    }
    if (frame.trackId !== track.id || (track.codec !== 'h264' && track.codec !== 'h265')) return;
    const { vps, sps, pps } = track.config;
    const keyframe: Keyframe = {
      codec: track.codec,
      data: frame.data,
      parameterSets: [vps, sps, pps].filter((set): set is Uint8Array => set !== undefined),
      ...(track.width === undefined ? {} : { width: track.width }),
      ...(track.height === undefined ? {} : { height: track.height }),
      sequence: nextSequence++,
      wallclock: frame.wallclock,
    };
    this.#latest = keyframe;
    for (const done of [...this.#waiters]) done(keyframe);
  }
}

/** H.264 nal_unit_type (§7.4.1) or H.265 nal_unit_type (§7.4.2.2) of a NAL unit's first byte. */
function nalType(codec: Keyframe['codec'], firstByte: number): number {
  return codec === 'h264' ? firstByte & 0x1f : (firstByte >>> 1) & 0x3f;
}

/** Parameter-set NAL unit types: H.264 SPS 7, PPS 8; H.265 VPS 32, SPS 33, PPS 34. */
const PARAMETER_SET_TYPES = { h264: [7, 8], h265: [32, 33, 34] } as const;

/**
 * The keyframe as an Annex B byte stream (H.264 Annex B, H.265 Annex B: a start code before each
 * NAL unit), what ffmpeg reads from a pipe with `-f h264` / `-f hevc`. The track's parameter sets go
 * in front when the access unit does not carry them. Built once per decode, not per frame.
 */
export function keyframeAnnexB(keyframe: Keyframe): Uint8Array {
  const nals: Uint8Array[] = [];
  const { data } = keyframe;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at + 4 <= data.length;) {
    const size = view.getUint32(at);
    if (size === 0 || at + 4 + size > data.length) break;
    nals.push(data.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  const typeOf = (nal: Uint8Array) => nalType(keyframe.codec, nal[0] as number);
  const wanted: readonly number[] = PARAMETER_SET_TYPES[keyframe.codec];
  let all = nals;
  const own = new Map(nals.filter((nal) => wanted.includes(typeOf(nal))).map((nal) => [typeOf(nal), nal]));
  if (own.size < wanted.length) {
    // In their order (a PPS names its SPS, which a decoder must have read first): the unit's own
    // where it has them, the track's for the others; then the rest of the unit.
    const track = new Map(keyframe.parameterSets.filter((set) => set.length > 0).map((set) => [typeOf(set), set]));
    const sets = wanted.flatMap((type) => {
      const set = own.get(type) ?? track.get(type);
      return set === undefined ? [] : [set];
    });
    all = [...sets, ...nals.filter((nal) => !wanted.includes(typeOf(nal)))];
  }
  return joinAnnexB(all);
}
