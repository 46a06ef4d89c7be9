import type { RenditionName } from '../types.js';

/** A partial segment (rfc8216bis §3.2): one moof+mdat, servable once published. */
export interface Part {
  msn: number;
  index: number;
  /** Seconds. */
  duration: number;
  /** Holds an independent frame (keyframe); every audio part does. */
  independent: boolean;
  /** No media for this time (audio dropout): listed with GAP=YES, never served. */
  gap: boolean;
  bytes: Uint8Array;
  uri: string;
}

/** A media segment: the concatenation of its parts (CMAF fragments). */
export interface Segment {
  msn: number;
  uri: string;
  parts: Part[];
  /** Seconds; set when the segment is complete. */
  duration: number | undefined;
  /** EXT-X-DISCONTINUITY before this segment. */
  discontinuity: boolean;
  /** EXT-X-MAP URI in force for this segment. */
  initUri: string;
  /** EXT-X-PROGRAM-DATE-TIME, ms since the epoch. */
  programDateTime: number;
  /** The segment was cut without a keyframe (a GOP longer than TD allows). */
  forced: boolean;
  /** Monotonic ms when it left the playlist (downloadable for 3 x TD more). */
  removedAt?: number;
  /** Media seconds the rendition had published when this segment left the playlist. */
  removedAtMedia?: number;
}

export type MediaLookup =
  { kind: 'init'; bytes: Uint8Array } | { kind: 'segment'; segment: Segment } | { kind: 'part'; part: Part };

/**
 * The live window of one rendition: listed segments (the last may be open),
 * their parts, init segments, and what left the playlist recently and must stay
 * downloadable (§6.2.2). Memory is bounded by the window: `segmentCount`
 * complete segments listed, plus those removed within the last 3 x TD.
 */
/** 1000 segments listed at most: far beyond any real window (7 x 2 s); bounds a pathological stream. */
const MAX_LISTED_SEGMENTS = 1000;

export class Rendition {
  readonly name: RenditionName;
  /** Listed segments, oldest first; the last one is open while parts are being added to it. */
  readonly segments: Segment[] = [];
  /** EXT-X-MEDIA-SEQUENCE. */
  mediaSequence = 0;
  /** EXT-X-DISCONTINUITY-SEQUENCE: discontinuities that left the playlist (and those of the stream this one continues). */
  discontinuitySequence: number;
  /** Incremented on every change; playlists are cached per version. */
  version = 0;
  /** The stream ended (EXT-X-ENDLIST). */
  ended = false;
  readonly #removed: Segment[] = [];
  /** Media seconds in all segments completed so far. */
  #publishedSeconds = 0;
  readonly #inits = new Map<string, Uint8Array>();
  readonly #segmentsByUri = new Map<string, Segment>();
  readonly #partsByUri = new Map<string, Part>();
  /**
   * Part names: the stream's first MSN, then a count of parts across segments (so that a hint
   * always names the next part, whatever segment it lands in). They never repeat across the streams
   * of a camera, however many parts a segment has, just as segment names do not: a stream's first
   * MSN is beyond every MSN an earlier stream published (continued numbering, or startMsn).
   */
  readonly #partPrefix: string;
  #nextPartNumber = 0;

  /**
   * `firstMsn`: the stream's first MSN, which names its parts. `discontinuitySequence`: the
   * sequence before the first segment (that of the stream this one continues, else 0).
   */
  constructor(name: RenditionName, firstMsn = 0, discontinuitySequence = 0) {
    this.name = name;
    this.#partPrefix = `${name}-part-${firstMsn}-`;
    this.discontinuitySequence = discontinuitySequence;
  }

  /** URI of the next part to be published: what EXT-X-PRELOAD-HINT announces. */
  get nextPartUri(): string {
    return `${this.#partPrefix}${this.#nextPartNumber}.m4s`;
  }

  get openSegment(): Segment | undefined {
    const last = this.segments.at(-1);
    return last?.duration === undefined ? last : undefined;
  }

