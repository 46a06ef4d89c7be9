import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { HlsResponse, HlsStream } from '@camgate/hls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, GatewayError, GatewayErrorCode } from '../errors.js';
import { PlaybackAccess, type PlaybackGrant } from '../playback/playback-access.js';
import { clientLeft } from './client-left.js';
import { sendProblem } from './problem.js';

/**
 * Finds a camera's live stream by its id for a request from `viewer` (the client's address and
 * user agent: viewers are counted, on-demand cameras started); undefined when there is no such
 * camera or it is disabled (404).
 */
export type LiveStreamLookup = (cameraId: string, viewer: string) => HlsStream | undefined;

/** A file name under a stream's path: playlists, init segments, parts and segments. Anything else is 404. */
const FILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export interface LiveRoutesOptions {
  /**
   * Origins whose pages may fetch the streams (CORS): `*` (the default: any page, never with
   * credentials) or a list; requests from other origins get no CORS headers, so browsers refuse
   * them.
   */
  corsOrigins?: '*' | readonly string[];
  /** Called for each answer from a camera's stream with its body size (metrics). */
  onServed?: (cameraId: string, bytes: number) => void;
  /**
   * True once the gateway is shutting down: a held request its closing stream releases (a 404 from
   * the stream) answers 503 SHUTTING_DOWN with Retry-After instead, so players try again rather
   * than give the camera up. A deleted camera's stream still answers 404.
   */
  isClosing?: () => boolean;
  /**
   * Who may watch (signed playback): without it every stream is public and token paths are
   * refused. A refusal is the answer for an unknown camera, whatever its reason.
   */
  access?: PlaybackAccess;
  /**
   * Cameras another node pulls (a cluster): called when this node has no stream for an allowed
   * request. `answered`: it forwarded the request to the owner and answered; `local`: this node
   * has just become the owner (look again); `none`: no such camera, or nobody can pull it now.
   * `path`: what to ask the owner for, when not the request's own path and query.
   */
  remote?: (
    request: FastifyRequest,
    reply: FastifyReply,
    cameraId: string,
    options?: { start?: boolean; path?: string },
  ) => Promise<RemoteOutcome>;
  /**
   * A cluster: whether `stream`, which just answered 404, was closed because its camera moved to
   * another node (the camera still exists). Its players get 503 CAMERA_MOVING, which they retry
   * (on this node, which forwards them), instead of a 404 that makes hls.js give the camera up.
   */
  moved?: (cameraId: string, stream: HlsStream) => boolean;
  /**
   * Answers `snapshot.jpg` (a JPEG of the camera's latest keyframe, snapshot-routes.ts) once
   * playback access is granted, as for the stream; false (nothing answered) when this node does
   * not pull the camera (a cluster then forwards the request to the node that does).
   */
  snapshot?: (
    request: FastifyRequest,
    reply: FastifyReply,
    cameraId: string,
    viewer: string,
    grant: PlaybackGrant,
  ) => Promise<boolean>;
}

/** A camera's snapshot beside its playlists: `/live/<id>/snapshot.jpg` (and under `t/<token>/`). */
export const SNAPSHOT_FILE = 'snapshot.jpg';

export type RemoteOutcome = 'answered' | 'local' | 'none';

/**
 * The multivariant playlists: the URLs a player is given, the only ones that accept `?token=` (for
 * players handed a query URL); their answer carries the token in the path of every URI instead.
 */
const MULTIVARIANT_NAMES: ReadonlySet<string> = new Set(['index.m3u8', 'standard.m3u8']);

/** Playlists under 512 bytes are sent as they are: gzip would save next to nothing. */
const GZIP_MIN_BYTES = 512;
/**
 * 8192 compressed playlists remembered, the least recently compressed forgotten first: a camera
 * has up to 8 (LL-HLS video and audio with their two delta variants, two standard ones).
 */
const GZIP_CACHE_ENTRIES = 8192;
/** A day: browsers may reuse a preflight answer that long (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_S = 86_400;

/**
 * Serves each camera's LL-HLS stream under `/live/<camera id>/`: `index.m3u8` (multivariant),
 * `video.m3u8`, `audio.m3u8`, and their media. The stream answers every request itself (blocking
 * reloads included); this only carries its answers over HTTP, adding CORS and gzip for playlists.
 * HEAD is answered like GET, without the body.
 */
