import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

export type RequestLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Methods that change nothing: API reads. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const CREATED_CAMERA = /^\/v1\/cameras\/([^/?#]+)$/;
/** Routes whose `:id` is a camera's. */
const CAMERA_ROUTE = /^\/(?:live|embed|v1\/cameras)\/:id(?:\/|$)/;

/**
 * The level of a request's log line. At `info` an operator sees what changed the gateway: API
 * writes, failed ones too. Playback is `debug`: every viewer asks for a playlist and a part several
 * times a second (Fastify's two lines per request made 15,486 lines in 9 minutes with 8 viewers),
 * and so are health checks, metrics scrapes, assets and API reads (the dashboard polls).
 *
 * - A wrong or missing API key is `warn`: someone is locked out or guessing. There are at most 10
 *   per address per minute (camera-routes.ts) before the 429s, which are `debug`: they are not
 *   limited, a client may send as many as it likes.
 * - A 5xx is `error`, but a 500: that is the error handler's answer to a bug, which it logged with
 *   the stack (problem.ts, or Fastify's own handler), and that line names the request too.
 */
export function requestLogLevel(method: string, path: string, status: number): RequestLogLevel {
  if (status >= 500) return status === 500 ? 'debug' : 'error';
  if (path !== '/v1' && !path.startsWith('/v1/')) return 'debug';
  if (status === 401) return 'warn';
  if (status === 429) return 'debug';
  return READ_METHODS.has(method) ? 'debug' : 'info';
}

/**
 * One line per request, `request completed`, when the answer has been sent, at the level of
 * requestLogLevel(): `{"reqId":"req-1k","method":"PATCH","path":"/v1/cameras/door","camera":"door",
 * "status":200,"responseTime":3.2,"ip":"10.0.0.5"}`. Every line a request logs names its method and
 * path; never the query string (it may hold tokens), headers or body.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request.url, routeOf(request));
    request.log = reply.log = request.log.child({ method: request.method, path });
  });
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    request.log[requestLogLevel(request.method, pathOf(request.url, routeOf(request)), status)](
      {
        status,
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
        ...cameraOf(request, reply),
      },
      'request completed',
    );
  });
}

/**
 * Fastify's own lines per request off: "incoming request" and "request completed" at `info` for
 * every playlist and part (registerRequestLog writes one line instead). Its other lines stay, but a
 * client that leaves before its answer is sent (a player skipping ahead) is `debug`, not `info`.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {
    // Nothing: the request's line is written when it is answered.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // With an error an onResponse hook failed: that stays an error line.
    if (error) super.requestCompleted(error, request, reply);
  }

  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      reply.log.debug('the client left before the answer was sent');
    } else super.streamError(error, request, reply);
  }
}

/**
 * The camera of a request whose logger does not name it yet: the route's, when the route answered
 * before naming it (a 401, a CORS preflight), or the one a POST created, from its Location.
 */
function cameraOf(request: FastifyRequest, reply: FastifyReply): { camera?: string } {
  const log = request.log as FastifyRequest['log'] & { bindings?: () => Record<string, unknown> };
  if (CAMERA_ROUTE.test(request.routeOptions.url ?? '')) {
    const { id } = request.params as { id?: unknown };
    const named = log.bindings?.()['camera'] !== undefined;
    return typeof id === 'string' && !named ? { camera: id } : {};
  }
  if (reply.statusCode !== 201) return {};
  const location = reply.getHeader('location');
  const id = typeof location === 'string' ? CREATED_CAMERA.exec(location)?.[1] : undefined;
  return id === undefined ? {} : { camera: id };
}

/**
 * The path without its query (which may hold anything a client typed, tokens included), and with
 * a playback token in it masked: a token is a credential, and logs are read by more people than
 * hold one. Masked, however the request spelled them (percent-encoded, in absolute form): on a
 * path its route matched (`route`), the segment that reads as the route's `token` parameter
 * (`/live/<id>/t/<token>/...`, `/embed/<id>/t/<token>`); on a path no route matched, the segment
 * after a `t`, and any segment shaped like a JWT.
 */
/** The route the request matched (none: undefined), with its playback token when it has one. */
function routeOf(request: FastifyRequest): { token?: string } | undefined {
  if (request.routeOptions.url === undefined) return undefined;
  const { token } = (request.params ?? {}) as { token?: unknown };
  return typeof token === 'string' ? { token } : {};
}

export function pathOf(url: string, route?: { token?: string | undefined }): string {
  const token = route?.token;
  const at = url.indexOf('?');
  // An absolute-form request line (`GET http://host/live/...`): the router reads the path only.
  const path = (at === -1 ? url : url.slice(0, at)).replace(ABSOLUTE_FORM, '');
  // Most paths (every part and playlist of a public camera) have nothing to mask.
  if (token === undefined && (route !== undefined || !MAYBE_TOKEN.test(path))) return path;
  const segments = path.split('/');
  return segments
    .map((segment, i) => {
      const text = decoded(segment);
      const masked =
        (token !== undefined && text === token) ||
        // Unrouted only: on a routed path the router said where a token is (a camera may be named t).
        (route === undefined && i > 0 && decoded(segments[i - 1] as string).toLowerCase() === 't') ||
        (route === undefined && JWT_LIKE.test(text));
      return masked ? '***' : segment;
    })
    .join('/');
}

function decoded(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i;
/** A `t` segment (or its percent-encoding), a dot (or its encoding) twice in one segment. */
const MAYBE_TOKEN = /\/(?:t|%74)\/|(?:\.|%2e)[^/]*(?:\.|%2e)|%/i;
/** Three base64url parts of 16 characters or more: a JWS, never a file name of ours. */
const JWT_LIKE = /^[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}$/;
