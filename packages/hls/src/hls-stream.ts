import { streamStart, type StreamContinuation, type StreamPosition } from './continuation.js';
import { renderMediaPlaylist, STANDARD_VERSION, type RenditionReport } from './playlist/media-playlist.js';
import { renderMultivariantPlaylist } from './playlist/multivariant-playlist.js';
import { Segmenter, type SegmenterStats } from './segmenter/segmenter.js';
import { parseDirectives, rejectsDirectives, satisfies, type PlaylistPosition } from './serve/blocking-request.js';
import { Waiters } from './serve/waiters.js';
import type { Part, Rendition } from './store/rendition.js';
import type { StreamTiming } from './timing/stream-timing.js';
import type { FrameSink, HlsFrame, HlsResponse, HlsTrack, RenditionName } from './types.js';

export interface HlsStreamOptions {
  /** Nominal part duration (default 200 ms): made of whole frames. */
  partDurationMs?: number;
  /** Configured segment duration (default 2000 ms); the target duration is max(this, first GOP). */
  segmentDurationMs?: number;
  /** Complete segments listed (default 7, Apple's minimum of 6 plus the one being built). */
  segmentCount?: number;
  /**
   * First media sequence number. Default: the current Unix time in seconds, so
   * MSNs never go back across restarts (players asking for an old MSN get the
   * playlist at once instead of 400 forever: mediamtx#4320), and media names
   * never repeat (long cache lifetimes stay safe).
   */
  startMsn?: number;
  /**
   * Where the camera's previous stream stopped, when this one takes over from it (another process
   * published it): the first segment gets the MSN after it (after `unreportedSegments` more when
   * not `final`), or `startMsn` if that is larger, and follows an EXT-X-DISCONTINUITY with the
   * Discontinuity Sequence Number after the previous stream's, so that a player of the previous
   * stream carries on with this one. A request for an MSN the new stream skipped gets its playlist
   * at once. startMsn's default (the Unix time) does not apply. Throws HLS_INVALID_OPTIONS for
   * numbers that are not integers from 0 to 2^52 (startMsn's too).
   */
  continueFrom?: StreamContinuation;
  /**
   * Other video variants of the same camera (a transcoded H.264 copy), listed in the multivariant
   * playlists after the main variant, sharing its audio; their files are `<path>/<file>` under this
   * stream's path, answered by the variant's `handle`. Asked again at each multivariant request.
   */
  extraVariants?: () => readonly ExtraVariant[];
  /**
   * Output times are the frames' own (no re-basing to 10 s at the start and after discontinuities):
   * for a variant whose frames already carry another stream's output times (`videoOutputTime`),
   * so that both variants' fragments share one timeline and one audio rendition plays with either.
   */
  inputTimeline?: boolean;
  /**
   * TARGETDURATION and PART-TARGET at least these: the main stream's, for a variant listed in its
   * multivariant playlist (its renditions must share them, rfc8216bis §6.2.4).
   */
  timingFloor?: { targetDuration: number; partTarget: number };
  /**
   * Rendition reports of renditions another stream serves (the other variant's), added to this
   * stream's media playlists; URIs relative to them.
   */
  externalReports?: () => readonly RenditionReport[];
  /** How long a request waits for a stream that has not produced its first parts yet (default 10 s). */
  readyTimeoutMs?: number;
  /** Monotonic clock in ms (tests). */
  now?: () => number;
}

/** A variant another stream serves (see `HlsStreamOptions.extraVariants`). */
export interface ExtraVariant {
  /** One path segment (`h264`): its media playlists are `<path>/video.m3u8` and `<path>/standard-video.m3u8`. */
  path: string;
  /** RFC 6381 codec string of its video, known before it runs (players choose by it). */
  codec: string;
  /** Its video's peak bit rate, bits/s (the audio's is added). */
  bandwidth: number;
  width?: number;
  height?: number;
  frameRate?: number;
  /** Answers a request for `<path>/<name>`. */
  handle(name: string, query: URLSearchParams, signal?: AbortSignal): Promise<HlsResponse>;
}

export interface HlsStreamStats extends SegmenterStats {
  /** Requests being held (blocking reloads, hinted parts, waiting for the stream to start). */
  waiting: number;
  /** Media bytes held in memory (listed and recently removed segments, init segments). */
  bytesHeld: number;
  /**
   * Memory reserved for them: the renditions' part chunks (held, leased by responses being sent,
   * and free ones kept for reuse) and the init segments; bytesReserved - bytesHeld is the overhead.
   */
  bytesReserved: number;
  /** Part memory chunks allocated so far (own buffers of outsized parts included): a steady stream stops allocating. */
  chunksAllocated: number;
}