  /** The last published part, or undefined before the first. */
  get lastPart(): Part | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const part = (this.segments[i] as Segment).parts.at(-1);
      if (part !== undefined) return part;
    }
    return undefined;
  }

  /** MSN of the last listed segment (complete or open), or -1. */
  get lastMsn(): number {
    return this.segments.at(-1)?.msn ?? -1;
  }

  addInit(uri: string, bytes: Uint8Array): void {
    this.#inits.set(uri, bytes);
    this.version++;
  }

  startSegment(segment: Omit<Segment, 'parts' | 'duration' | 'uri' | 'forced'> & { forced?: boolean }): Segment {
    if (this.openSegment !== undefined) throw new Error(`${this.name}: segment ${this.openSegment.msn} is still open`);
    if (this.segments.length === 0) this.mediaSequence = segment.msn;
    const started: Segment = {
      ...segment,
      forced: segment.forced ?? false,
      uri: `${this.name}-${segment.msn}.m4s`,
      parts: [],
      duration: undefined,
    };
    this.segments.push(started);
    this.#segmentsByUri.set(started.uri, started);
    this.version++;
    return started;
  }

  addPart(duration: number, independent: boolean, bytes: Uint8Array): Part {
    return this.#add(duration, independent, false, bytes);
  }

  /** A part of the given duration without media (§4.4.4.9 GAP=YES). */
  addGapPart(duration: number): Part {
    return this.#add(duration, false, true, new Uint8Array(0));
  }

  #add(duration: number, independent: boolean, gap: boolean, bytes: Uint8Array): Part {
    const segment = this.openSegment;
    if (segment === undefined) throw new Error(`${this.name}: no open segment`);
    const index = segment.parts.length;
    const uri = this.nextPartUri;
    this.#nextPartNumber++;
    const part: Part = { msn: segment.msn, index, duration, independent, gap, bytes, uri };
    segment.parts.push(part);
    if (!gap) this.#partsByUri.set(uri, part);
    this.version++;
    return part;
  }

  /** Closes the open segment; its duration is the sum of its parts. Returns it, or undefined when none was open. */
  completeSegment(): Segment | undefined {
    const segment = this.openSegment;
    if (segment === undefined) return undefined;
    if (segment.parts.length === 0) {
      // An empty segment is never listed: it simply did not happen.
      this.segments.pop();
      this.#segmentsByUri.delete(segment.uri);
      return undefined;
    }
    segment.duration = segment.parts.reduce((sum, p) => sum + p.duration, 0);
    this.#publishedSeconds += segment.duration;
    this.version++;
    return segment;
  }

  /**
   * Keeps `segmentCount` complete segments listed; older ones leave the playlist
   * and stay downloadable for `downloadableMs`, then their memory is released.
   */
  retain(segmentCount: number, nowMs: number, downloadableMs: number, minListedSeconds = 0): void {
    const completed = this.segments.filter((s) => s.duration !== undefined);
    let complete = completed.length;
    let listedSeconds = completed.reduce((sum, s) => sum + (s.duration ?? 0), 0);
    // §6.2.2: never remove a segment if that leaves less than 3 x TD listed (short segments after
    // reconnects or forced cuts); MAX_LISTED_SEGMENTS still bounds memory whatever the durations.
    while (
      complete > segmentCount &&
      (listedSeconds - ((this.segments[0] as Segment).duration ?? 0) >= minListedSeconds - 1e-9 ||
        complete > MAX_LISTED_SEGMENTS)
    ) {
      const removed = this.segments.shift() as Segment;
      complete--;
      listedSeconds -= removed.duration ?? 0;
      this.mediaSequence = removed.msn + 1;
      // DISCONTINUITY-SEQUENCE counts the discontinuity tags that left the head (§4.4.3.3).
      if (removed.discontinuity) this.discontinuitySequence++;
      removed.removedAt = nowMs;
      removed.removedAtMedia = this.#publishedSeconds;
      this.#removed.push(removed);
      this.version++;
    }
    // Downloadable for `downloadableMs` after leaving the playlist, in wall time and in media time,
    // whichever passes first: media arriving faster than real time (a camera's backlog after a
    // network stall) must not hold more than that window's worth of media in memory.
    const expired = (segment: Segment) =>
      nowMs - (segment.removedAt ?? 0) > downloadableMs ||
      (this.#publishedSeconds - (segment.removedAtMedia ?? 0)) * 1000 > downloadableMs;
    while (this.#removed.length > 0 && expired(this.#removed[0] as Segment)) {
      const gone = this.#removed.shift() as Segment;
      this.#segmentsByUri.delete(gone.uri);
      for (const part of gone.parts) this.#partsByUri.delete(part.uri);
    }
    // An init segment lives as long as a segment that refers to it.
    const used = new Set([...this.segments, ...this.#removed].map((s) => s.initUri));
    for (const uri of this.#inits.keys()) if (!used.has(uri)) this.#inits.delete(uri);
  }

  /** Finds a published init segment, segment or part by its URI. */
  lookup(uri: string): MediaLookup | undefined {
    const init = this.#inits.get(uri);
    if (init !== undefined) return { kind: 'init', bytes: init };
    const segment = this.#segmentsByUri.get(uri);
    // A segment of GAP parts only has no media to serve (it is tagged EXT-X-GAP).
    if (segment?.duration !== undefined && !segment.parts.every((p) => p.gap)) return { kind: 'segment', segment };
    const part = this.#partsByUri.get(uri);
    return part === undefined ? undefined : { kind: 'part', part };
  }

  /** Bytes held (parts of listed and recently removed segments, and init segments). */
  get bytesHeld(): number {
    let bytes = 0;
    for (const segment of [...this.segments, ...this.#removed])
      for (const part of segment.parts) bytes += part.bytes.length;
    for (const init of this.#inits.values()) bytes += init.length;
    return bytes;
  }
}
