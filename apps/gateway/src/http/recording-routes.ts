/**
 * Playback of recordings (issue 15; docs/api.md, "Recording").
 *
 * - `GET /v1/cameras/:id/recordings?start=&end=` (the API, behind the API key): the recorded spans
 *   and the gaps between them, from the index (never a directory scan), with playback links.
 * - `GET /recordings/:id/vod.m3u8?start=&end=` (viewers, as live playback: a signed camera needs a
 *   playback token, `?token=`): a VOD playlist of byte ranges into the recorder's files, whose
 *   init (`init/<sha-256>.mp4`) and media (`media/<file>.m4s`, Range requests) are served here.
 * - `GET /recordings/:id/clip.mp4?start=&duration=`: a progressive MP4 export (clip.ts).
 *
 * In a cluster, any node answers: the listing and the playlist come from the shared index, init
 * segments are kept in it too, and a request for media on another node's disk (a file, the start
 * of a clip) is forwarded to that node (`remote`).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCodedError } from '@camgate/bits';
import { Fmp4ErrorCode } from '@camgate/fmp4';
import { vodPlaylist, type VodSegment } from '@camgate/hls';
import type { CameraManager } from '../cameras/camera-manager.js';
import { errors } from '../errors.js';
import type { PlaybackAccess } from '../playback/playback-access.js';
import { MAX_CLIP_MS, planClip, type ClipPlan } from '../recording/clip.js';
import type { Recordings } from '../recording/recordings.js';
import { cors } from './live-routes.js';
import { sendProblem } from './problem.js';

/** 24 h: the longest stretch one VOD playlist lists (~14,400 segments of 6 s, ~1.5 MB of text). */
export const MAX_VOD_MS = 24 * 60 * 60 * 1000;
/** 31 days: the longest stretch one listing of spans covers. */
export const MAX_LISTING_MS = 31 * 24 * 60 * 60 * 1000;
/** A listing's default: the last day. */
const DEFAULT_WINDOW_MS = 24 * 60 * 60 * 1000;
const INIT_NAME = /^[0-9a-f]{64}\.mp4$/;
const MEDIA_NAME = /^([1-9]\d{0,15})\.m4s$/;
/** 4 exports at once: each reads its hour files from disk as fast as its client takes them. */
export const MAX_CONCURRENT_CLIPS = 4;
/** A clip's default length: a minute. */
const DEFAULT_CLIP_MS = 60_000;
/** Recorded media never changes once indexed: a year in any cache (a signed camera's: private). */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface RecordingRoutesOptions {
  cameras: CameraManager;
  access: PlaybackAccess;
  corsOrigins: '*' | readonly string[];
  /**
   * A cluster: answers a request for bytes on node `node`'s disk by forwarding it there (the
   * request's path and query, its token included). Without it, every file is this node's.
   */
  remote?: (request: FastifyRequest, reply: FastifyReply, cameraId: string, node: string) => Promise<void>;
}

/** A time as the API takes it: ISO 8601 or ms since the epoch. */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw errors.validation([{ field: `query.${field}`, message: 'is not an ISO 8601 time or ms since the epoch' }]);
  }
  return ms;
}

/** The [start, end) a request names: `end` defaults to now, `start` to `defaultMs` before it; at most `maxMs` long. */
export function timeRange(
  query: { start?: string; end?: string },
  now: number,
  defaultMs: number,
  maxMs: number,
): { start: number; end: number } {
  const end = parseTime(query.end, 'end') ?? now;
  const start = parseTime(query.start, 'start') ?? end - defaultMs;
  return checkedRange(start, end, maxMs);
}

/** [start, end) when end is after start and at most `maxMs` later; VALIDATION naming `query.end` otherwise. */
function checkedRange(start: number, end: number, maxMs: number): { start: number; end: number } {
  if (end <= start) throw errors.validation([{ field: 'query.end', message: 'must be after start' }]);
  if (end - start > maxMs) {
    throw errors.validation([{ field: 'query.end', message: `is more than ${maxMs / 3_600_000} hours after start` }]);
  }
  return { start, end };
}