export const PLAYLIST_NAMES = { multivariant: 'index.m3u8', video: 'video.m3u8', audio: 'audio.m3u8' } as const;

/**
 * The same stream as standard HLS: whole segments, no parts, no blocking reloads; the same media
 * files. For players that should not hold a request open per playlist (a wall of tiles in one
 * browser, which has 6 HTTP/1.1 connections per origin), and players older than LL-HLS.
 */
export const STANDARD_PLAYLIST_NAMES = {
  multivariant: 'standard.m3u8',
  video: 'standard-video.m3u8',
  audio: 'standard-audio.m3u8',
} as const;

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
/** Media names never repeat (MSNs grow across restarts), so they may be cached for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * One camera's LL-HLS stream, independent of any HTTP server: frames go in,
 * and `handle(name, query)` answers every request under the stream's path
 * with a status, headers and body, holding blocking requests until they can be
 * answered (rfc8216bis §6.2.5.2), or until 3 x TD (503).
 */
export class HlsStream implements FrameSink {
  readonly #segmenter: Segmenter;
  readonly #waiters: Waiters;
  readonly #options: Required<
    Omit<
      HlsStreamOptions,
      'startMsn' | 'continueFrom' | 'now' | 'extraVariants' | 'inputTimeline' | 'timingFloor' | 'externalReports'
    >
  >;
  readonly #extraVariants: (() => readonly ExtraVariant[]) | undefined;
  readonly #externalReports: (() => readonly RenditionReport[]) | undefined;
  readonly #now: () => number;
  readonly #cache = new Map<string, { key: string; text: string }>();
  #closed = false;

