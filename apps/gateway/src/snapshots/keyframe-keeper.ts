import { joinAnnexB } from '@camgate/codecs';
import type { Frame, RtspSession, Track } from '@camgate/rtsp';

/** The latest keyframe of a camera's video track: what a snapshot decodes. */
export interface Keyframe {
  codec: 'h264' | 'h265';
  /**
   * The access unit as the RTSP session delivered it: 4-byte length-prefixed NAL units (ISO/IEC
   * 14496-15 sample format), the parameter sets in front (the depacketizer puts the stored ones
   * before every keyframe). The keeper's copy: never written again once handed out.
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

/**
 * A quarter more room than the keyframe that made the copy buffer grow: a camera's keyframes vary
 * by some tens of percent with the scene, and each growth is a new buffer for the GC.
 */
const BUFFER_HEADROOM = 1.25;

let nextSequence = 1;

/** How to attach: `listen: false` when the caller listens to the session's frames and hands each to `push`. */
export interface KeyframeAttachOptions {
  listen?: boolean;
}

/**
 * Keeps the last keyframe of a session's first H.264 or H.265 video track, for snapshots. A
 * frame's data is valid only while the session's 'frame' listeners run (the receive path reuses
 * its memory), so the keeper copies each keyframe, into one buffer it reuses from keyframe to
 * keyframe: nothing is allocated per keyframe but while snapshots are taken. A keyframe handed out
 * (`latest`, `next()`) keeps its bytes: a snapshot reads them after awaiting a decode slot, seconds
 * later, so the buffer is the snapshot's from then on and the next keyframe takes a new one. Other
 * frames cost a comparison. Attach each session of a camera in turn; reset when the camera stops.
 * Waiters for the next keyframe (a snapshot of a camera that is starting) are bounded.
 */
export class KeyframeKeeper {
  #session: RtspSession | undefined;
  #track: Track | undefined;
  #detach: (() => void) | undefined;
  readonly #waiters = new Set<(keyframe: Keyframe | undefined) => void>();
  /** Where the last keyframe is copied; undefined after a reset (an idle camera holds nothing). */
  #buffer: Uint8Array | undefined;
  /** The last keyframe, described without allocating: its bytes are `#buffer`'s first `#length`. */
  #length = 0;
  #kept = false;
  #codec: Keyframe['codec'] = 'h264';
  #keptTrack: Track | undefined;
  #sequence = 0;
  #wallclock = 0;
  /** The last keyframe as handed out: `#buffer` is no longer the keeper's to write. */
  #handedOut: Keyframe | undefined;

  /** The last keyframe since the last reset, if any (its bytes stay as they are from now on). */
  get latest(): Keyframe | undefined {
    return this.#kept ? this.#handOut() : undefined;
  }

  /**
   * Listens to `session`; the keyframe of the one before is forgotten (it may be minutes old).
   * With `listen: false` the caller hands each of the session's frames to `push` itself (one
   * 'frame' listener per session instead of one per consumer).
   */
  attach(session: RtspSession, options: KeyframeAttachOptions = {}): void {
    this.detach();
    this.#forget();
    this.#session = session;
    this.#track = undefined;
    const onFrame = (frame: Frame) => this.push(frame);
    const onTrackChange = (track: Track) => {
      if (track.id === this.#track?.id) this.#track = track;
    };
    const listen = options.listen ?? true;
    if (listen) session.on('frame', onFrame);
    session.on('track-change', onTrackChange);
    this.#detach = () => {
      if (listen) session.off('frame', onFrame);
      session.off('track-change', onTrackChange);
    };
  }

  /** Stops listening to the current session; its last keyframe stays until the next session or a reset. */
  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#session = undefined;
  }

  /** Forgets the last keyframe and lets its buffer go (the camera stopped: its picture is no longer the camera's). */
  reset(): void {
    this.#forget();
    this.#buffer = undefined;
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

  /** A frame of the attached session (attached with `listen: false`); kept when it is a video keyframe. */
  push(frame: Frame): void {
    if (!frame.keyframe) return;
    const session = this.#session;
    if (session === undefined) return;
    let track = this.#track;
    if (track === undefined) {
      // The session's first video track, as the HLS stream uses it.
      track = session.tracks.find((t) => t.kind === 'video');
      if (track === undefined) return;
      this.#track = track;
    }
    if (frame.trackId !== track.id || (track.codec !== 'h264' && track.codec !== 'h265')) return;
    this.#keep(frame.data);
    this.#codec = track.codec;
    this.#keptTrack = track;
    this.#sequence = nextSequence++;
    this.#wallclock = frame.wallclock;
    if (this.#waiters.size === 0) return;
    const keyframe = this.#handOut();
    for (const done of [...this.#waiters]) done(keyframe);
  }

  /** Copies `data` into the keeper's buffer: the same one again unless it is too small or was handed out. */
  #keep(data: Uint8Array): void {
    let buffer = this.#buffer;
    if (buffer === undefined || this.#handedOut !== undefined || buffer.length < data.length) {
      const size = Math.max(buffer?.length ?? 0, data.length);
      buffer = new Uint8Array(size > (buffer?.length ?? 0) ? Math.ceil(size * BUFFER_HEADROOM) : size);
      this.#buffer = buffer;
    }
    buffer.set(data);
    this.#length = data.length;
    this.#kept = true;
    this.#handedOut = undefined;
  }

  /** The last keyframe as a Keyframe, made once per keyframe: from now on its buffer is the holder's. */
  #handOut(): Keyframe {
    if (this.#handedOut !== undefined) return this.#handedOut;
    const track = this.#keptTrack as Track;
    const { vps, sps, pps } = track.config;
    const keyframe: Keyframe = {
      codec: this.#codec,
      data: (this.#buffer as Uint8Array).subarray(0, this.#length),
      parameterSets: [vps, sps, pps].filter((set): set is Uint8Array => set !== undefined),
      ...(track.width === undefined ? {} : { width: track.width }),
      ...(track.height === undefined ? {} : { height: track.height }),
      sequence: this.#sequence,
      wallclock: this.#wallclock,
    };
    this.#handedOut = keyframe;
    return keyframe;
  }

  /** No last keyframe; the buffer stays for the next one unless it was handed out. */
  #forget(): void {
    this.#kept = false;
    this.#length = 0;
    this.#keptTrack = undefined;
    if (this.#handedOut !== undefined) this.#buffer = undefined;
    this.#handedOut = undefined;
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