export function registerLiveRoutes(
  app: FastifyInstance,
  lookup: LiveStreamLookup,
  options: LiveRoutesOptions = {},
): void {
  const origins = options.corsOrigins ?? '*';
  const access = options.access ?? PlaybackAccess.PUBLIC;
  // The last gzipped text of each playlist: 5000 players woken by one part share one compression.
  const gzipped = new Map<string, { text: string; bytes: Buffer }>();

  const serve = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    file: string,
    pathToken?: string,
    /** A variant's folder (`h264`: the transcoded video), whose files the stream answers as `<variant>/<file>`. */
    variant?: string,
  ) => {
    cors(request, reply, origins);
    // The request's log lines (its completion line too) name the camera.
    request.log = reply.log = request.log.child({ camera: id });
    const rawUrl = request.raw.url ?? '';
    const queryAt = rawUrl.indexOf('?');
    const query = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
    // `?token=` only on a multivariant playlist outside a token path: its answer moves the token into the path.
    const queried =
      pathToken === undefined && variant === undefined && MULTIVARIANT_NAMES.has(file) ? query.get('token') : null;
    // An empty one is none (a template URL whose token was left out).
    const queryToken = queried === null || queried === '' ? undefined : queried;
    const token = pathToken ?? queryToken;
    let grant: PlaybackGrant | undefined;
    if (FILE_NAME.test(file)) {
      const checked = access.check(id, token);
      grant = checked instanceof Promise ? await checked : checked;
    }
    const viewer = grant?.viewer ?? `${request.ip} ${request.headers['user-agent'] ?? ''}`;
    // The camera's own picture only: `h264/snapshot.jpg` is a variant's file (none such).
    if (file === SNAPSHOT_FILE && variant === undefined && grant !== undefined && options.snapshot !== undefined) {
      let answered = await options.snapshot(request, reply, id, viewer, grant);
      if (!answered && options.remote !== undefined) {
        const outcome = await options.remote(request, reply, id);
        if (outcome === 'answered') return reply;
        if (outcome === 'local') answered = await options.snapshot(request, reply, id, viewer, grant);
      }
      return answered ? reply : sendProblem(reply, errors.liveNotFound(id, file), { cacheControl: 'no-cache' });
    }
    let stream = grant === undefined ? undefined : lookup(id, viewer);
    if (stream === undefined && grant !== undefined && options.remote !== undefined && FILE_NAME.test(file)) {
      const outcome = await options.remote(request, reply, id);
      if (outcome === 'answered') return reply;
      if (outcome === 'local') stream = lookup(id, viewer);
    }
    // Refused, unknown or disabled: one answer, so camera ids cannot be probed (S06).
    if (stream === undefined) return sendProblem(reply, errors.liveNotFound(id, file), { cacheControl: 'no-cache' });
    // A token is no delivery directive of the stream's.
    query.delete('token');
    // A client that goes away while its request is held (a blocking reload, the hinted part) frees
    // its place at once rather than after 3 target durations.
    let response = await stream.handle(variant === undefined ? file : `${variant}/${file}`, query, clientLeft(reply));
    // A part or segment is memory the stream reuses: kept until this reply is sent or given up.
    if (response.release !== undefined) releaseOnClose(reply, response.release);
    const { body } = response;
    options.onServed?.(id, bodyBytes(body));
    if (response.status === 404 && options.moved?.(id, stream) === true && !(options.isClosing?.() ?? false)) {
      return sendProblem(reply, errors.cameraMoving(id), { cacheControl: 'no-cache' });
    }
    if (response.status >= 400) return sendStreamProblem(reply, response, id, file, options.isClosing?.() ?? false);
    if (queryToken !== undefined && typeof body === 'string') {
      // Per token, so not in the shared gzip cache (a multivariant playlist is a few hundred bytes),
      // and private: a shared cache must not keep a credential.
      return send(reply, {
        ...response,
        headers: { ...response.headers, 'cache-control': 'private, no-cache' },
        body: withTokenPaths(body, queryToken),
      });
    }
    if (grant?.token !== undefined) {
      // What a token opened is the token holder's: no shared cache keeps it (it would serve it to
      // anyone with the URL after the token expired or its key was deleted), and a browser keeps
      // it no longer than the token lasts.
      const cacheControl = privateCacheControl(response.headers['cache-control'], grant.expiresAt, Date.now());
      // A copy: the stream's answer may be shared by every request for the same part.
      response = { ...response, headers: { ...response.headers, 'cache-control': cacheControl } };
    }
    if (typeof body === 'string' && body.length >= GZIP_MIN_BYTES && response.status === 200) {
      addVary(reply, 'Accept-Encoding');
      if (acceptsGzip(request)) {
        const key = `${id}/${variant === undefined ? '' : `${variant}/`}${file}?${query.get('_HLS_skip') ?? ''}`;
        let cached = gzipped.get(key);
        if (cached?.text !== body) {
          gzipped.delete(key);
          if (gzipped.size >= GZIP_CACHE_ENTRIES) gzipped.delete(gzipped.keys().next().value as string);
          cached = { text: body, bytes: gzipSync(body) };
          gzipped.set(key, cached);
        }
        return send(reply.header('content-encoding', 'gzip'), { ...response, body: cached.bytes });
      }
    }
    return send(reply, response);
  };

  app.get<{ Params: { id: string; file: string } }>('/live/:id/:file', (request, reply) =>
    serve(request, reply, request.params.id, request.params.file),
  );
  // Signed playback: the token is a path segment above the playlists, so every relative URI in them
  // (media playlists, init segments, parts, segments, hints, reports, blocking reloads) carries it
  // for every player, Safari's and ffmpeg's included, with no rewriting.
  app.get<{ Params: { id: string; token: string; file: string } }>('/live/:id/t/:token/:file', (request, reply) =>
    serve(request, reply, request.params.id, request.params.file, request.params.token),
  );

  const preflight = (request: FastifyRequest, reply: FastifyReply) => {
    cors(request, reply, origins);
    return reply
      .code(204)
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
      .send();
  };
  // The H.264 variant of a transcoding camera (its multivariant playlist lists `h264/video.m3u8`).
  app.get<{ Params: { id: string; file: string } }>('/live/:id/h264/:file', (request, reply) =>
    serve(request, reply, request.params.id, request.params.file, undefined, 'h264'),
  );
  app.get<{ Params: { id: string; token: string; file: string } }>('/live/:id/t/:token/h264/:file', (request, reply) =>
    serve(request, reply, request.params.id, request.params.file, request.params.token, 'h264'),
  );
  app.options('/live/:id/h264/:file', preflight);
  app.options('/live/:id/t/:token/h264/:file', preflight);
  app.options('/live/:id/:file', preflight);
  app.options('/live/:id/t/:token/:file', preflight);
}