  constructor(options: HlsStreamOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#options = {
      partDurationMs: options.partDurationMs ?? 200,
      segmentDurationMs: options.segmentDurationMs ?? 2000,
      segmentCount: options.segmentCount ?? 7,
      readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
    };
    this.#extraVariants = options.extraVariants;
    this.#externalReports = options.externalReports;
    const start = streamStart(options.startMsn, options.continueFrom, () => Math.floor(Date.now() / 1000));
    this.#waiters = new Waiters(this.#now);
    this.#segmenter = new Segmenter({
      partDuration: this.#options.partDurationMs / 1000,
      segmentDuration: this.#options.segmentDurationMs / 1000,
      segmentCount: this.#options.segmentCount,
      startMsn: start.firstMsn,
      ...(start.continuesDiscontinuity === undefined ? {} : { continuesDiscontinuity: start.continuesDiscontinuity }),
      now: this.#now,
      ...(options.inputTimeline === true ? { inputTimeline: true } : {}),
      ...(options.timingFloor === undefined ? {} : { timingFloor: options.timingFloor }),
      onChange: () => this.#waiters.notify(),
    });
  }

  /**
   * Sets a track before the first frame, or updates it later: a different codec configuration
   * gets a new init segment after a discontinuity; the same one again (a reconnect) changes nothing.
   * Throws HLS_INVALID_TRACK for a track added once frames flow, or a changed clock rate.
   */
  setTrack(track: HlsTrack): void {
    this.#segmenter.setTrack(track);
  }

  push(frame: HlsFrame): void {
    if (!this.#closed) this.#segmenter.push(frame);
  }

  /** The following frames come from a new connection: EXT-X-DISCONTINUITY, timelines continue. */
  markDiscontinuity(): void {
    this.#segmenter.markDiscontinuity();
  }

  /** The stream is over: playlists get EXT-X-ENDLIST. */
  end(): void {
    if (!this.#closed) this.#segmenter.end();
  }

  /**
   * Releases every held request (answered 404) and all media (the memory of responses still being
   * sent once they release it); every later request gets 404.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    this.#waiters.releaseAll();
    this.#segmenter.close();
  }

  /** The fixed numbers and the first parts exist: playlists can be served. */
  get ready(): boolean {
    return this.#segmenter.timing !== undefined && this.#segmenter.renditions.every((r) => r.lastPart !== undefined);
  }

  /**
   * Where a video frame with input time `dts` (the last one pushed, or a later one of the same
   * epoch) lies on this stream's output timeline, in the track's clock; undefined before the video
   * started or while a new epoch waits for its first frame.
   */
  videoOutputTime(dts: number): number | undefined {
    return this.#segmenter.videoOutputTime(dts);
  }

  /**
   * Where each rendition's latest part is, as rendition reports for another stream's playlists
   * (the other variant's), with `prefix` before the URIs (`h264/`, `../`).
   */
  reports(prefix = ''): RenditionReport[] {
    if (this.#closed) return [];
    return this.#segmenter.renditions.flatMap((rendition) => {
      const last = rendition.lastPart;
      return last === undefined || rendition.ended
        ? []
        : [{ uri: prefix + PLAYLIST_NAMES[rendition.name], lastMsn: last.msn, lastPart: last.index }];
    });
  }

  /**
   * Parts published so far by the track that drives the part clock (video, or audio in an
   * audio-only stream; audio parts that follow video parts are not counted): a counter to compare
   * after a push (read batching: a new part just went out).
   */
  get partsPublished(): number {
    return this.#segmenter.stats.parts;
  }

  /**
   * Video parts whose audio part has not gone out yet (audio parts close on the first audio frame
   * past the video part's end, a little after it); 0 without audio. Read batching waits for 0.
   */
  get audioPartsOwed(): number {
    return this.#segmenter.audioPartsOwed;
  }

  get timing(): StreamTiming | undefined {
    return this.#segmenter.timing;
  }

  /**
   * MSN and Discontinuity Sequence Number of the latest segment (the open one, whose parts may have
   * been served): what a later stream of the camera continues from (`continueFrom`). It never goes
   * back, and costs no more than reading two fields (no playlist is rendered). Undefined before the first segment, except in a continued
   * stream, which reports the position just before its first MSN from the start (so a stream that
   * continues it before it published anything still starts beyond every name it may publish).
   */
  get position(): StreamPosition | undefined {
    return this.#segmenter.position;
  }

  get stats(): HlsStreamStats {
    return {
      ...this.#segmenter.stats,
      waiting: this.#waiters.size,
      bytesHeld: this.#segmenter.renditions.reduce((n, r) => n + r.bytesHeld, 0),
      bytesReserved: this.#segmenter.renditions.reduce((n, r) => n + r.bytesReserved, 0),
      chunksAllocated: this.#segmenter.renditions.reduce((n, r) => n + r.arena.chunksAllocated, 0),
    };
  }

  /** Resolves true once ready, false after `timeoutMs`, when closed, or when `signal` aborts. */
  async whenReady(timeoutMs = this.#options.readyTimeoutMs, signal?: AbortSignal): Promise<boolean> {
    if (this.ready) return true;
    if (this.#closed) return false;
    const timedOut = await this.#waiters.wait(() => this.ready || this.#closed, timeoutMs, signal);
    return !timedOut && !this.#closed;
  }

  /**
   * Answers a request for `name` (a file under the stream's path) with the query of its URL. A held
   * request whose `signal` aborts (its client went away) stops waiting at once; its answer is moot.
   * A media answer (a part, a segment) has a `release`: its bytes are views on memory the stream
   * reuses, kept for it until the sender calls `release` once it has written the body out or given
   * it up (the HTTP response's 'close'), and every answer that has one must be released.
   */
  async handle(
    name: string,
    query: URLSearchParams = new URLSearchParams(),
    signal?: AbortSignal,
  ): Promise<HlsResponse> {
    if (this.#closed) return notFound();
    const slash = name.indexOf('/');
    if (slash !== -1) {
      const find = () => this.#extraVariants?.().find((v) => v.path === name.slice(0, slash));
      // A variant is known from the stream's tracks: a request before they are waits for them.
      if (find() === undefined && !this.ready) await this.whenReady(undefined, signal);
      const variant = find();
      return variant === undefined ? notFound() : variant.handle(name.slice(slash + 1), query, signal);
    }
    if (name === PLAYLIST_NAMES.multivariant) return this.#multivariant(PLAYLIST_NAMES, signal);
    if (name === PLAYLIST_NAMES.video || name === PLAYLIST_NAMES.audio) {
      return this.#mediaPlaylist(name === PLAYLIST_NAMES.video ? 'video' : 'audio', query, signal);
    }
    if (name === STANDARD_PLAYLIST_NAMES.multivariant) return this.#multivariant(STANDARD_PLAYLIST_NAMES, signal);
    if (name === STANDARD_PLAYLIST_NAMES.video || name === STANDARD_PLAYLIST_NAMES.audio) {
      return this.#standardPlaylist(name === STANDARD_PLAYLIST_NAMES.video ? 'video' : 'audio', signal);
    }
    return this.#media(name, signal);
  }

  // ------------------------------------------------------------------ playlists

  async #multivariant(
    names: typeof PLAYLIST_NAMES | typeof STANDARD_PLAYLIST_NAMES,
    signal: AbortSignal | undefined,
  ): Promise<HlsResponse> {
    if (!(await this.whenReady(undefined, signal)))
      return this.#closed ? notFound() : unavailable('the stream has not started', 1);
    const { video, audio } = this.#segmenter.tracks;
    const { peak, average } = this.#bandwidth();
    const sound = audio === undefined ? { peak: 0, average: 0 } : this.#bandwidth('audio');
    const extras = video === undefined ? [] : (this.#extraVariants?.() ?? []);
    // Never advertised cheaper than the main variant's measured video: hls.js starts on the codec
    // set whose lowest BANDWIDTH is lowest (getStartCodecTier), and a planned figure below the
    // camera's would start every browser on the extra variant (an ffmpeg per camera for nothing).
    const picture = extras.length === 0 ? { peak: 0, average: 0 } : this.#bandwidth('video');
    const extra = extras.map((v) => ({
      uri: `${v.path}/${names.video}`,
      codec: v.codec,
      bandwidth: Math.max(v.bandwidth, picture.peak) + sound.peak,
      averageBandwidth: Math.max(v.bandwidth, picture.average) + sound.average,
      ...optional('width', v.width),
      ...optional('height', v.height),
      // The same pictures: the main variant's rate when the variant does not know its own.
      ...optional('frameRate', v.frameRate ?? video?.fps ?? this.#measuredFrameRate()),
    }));
    const text = renderMultivariantPlaylist({
      codecs: this.#segmenter.codecs,
      bandwidth: peak,
      averageBandwidth: average,
      ...(names === STANDARD_PLAYLIST_NAMES ? { version: STANDARD_VERSION } : {}),
      independentSegments: !(this.#segmenter.video?.segments.some((s) => s.forced) ?? false),
      ...(video === undefined
        ? {}
        : {
            video: {
              uri: names.video,
              ...optional('width', video.width),
              ...optional('height', video.height),
              ...optional('frameRate', video.fps ?? this.#measuredFrameRate()),
            },
          }),
      ...(audio === undefined ? {} : { audio: { uri: names.audio, ...optional('channels', audio.channels) } }),
      ...(extra.length === 0 ? {} : { extra }),
    });
    return { status: 200, headers: { 'content-type': PLAYLIST_TYPE, 'cache-control': 'no-cache' }, body: text };
  }

  async #mediaPlaylist(
    name: RenditionName,
    query: URLSearchParams,
    signal: AbortSignal | undefined,
  ): Promise<HlsResponse> {
    const parsed = parseDirectives(query);
    const blocking = query.has('_HLS_msn');
    if (!parsed.ok) return badRequest(parsed.reason, this.#failureLifetime(blocking));
    // A stream that has not started does not know its renditions yet: a player that was playing
    // the camera elsewhere (a hand-over between nodes) or asks for a media playlist first waits for
    // it as for the multivariant playlist, instead of a 404 that makes it give the rendition up.
    if (!this.ready && !(await this.whenReady(undefined, signal)))
      return this.#closed ? notFound() : unavailable('the stream has not started', 1);
    const rendition = name === 'video' ? this.#segmenter.video : this.#segmenter.audio;
    if (rendition === undefined) return notFound();
    const timing = this.#segmenter.timing as StreamTiming;
    let directives = parsed.directives;
    // After EXT-X-ENDLIST, delivery directives are ignored (§6.2.5.2).
    if (rendition.ended) directives = {};
    if (directives.msn !== undefined) {
      const rejected = rejectsDirectives(directives, position(rendition), timing);
      if (rejected !== undefined) return badRequest(rejected, 4 * timing.targetDuration);
      if (!satisfies(directives, position(rendition))) {
        const d = directives;
        const timedOut = await this.#waiters.wait(
          () => this.#closed || rendition.ended || satisfies(d, position(rendition)),
          3 * timing.targetDuration * 1000,
          signal,
        );
        if (this.#closed) return notFound();
        if (timedOut)
          return unavailable('the stream stalled (no new part within 3 target durations)', 4 * timing.targetDuration);
      }
    }
    const text = this.#render(rendition, timing, directives.skip);
    const maxAge = blocking ? 6 * timing.targetDuration : halfTarget(timing);
    return {
      status: 200,
      headers: { 'content-type': PLAYLIST_TYPE, 'cache-control': `max-age=${maxAge}` },
      body: text,
    };
  }

  /**
   * A standard playlist answers at once (no delivery directives: they are not advertised); the
   * first one waits, like a player's first request, until a segment is complete.
   */
  async #standardPlaylist(name: RenditionName, signal: AbortSignal | undefined): Promise<HlsResponse> {
    const rendition = name === 'video' ? this.#segmenter.video : this.#segmenter.audio;
    if (rendition === undefined) return notFound();
    const started = () => this.ready && rendition.segments.some((s) => s.duration !== undefined);
    if (!started() && !this.#closed)
      await this.#waiters.wait(() => this.#closed || started(), this.#options.readyTimeoutMs, signal);
    if (this.#closed) return notFound();
    const timing = this.#segmenter.timing;
    if (!started() || timing === undefined) return unavailable('the stream has not started', 1);
    const text = this.#cached(rendition, 'standard', () =>
      renderMediaPlaylist(rendition, timing, { renditionReports: [], lowLatency: false }),
    );
    return {
      status: 200,
      headers: { 'content-type': PLAYLIST_TYPE, 'cache-control': `max-age=${halfTarget(timing)}` },
      body: text,
    };
  }

  /** The playlist `variant` of a rendition, rendered again only after a rendition changed. */
  #cached(rendition: Rendition, variant: string, render: () => string, extra = ''): string {
    const others = this.#segmenter.renditions.filter((r) => r !== rendition);
    const key = `${rendition.version}:${others.map((r) => r.version).join(',')}:${extra}`;
    const cacheKey = `${rendition.name}:${variant}`;
    const cached = this.#cache.get(cacheKey);
    if (cached?.key === key) return cached.text;
    const text = render();
    this.#cache.set(cacheKey, { key, text });
    return text;
  }

  #render(rendition: Rendition, timing: StreamTiming, skip: 'YES' | 'v2' | undefined): string {
    const external = this.#externalReports?.() ?? [];
    const externalKey = external.map((r) => `${r.uri}@${r.lastMsn}.${r.lastPart}`).join(',');
    return this.#cached(
      rendition,
      skip ?? '',
      () => {
        const reports: RenditionReport[] = this.#segmenter.renditions.flatMap((other) => {
          const last = other.lastPart;
          return other === rendition || last === undefined
            ? []
            : [{ uri: PLAYLIST_NAMES[other.name], lastMsn: last.msn, lastPart: last.index }];
        });
        reports.push(...external);
        const hint = nextPart(rendition);
        return renderMediaPlaylist(rendition, timing, {
          renditionReports: reports,
          ...(skip === undefined ? {} : { skip }),
          ...(hint === undefined ? {} : { hint: { uri: hint.uri } }),
        });
      },
      externalKey,
    );
  }

  // ------------------------------------------------------------------ media

  async #media(name: string, signal: AbortSignal | undefined): Promise<HlsResponse> {
    const rendition = name.startsWith('video-')
      ? this.#segmenter.video
      : name.startsWith('audio-')
        ? this.#segmenter.audio
        : undefined;
    if (rendition === undefined) return notFound();
    const found = rendition.lookup(name);
    if (found?.kind === 'init') return mediaResponse(rendition.name, found.bytes, IMMUTABLE);
    if (found?.kind === 'part') return partResponse(rendition, found.part, IMMUTABLE);
    if (found?.kind === 'segment') {
      // A segment is its parts' views, sent one after another (no joined copy).
      const parts = found.segment.parts;
      const response = mediaResponse(
        rendition.name,
        parts.flatMap((p) => p.views),
        IMMUTABLE,
      );
      response.release = rendition.lease(parts);
      return response;
    }

    // The hinted part (EXT-X-PRELOAD-HINT): held until it is complete, then sent whole (§6.2.6).
    const hint = nextPart(rendition);
    const timing = this.#segmenter.timing;
    if (hint?.uri !== name || timing === undefined || rendition.ended) return notFound();
    const timedOut = await this.#waiters.wait(
      () => this.#closed || rendition.lookup(name) !== undefined || nextPart(rendition)?.uri !== name,
      3 * timing.targetDuration * 1000,
      signal,
    );
    const published = this.#closed ? undefined : rendition.lookup(name);
    if (published?.kind === 'part')
      return partResponse(rendition, published.part, `max-age=${6 * timing.targetDuration}`);
    // The stream ended or was closed before the part came: 404; stalled: 503.
    if (!timedOut || this.#closed) return notFound(timing.targetDuration);
    return unavailable('the stream stalled', timing.targetDuration);
  }

  #failureLifetime(blocking: boolean): number {
    const td = this.#segmenter.timing?.targetDuration ?? 1;
    return blocking ? 4 * td : td;
  }

  /** Peak and average bit rate of complete segments, video and audio together, or of `only` one (bits/s). */
  #bandwidth(only?: RenditionName): { peak: number; average: number } {
    const perMsn = new Map<number, { bytes: number; duration: number }>();
    let bytes = 0;
    let duration = 0;
    for (const rendition of this.#segmenter.renditions) {
      if (only !== undefined && rendition.name !== only) continue;
      for (const segment of rendition.segments) {
        const size = segment.parts.reduce((n, p) => n + p.size, 0);
        const length = segment.duration ?? segment.parts.reduce((n, p) => n + p.duration, 0);
        bytes += size;
        if (rendition.name === 'video' || this.#segmenter.video === undefined || only !== undefined) duration += length;
        if (segment.duration === undefined) continue;
        const entry = perMsn.get(segment.msn) ?? { bytes: 0, duration: length };
        entry.bytes += size;
        perMsn.set(segment.msn, entry);
      }
    }
    const average = duration > 0 ? (bytes * 8) / duration : 0;
    let peak = 0;
    for (const { bytes: b, duration: d } of perMsn.values()) if (d > 0) peak = Math.max(peak, (b * 8) / d);
    // Before a segment is complete, the peak is estimated from what was seen.
    return { peak: Math.max(peak, average * 1.25), average };
  }

  #measuredFrameRate(): number | undefined {
    const video = this.#segmenter.video;
    const part = video?.lastPart;
    const timing = this.#segmenter.timing;
    if (part === undefined || timing === undefined) return undefined;
    return Math.round((timing.framesPerPart / timing.videoPart) * 1000) / 1000;
  }
}

