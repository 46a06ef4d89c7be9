import { fragmentSize, writeFragmentInto, type FragmentTrack } from '@camgate/fmp4';
import type { RenditionName } from '../types.js';
import { PartArena, type ArenaSlot } from './part-arena.js';

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
  /** Its bytes in order: one view on the rendition's arena, two when it continues into a next chunk, none for a GAP part. */
  views: readonly Uint8Array[];
  /** Bytes. */
  size: number;
  /** Where the views are in the arena (released when the part expires). */
  slot: ArenaSlot | undefined;
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
  /**
   * Seconds of the longest playlist that listed it so far: its complete segments and the open
   * segment's parts (an upper bound: measured at each segment's completion, just before removals).
   */
  longestPlaylist: number;
  /** Monotonic ms when it left the playlist. */
  removedAt?: number;
  /** Media seconds the rendition had published when this segment left the playlist. */
  removedAtMedia?: number;
}

export type MediaLookup =
  { kind: 'init'; bytes: Uint8Array } | { kind: 'segment'; segment: Segment } | { kind: 'part'; part: Part };

/** 1000 segments listed at most: far beyond any real window (7 x 2 s); bounds a pathological stream. */
const MAX_LISTED_SEGMENTS = 1000;
const NO_VIEWS: readonly Uint8Array[] = [];