/**
 * `cacheControl` made private, its max-age capped at the token's remaining lifetime (an immutable
 * part of a signed camera is fresh for a year in a public cache, for minutes in a token holder's).
 */
export function privateCacheControl(
  cacheControl: string | undefined,
  expiresAt: number | undefined,
  now: number,
): string {
  const directives = (cacheControl ?? 'no-cache')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '' && d !== 'public' && d !== 'private');
  const remainingS = expiresAt === undefined ? 0 : Math.max(0, Math.floor((expiresAt - now) / 1000));
  const capped = directives.map((d) => {
    const maxAge = /^max-age=(\d+)$/.exec(d);
    return maxAge === null ? d : `max-age=${Math.min(Number(maxAge[1]), remainingS)}`;
  });
  return ['private', ...capped].join(', ');
}

/** A token that is safe to put into a playlist as a path segment (base64url parts and dots). */
const PATH_TOKEN = /^[A-Za-z0-9_.-]+$/;

/**
 * A multivariant playlist whose URIs are under `t/<token>/`: the URI lines and the URI attributes
 * (EXT-X-MEDIA). Relative URIs only: the gateway writes no other kind.
 */
export function withTokenPaths(playlist: string, token: string): string {
  if (!PATH_TOKEN.test(token)) return playlist;
  const prefix = `t/${token}/`;
  return playlist
    .split('\n')
    .map((line) => {
      if (line === '') return line;
      if (!line.startsWith('#')) return /^[a-z][a-z0-9+.-]*:|^\//i.test(line) ? line : prefix + line;
      return line.replace(/URI="(?![a-z][a-z0-9+.-]*:|\/)/gi, `URI="${prefix}`);
    })
    .join('\n');
}

/** CORS for public streams: an allowed origin, never credentials (S09: no reflected origin with credentials). */
export function cors(request: FastifyRequest, reply: FastifyReply, origins: '*' | readonly string[]): void {
  if (origins === '*') {
    reply.header('access-control-allow-origin', '*');
    return;
  }
  addVary(reply, 'Origin');
  const origin = request.headers.origin;
  if (origin !== undefined && origins.includes(origin)) reply.header('access-control-allow-origin', origin);
}

/**
 * The stream's error answers as problems: the same status and Cache-Control (LL-HLS clients pace
 * their retries by them, rfc8216bis §6.2.5.2), a code, and the stream's reason as the detail.
 */
function sendStreamProblem(
  reply: FastifyReply,
  response: HlsResponse,
  cameraId: string,
  file: string,
  closing: boolean,
): FastifyReply {
  const cacheControl = response.headers['cache-control'] ?? 'no-cache';
  const reason = typeof response.body === 'string' ? response.body.trim() : '';
  switch (response.status) {
    case 404:
      if (closing) return sendProblem(reply, errors.shuttingDown());
      return sendProblem(reply, errors.liveNotFound(cameraId, file), { cacheControl });
    case 400:
      return sendProblem(reply, errors.hlsBadRequest(reason || 'invalid delivery directives'), { cacheControl });
    case 503: {
      // A variant that says when to ask again (a failing transcoder: Retry-After 1) is passed on.
      const retryAfter = response.headers['retry-after'];
      if (retryAfter !== undefined) reply.header('retry-after', retryAfter);
      return sendProblem(reply, errors.streamUnavailable(reason || 'the stream is unavailable'), { cacheControl });
    }
    default: {
      // No status HlsStream answers today: kept as it is, under the code of its class.
      const code = response.status < 500 ? GatewayErrorCode.HLS_BAD_REQUEST : GatewayErrorCode.STREAM_UNAVAILABLE;
      return sendProblem(reply, new GatewayError(code, reason || 'the stream refused the request', response.status), {
        cacheControl,
      });
    }
  }
}

function bodyBytes(body: HlsResponse['body']): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  let length = 0;
  for (const part of body) length += part.byteLength;
  return length;
}

/**
 * Calls `release` once the response is over: its body written out (the last write handed to the
 * socket) or abandoned (the client left, the socket destroyed); at once when it is over already.
 */
function releaseOnClose(reply: FastifyReply, release: () => void): void {
  const raw = reply.raw as FastifyReply['raw'] & { stream?: { destroyed?: boolean } };
  // HTTP/2's compatibility response has no `closed`: its stream says whether it is over.
  if (raw.closed || raw.destroyed || raw.stream?.destroyed === true) release();
  else raw.once('close', release);
}

function addVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  reply.header('vary', current === undefined ? field : `${String(current)}, ${field}`);
}

function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && /(?:^|,)\s*gzip\s*(?:,|$|;\s*q=(?:1|0\.[0-9]*[1-9]))/i.test(header);
}

function send(reply: FastifyReply, response: HlsResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  const { body } = response;
  if (typeof body === 'string' || body instanceof Uint8Array) return reply.send(body);
  // A segment is its parts: streamed one after another instead of joined into a new buffer.
  reply.header('content-length', bodyBytes(body));
  return reply.send(Readable.from(body, { objectMode: false }));
}

const require = createRequire(import.meta.url);

/**
 * Serves the hls.js player (the version this gateway was tested with) from the gateway itself, so
 * the dashboard and embedded players work on networks without internet access.
 */
export function registerPlayerAssets(app: FastifyInstance): void {
  let script: Promise<Buffer> | undefined;
  app.get('/assets/hls.min.js', async (_request, reply) => {
    script ??= readFile(require.resolve('hls.js/dist/hls.min.js'));
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(await script);
  });
}