function position(rendition: Rendition): PlaylistPosition {
  const last = rendition.segments.at(-1);
  const lastPart = last?.parts.at(-1);
  return {
    lastMsn: last?.msn ?? -1,
    lastPart: lastPart?.index ?? -1,
    lastComplete: last?.duration !== undefined,
    partCount: (msn) => {
      const segment = rendition.segments.find((s) => s.msn === msn);
      return segment?.duration === undefined ? undefined : segment.parts.length;
    },
  };
}

/** The part the playlist hints at: the next one to be published, whichever segment it lands in. */
function nextPart(rendition: Rendition): { uri: string } | undefined {
  if (rendition.ended || rendition.segments.length === 0) return undefined;
  return { uri: rendition.nextPartUri };
}

function mediaResponse(
  kind: RenditionName,
  body: Uint8Array | readonly Uint8Array[],
  cacheControl: string,
): HlsResponse {
  return {
    status: 200,
    headers: { 'content-type': kind === 'video' ? 'video/mp4' : 'audio/mp4', 'cache-control': cacheControl },
    body,
  };
}

/** A part's answer: its view (two when it continues into a next chunk), leased until released. */
function partResponse(rendition: Rendition, part: Part, cacheControl: string): HlsResponse {
  const views = part.views;
  const response = mediaResponse(rendition.name, views.length === 1 ? (views[0] as Uint8Array) : views, cacheControl);
  response.release = rendition.lease([part]);
  return response;
}

function notFound(maxAge?: number): HlsResponse {
  return {
    status: 404,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': maxAge === undefined ? 'no-cache' : `max-age=${maxAge}`,
    },
    body: 'not found\n',
  };
}

function badRequest(reason: string, maxAge: number): HlsResponse {
  return {
    status: 400,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': `max-age=${maxAge}` },
    body: `${reason}\n`,
  };
}

function unavailable(reason: string, maxAge: number): HlsResponse {
  return {
    status: 503,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': `max-age=${maxAge}` },
    body: `${reason}\n`,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, V>>);
}

/** Half a target duration in whole seconds, at least 1: Cache-Control's max-age is an integer (RFC 9111 §1.2.2). */
function halfTarget(timing: StreamTiming): number {
  return Math.max(1, Math.floor(timing.targetDuration / 2));
}
