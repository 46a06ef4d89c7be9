import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { HlsResponse, HlsStream } from '@camgate/hls';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Finds a camera's live stream by its id for a request from `viewer` (the client's address and
 * user agent: viewers are counted, on-demand cameras started); undefined when there is no such
 * camera or it is disabled (404).
 */
export type LiveStreamLookup = (cameraId: string, viewer: string) => HlsStream | undefined;

/** A file name under a stream's path: playlists, init segments, parts and segments. Anything else is 404. */
const FILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Serves each camera's LL-HLS stream under `/live/<camera id>/`: `index.m3u8` (multivariant),
 * `video.m3u8`, `audio.m3u8`, and their media. The stream answers every request itself (blocking
 * reloads included); this only carries its answers over HTTP. HEAD is answered like GET, without
 * the body.
 */
export function registerLiveRoutes(app: FastifyInstance, lookup: LiveStreamLookup): void {
  app.get<{ Params: { id: string; file: string } }>('/live/:id/:file', async (request, reply) => {
    const { id, file } = request.params;
    const stream = lookup(id, `${request.ip} ${request.headers['user-agent'] ?? ''}`);
    if (stream === undefined || !FILE_NAME.test(file)) {
      return reply.code(404).header('cache-control', 'no-cache').type('text/plain; charset=utf-8').send('not found\n');
    }
    const rawUrl = request.raw.url ?? '';
    const queryAt = rawUrl.indexOf('?');
    const query = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
    return send(reply, await stream.handle(file, query));
  });
}

function send(reply: FastifyReply, response: HlsResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  const { body } = response;
  if (typeof body === 'string' || body instanceof Uint8Array) return reply.send(body);
  // A segment is its parts: streamed one after another instead of joined into a new buffer.
  let length = 0;
  for (const part of body) length += part.byteLength;
  reply.header('content-length', length);
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