/**
 * The live window of one rendition: listed segments (the last may be open), their parts, init
 * segments, and what left the playlist recently and must stay downloadable. rfc8216bis §6.2.2:
 * "When the server removes a Media Segment URI from the Playlist, the corresponding Media Segment
 * MUST remain available to clients for a period of time equal to the duration of the segment plus
 * the duration of the longest Playlist file distributed by the server containing that segment."
 * A playlist's duration is that of the media it lists: its segments' EXTINFs, and here the open
 * segment's parts too (an LL-HLS playlist lists them; counting them errs on the long side). The
 * parts of a segment live exactly as long as the segment: their EXT-X-PART tags leave the playlist
 * before the segment does (once 3 x TD from its end), and a removed segment stays for more than
 * its playlist's duration (at least 3 x TD, §6.2.2), so a part stays downloadable for more than
 * 3 x TD after its tag is gone, which is what §6.2.2 asks of partial segments.
 * Memory is bounded by the window: `segmentCount` complete segments listed, plus those removed
 * within their availability (in wall time and in media time, whichever passes first). Part bytes
 * live in the rendition's `arena` (chunks reused, see PartArena).
 */
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
  readonly #now: () => number;
  /** The memory of the parts. */
  readonly arena = new PartArena();
  #closed = false;

  /**
   * `firstMsn`: the stream's first MSN, which names its parts. `discontinuitySequence`: the
   * sequence before the first segment (that of the stream this one continues, else 0).
   */
  constructor(name: RenditionName, firstMsn = 0, discontinuitySequence = 0, now = () => performance.now()) {
    this.name = name;
    this.#now = now;
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

  startSegment(
    segment: Omit<Segment, 'parts' | 'duration' | 'uri' | 'forced' | 'longestPlaylist'> & { forced?: boolean },
  ): Segment {
    if (this.openSegment !== undefined) throw new Error(`${this.name}: segment ${this.openSegment.msn} is still open`);
    if (this.segments.length === 0) this.mediaSequence = segment.msn;
    const started: Segment = {
      ...segment,
      forced: segment.forced ?? false,
      uri: `${this.name}-${segment.msn}.m4s`,
      parts: [],
      duration: undefined,
      longestPlaylist: 0,
    };
    this.segments.push(started);
    this.#segmentsByUri.set(started.uri, started);
    this.version++;
    return started;
  }

  /**
   * Publishes a part: the CMAF fragment of `tracks` (fMP4 `sequenceNumber`), written into the
   * rendition's arena. Throws as writeFragment does (nothing is published then).
   */
  addPart(duration: number, independent: boolean, sequenceNumber: number, tracks: readonly FragmentTrack[]): Part {
    if (this.openSegment === undefined) throw new Error(`${this.name}: no open segment`);
    const size = fragmentSize(tracks);
    const slot = this.arena.write(size, (target) => writeFragmentInto(target, sequenceNumber, tracks));
    return this.#add(duration, independent, false, slot, size);
  }

  /** A part of the given duration without media (§4.4.4.9 GAP=YES). */
  addGapPart(duration: number): Part {
    return this.#add(duration, false, true, undefined, 0);
  }

  #add(duration: number, independent: boolean, gap: boolean, slot: ArenaSlot | undefined, size: number): Part {
    const segment = this.openSegment;
    if (segment === undefined) throw new Error(`${this.name}: no open segment`);
    const index = segment.parts.length;
    const uri = this.nextPartUri;
    this.#nextPartNumber++;
    const views = slot?.views ?? NO_VIEWS;
    const part: Part = { msn: segment.msn, index, duration, independent, gap, views, size, slot, uri };
    segment.parts.push(part);
    if (!gap) this.#partsByUri.set(uri, part);
    this.version++;
    // Removed segments expire as time passes, not only when a segment completes: their chunks
    // come back while the next parts are written.
    this.#expire(this.#now());
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
   * Keeps `segmentCount` complete segments listed (never less than `minListedSeconds` of them,
   * §6.2.2: 3 x TD); older ones leave the playlist and stay downloadable for their duration plus
   * that of the longest playlist that listed them (§6.2.2), then their memory is released.
   */
  retain(segmentCount: number, nowMs: number, minListedSeconds = 0): void {
    // Free part memory the last segment's parts did not need goes, before this one's expiries add more.
    this.arena.trim();
    const completed = this.segments.filter((s) => s.duration !== undefined);
    let complete = completed.length;
    let listedSeconds = completed.reduce((sum, s) => sum + (s.duration ?? 0), 0);
    // The playlist as it was just before this segment completed, at most: listed segments and the
    // open one's parts (an open segment with parts is an audio-only stream's, or one being built).
    const open = this.openSegment;
    const playlist = listedSeconds + (open === undefined ? 0 : open.parts.reduce((sum, p) => sum + p.duration, 0));
    for (const segment of this.segments) segment.longestPlaylist = Math.max(segment.longestPlaylist, playlist);
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
    this.#expire(nowMs);
  }

  /**
   * Releases the removed segments whose availability is over: their duration plus their longest
   * playlist's after they left the playlist, in wall time and in media time, whichever passes
   * first: media arriving faster than real time (a camera's backlog after a network stall) must
   * not hold more than that window's worth of media in memory.
   */
  #expire(nowMs: number): void {
    let expired = false;
    while (this.#removed.length > 0) {
      const segment = this.#removed[0] as Segment;
      const available = (segment.duration ?? 0) + segment.longestPlaylist;
      const wall = (nowMs - (segment.removedAt ?? 0)) / 1000;
      const media = this.#publishedSeconds - (segment.removedAtMedia ?? 0);
      if (wall <= available && media <= available) break;
      this.#removed.shift();
      this.#drop(segment);
      expired = true;
    }
    if (!expired) return;
    // An init segment lives as long as a segment that refers to it.
    const used = new Set([...this.segments, ...this.#removed].map((s) => s.initUri));
    for (const uri of this.#inits.keys()) if (!used.has(uri)) this.#inits.delete(uri);
  }

  /** Forgets a segment and gives its parts' memory back to the arena. */
  #drop(segment: Segment): void {
    this.#segmentsByUri.delete(segment.uri);
    for (const part of segment.parts) {
      this.#partsByUri.delete(part.uri);
      if (part.slot !== undefined) this.arena.release(part.slot);
      part.slot = undefined;
      part.views = NO_VIEWS;
      part.size = 0;
    }
  }

  /**
   * Keeps the memory of `parts` until the returned function is called (a response being sent from
   * it): the arena does not reuse it meanwhile, even once the parts expired. Idempotent.
   */
  lease(parts: readonly Part[]): () => void {
    const slots: ArenaSlot[] = [];
    for (const part of parts) if (part.slot !== undefined) slots.push(part.slot);
    return this.arena.lease(slots);
  }

  /**
   * The stream is closed: every part's memory is released (what is leased, once its leases end)
   * and nothing is found any more; the segments stay listed (positions, reports).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const segment of [...this.segments, ...this.#removed]) this.#drop(segment);
    this.#removed.length = 0;
    this.#inits.clear();
    this.arena.close();
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

  /** Media bytes held (parts of listed and recently removed segments, and init segments). */
  get bytesHeld(): number {
    let bytes = 0;
    for (const segment of this.segments) for (const part of segment.parts) bytes += part.size;
    for (const segment of this.#removed) for (const part of segment.parts) bytes += part.size;
    for (const init of this.#inits.values()) bytes += init.length;
    return bytes;
  }

  /** Bytes of the arena's chunks (held, leased and free parts' memory) and the init segments. */
  get bytesReserved(): number {
    let bytes = this.arena.bytesReserved;
    for (const init of this.#inits.values()) bytes += init.length;
    return bytes;
  }
}