function recordingsOf(cameras: CameraManager): Recordings {
  const recordings = cameras.recordings;
  if (recordings === undefined) {
    throw errors.recordingUnavailable(cameras.recordingUnavailable ?? 'the gateway has no recordings directory');
  }
  return recordings;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `GET /v1/cameras/:id/recordings`, in the API's scope (its key and rate limits). */
export function registerRecordingListing(api: FastifyInstance, cameras: CameraManager): void {
  api.get<{ Params: { id: string }; Querystring: { start?: string; end?: string } }>(
    '/cameras/:id/recordings',
    {
      schema: {
        summary: "The camera's recorded spans and the gaps between them (from the index), with playback links",
        tags: ['recordings'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            start: { type: 'string', description: 'ISO 8601 or ms since the epoch; default: a day before end' },
            end: {
              type: 'string',
              description: 'ISO 8601 or ms since the epoch; default: now; at most 31 days after start',
            },
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const camera = cameras.get(id);
      if (camera === undefined) throw errors.cameraNotFound(id);
      const { start, end } = timeRange(request.query, Date.now(), DEFAULT_WINDOW_MS, MAX_LISTING_MS);
      const recordings = recordingsOf(cameras);
      const spans = (await recordings.index.spans(id, start, end)).map((span) => ({
        start: iso(Math.max(span.startMs, start)),
        end: iso(Math.min(span.endMs, end)),
      }));
      const gaps: Array<{ start: string; end: string }> = [];
      let at = iso(start);
      for (const span of spans) {
        if (span.start > at) gaps.push({ start: at, end: span.start });
        at = span.end;
      }
      if (at < iso(end)) gaps.push({ start: at, end: iso(end) });
      const query = `start=${encodeURIComponent(iso(start))}&end=${encodeURIComponent(iso(end))}`;
      return {
        camera: id,
        start: iso(start),
        end: iso(end),
        spans,
        gaps,
        bytes: await recordings.index.bytes(id),
        // In a cluster, the recording's status is its owner's report (the camera's view has it).
        status: camera.status.recording ?? recordings.status(id),
        links: {
          vod: `/recordings/${id}/vod.m3u8?${query}`,
          clip: `/recordings/${id}/clip.mp4`,
          tokenRequired: camera.playback === 'signed',
        },
      };
    },
  );
}

/** The viewers' routes under `/recordings/:id/`. */
export function registerRecordingRoutes(app: FastifyInstance, options: RecordingRoutesOptions): void {
  const { cameras, access } = options;

  /** The camera's recordings if the request may see them (a refusal is the 404 of an unknown camera, S06). */
  const allowed = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
  ): Promise<{ recordings: Recordings; token: string | undefined; signed: boolean } | undefined> => {
    cors(request, reply, options.corsOrigins);
    const queried = (request.query as { token?: string } | undefined)?.token;
    // An empty one is none (a template URL whose token was left out).
    const token = queried === '' ? undefined : queried;
    const checked = access.check(id, token);
    const grant = checked instanceof Promise ? await checked : checked;
    if (grant === undefined) {
      sendProblem(reply, errors.liveNotFound(id, 'recordings'), { cacheControl: 'no-cache' });
      return undefined;
    }
    return { recordings: recordingsOf(cameras), token: grant.token, signed: grant.token !== undefined };
  };

  app.get<{ Params: { id: string }; Querystring: { start?: string; end?: string; token?: string } }>(
    '/recordings/:id/vod.m3u8',
    { schema: { hide: true } },
    async (request, reply) => {
      const { id } = request.params;
      const ok = await allowed(request, reply, id);
      if (ok === undefined) return reply;
      const { start, end } = timeRange(request.query, Date.now(), DEFAULT_WINDOW_MS, MAX_VOD_MS);
      const suffix = ok.token === undefined ? '' : `?token=${encodeURIComponent(ok.token)}`;
      const segments: VodSegment[] = (await ok.recordings.index.segments(id, start, end)).map((s) => ({
        uri: `media/${s.fileId}.m4s${suffix}`,
        offset: s.offset,
        length: s.length,
        startMs: s.startMs,
        durationMs: s.durationMs,
        // The same URI whichever node recorded with it: any node serves it (RecordingFiles.initPath).
        mapUri: `${s.init}${suffix}`,
        epoch: s.epoch,
        independent: true,
      }));
      return reply
        .header('content-type', 'application/vnd.apple.mpegurl')
        .header('cache-control', ok.signed ? 'private, no-cache' : 'no-cache')
        .send(vodPlaylist(segments));
    },
  );

  let exporting = 0;
  app.get<{
    Params: { id: string };
    Querystring: { start?: string; end?: string; duration?: string; token?: string };
  }>('/recordings/:id/clip.mp4', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params;
    const ok = await allowed(request, reply, id);
    if (ok === undefined) return reply;
    const { start, end } = clipRange(request.query, Date.now());
    const segments = await ok.recordings.index.segments(id, start, end);
    // A clip starts on the disk of the node that recorded its first segment: that node exports it.
    const firstNode = segments[0]?.node;
    if (firstNode !== undefined && firstNode !== ok.recordings.index.node) {
      if (options.remote === undefined) return notFound(reply, id, 'clip.mp4');
      await options.remote(request, reply, id, firstNode);
      return reply;
    }
    if (exporting >= MAX_CONCURRENT_CLIPS) throw errors.rateLimited(5, 'too many clip exports at once');
    exporting++;
    let plan: ClipPlan | undefined;
    try {
      plan = await planClip(ok.recordings.files, segments, start, end);
    } catch (err) {
      exporting--;
      if (isCodedError(err, Fmp4ErrorCode.UNREADABLE_FRAGMENT)) throw errors.recordingDamaged(err.message);
      throw err;
    }
    if (plan === undefined) {
      exporting--;
      return sendProblem(reply, errors.noRecording(id, start, end), { cacheControl: 'no-cache' });
    }
    const name = `${id}-${new Date(plan.startMs).toISOString().replace(/[:.]/g, '-')}.mp4`;
    reply
      .header('content-type', 'video/mp4')
      .header('content-length', plan.size)
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', ok.signed ? 'private, no-cache' : 'no-cache');
    reply.raw.once('close', () => exporting--);
    if (request.method === 'HEAD') return reply.send();
    return reply.send(Readable.from(clipBytes(plan)));
  });

  app.get<{ Params: { id: string; name: string }; Querystring: { token?: string } }>(
    '/recordings/:id/init/:name',
    { schema: { hide: true } },
    async (request, reply) => {
      const { id, name } = request.params;
      const ok = await allowed(request, reply, id);
      if (ok === undefined) return reply;
      const path = INIT_NAME.test(name) ? await ok.recordings.files.initPath(`init/${name}`) : undefined;
      if (path === undefined) return notFound(reply, id, name);
      return sendFile(request, reply, path, 'video/mp4', ok.signed, id, name);
    },
  );

  app.get<{ Params: { id: string; name: string }; Querystring: { token?: string } }>(
    '/recordings/:id/media/:name',
    { schema: { hide: true } },
    async (request, reply) => {
      const { id, name } = request.params;
      const ok = await allowed(request, reply, id);
      if (ok === undefined) return reply;
      const fileId = MEDIA_NAME.exec(name)?.[1];
      const file = fileId === undefined ? undefined : await ok.recordings.index.file(Number(fileId));
      // Another camera's file is not this camera's: the same 404 as none.
      if (file?.camera !== id) return notFound(reply, id, name);
      if (file.node !== ok.recordings.index.node) {
        if (options.remote === undefined) return notFound(reply, id, name);
        await options.remote(request, reply, id, file.node);
        return reply;
      }
      return sendFile(
        request,
        reply,
        join(ok.recordings.files.root, file.path),
        'video/iso.segment',
        ok.signed,
        id,
        name,
        file.bytes,
      );
    },
  );
}

/** A clip's [start, end): `start` and `end`, or `start` and `duration` (seconds); a minute by default; at most MAX_CLIP_MS. */
export function clipRange(
  query: { start?: string; end?: string; duration?: string },
  now: number,
): { start: number; end: number } {
  let duration: number | undefined;
  if (query.duration !== undefined && query.duration !== '') {
    duration = Number(query.duration) * 1000;
    if (!(Number.isFinite(duration) && duration > 0 && duration <= MAX_CLIP_MS)) {
      throw errors.validation([
        { field: 'query.duration', message: `is not a number of seconds from 0 to ${MAX_CLIP_MS / 1000}` },
      ]);
    }
  }
  const startQuery = parseTime(query.start, 'start');
  const endQuery = parseTime(query.end, 'end');
  const start = startQuery ?? (endQuery ?? now) - (duration ?? DEFAULT_CLIP_MS);
  const end = endQuery ?? start + (duration ?? DEFAULT_CLIP_MS);
  return checkedRange(start, end, MAX_CLIP_MS);
}

/** The clip's bytes: its header, then each range of its files in order, read as the client takes them. */
async function* clipBytes(plan: ClipPlan): AsyncGenerator<Uint8Array> {
  yield plan.header;
  for (const read of plan.reads) {
    for await (const chunk of createReadStream(read.path, { start: read.start, end: read.end })) {
      yield chunk as Buffer;
    }
  }
}

function notFound(reply: FastifyReply, id: string, name: string): FastifyReply {
  return sendProblem(reply, errors.liveNotFound(id, name), { cacheControl: 'no-cache' });
}

/**
 * A file or one byte range of it (RFC 9110 §14: `Range: bytes=a-b`, one range), streamed from
 * disk. `limit`: the bytes that are indexed (a file being written has more, not yet acknowledged).
 */
async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  type: string,
  signed: boolean,
  id: string,
  name: string,
  limit?: number,
): Promise<FastifyReply> {
  const size = await stat(path).then(
    (s) => Math.min(s.size, limit ?? s.size),
    () => undefined,
  );
  if (size === undefined) return notFound(reply, id, name);
  reply
    .header('content-type', type)
    .header('accept-ranges', 'bytes')
    .header('cache-control', signed ? 'private, no-cache' : IMMUTABLE);
  let start = 0;
  let end = size - 1;
  const range = request.headers.range;
  if (range !== undefined) {
    const parsed = parseRange(range, size);
    if (parsed === undefined) {
      reply.header('content-range', `bytes */${size}`);
      return sendProblem(reply, errors.rangeNotSatisfiable(name, size));
    }
    ({ start, end } = parsed);
    reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
  }
  reply.header('content-length', end - start + 1);
  if (request.method === 'HEAD' || size === 0) return reply.send();
  return reply.send(createReadStream(path, { start, end }));
}

/** One byte range of `size` bytes (`bytes=a-b`, `bytes=a-`, `bytes=-n`), or undefined when not satisfiable. */
export function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (match === null || (match[1] === '' && match[2] === '')) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  return start <= end && start < size ? { start, end } : undefined;
}
