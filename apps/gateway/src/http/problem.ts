import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { errors, GatewayError, type FieldProblem } from '../errors.js';

/** RFC 9457 problem details, with our stable `code` and the fields a request got wrong. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldProblem[];
  /** Extension members (RFC 9457 §3.2) some errors add, such as `existingId`. */
  [extension: string]: unknown;
}

export const PROBLEM_TYPE = 'application/problem+json';

/** A problem answer in the API's OpenAPI schemas. */
export const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

/**
 * 100 fields per answer at most: a schema of ours has a dozen, so every field a client got wrong
 * is listed; a 64 KiB body of thousands of unknown keys does not get an answer ten times larger.
 */
const MAX_FIELD_PROBLEMS = 100;

/** The problem document of an error. */
export function problemOf(error: GatewayError): Problem {
  return {
    type: `urn:camgate:error:${error.code}`,
    title: TITLES[error.statusCode] ?? STATUS_CODES[error.statusCode] ?? 'Error',
    status: error.statusCode,
    detail: error.message,
    code: error.code,
    ...(error.fields.length > 0 ? { errors: [...error.fields] } : {}),
    ...error.extensions,
  };
}

export interface ProblemOptions {
  /** Cache-Control of the answer: `no-store` unless the route's protocol says otherwise (LL-HLS). */
  cacheControl?: string;
}

export function sendProblem(reply: FastifyReply, error: GatewayError, options: ProblemOptions = {}): FastifyReply {
  if (error.retryAfterS !== undefined) reply.header('retry-after', error.retryAfterS);
  return reply
    .code(error.statusCode)
    .type(PROBLEM_TYPE)
    .header('cache-control', options.cacheControl ?? 'no-store')
    .send(problemOf(error));
}

/**
 * A whole HTTP/1.1 response carrying the problem, for errors answered on the socket before there
 * is a request to reply to (the HTTP parser's); the connection closes after it.
 */
export function rawProblemResponse(error: GatewayError, headers: Readonly<Record<string, string>> = {}): string {
  const body = JSON.stringify(problemOf(error));
  return (
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? 'Error'}\r\n` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    `Content-Type: ${PROBLEM_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n' +
    `\r\n${body}`
  );
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Every error the app raises answers as problem+json with a stable code: our own GatewayErrors,
 * Fastify's validation and body errors mapped to ours, anything else a logged 500 whose details
 * stay in the log. A path that exists with other methods answers 405 with `Allow`, any other 404.
 */
export function registerProblemHandlers(app: FastifyInstance): void {
  // Every method some route answers: a 404 asks the router, for each, whether the path has it.
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
  });
  app.setErrorHandler((error: FastifyError | GatewayError, request, reply) => {
    if (error instanceof GatewayError) return sendProblem(reply, error);
    if (error.validation !== undefined) {
      return sendProblem(
        reply,
        errors.validation(
          fieldProblems(
            error.validation.map((issue) => ({
              field: fieldOf(error.validationContext, issue.instancePath, issue.params),
              message: issue.message ?? 'is invalid',
            })),
          ),
        ),
      );
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, errors.bodyTooLarge(request.routeOptions.bodyLimit));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, errors.unsupportedMediaType());
      default:
        if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
          // Malformed JSON, an empty body and the like: the client's mistake, said plainly.
          return sendProblem(reply, errors.validation([{ field: 'body', message: error.message }]));
        }
        request.log.error({ err: error }, 'request failed');
        return sendProblem(reply, errors.internal());
    }
  });
  // CONNECT (the gateway is no proxy): Node would drop the connection without a word.
  app.server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    const allowed = [...methods].sort();
    const problem = errors.methodNotAllowed('CONNECT', pathOf(request.url ?? ''), allowed);
    socket.on('error', () => undefined);
    socket.end(rawProblemResponse(problem, { Allow: allowed.join(', ') }), () => socket.destroy());
  });
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    if (!decodable(path)) return sendProblem(reply, errors.badUrl());
    const allowed = [...methods]
      .filter((method) => method !== request.method && app.findRoute({ method, url: path }))
      .sort();
    if (allowed.length === 0) return sendProblem(reply, errors.notFound(`${request.method} ${path}`));
    // RFC 9110 §15.5.6: a 405 lists the methods the resource has.
    reply.header('allow', allowed.join(', '));
    return sendProblem(reply, errors.methodNotAllowed(request.method, path, allowed));
  });
}

/**
 * Fastify's `frameworkErrors` handler, generic: one handler serves HTTP/1.1 and HTTP/2 servers,
 * whose request and reply types differ.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- see above
type FrameworkErrorHandler = <Request extends { log: FastifyBaseLogger }, Reply extends object>(
  error: FastifyError,
  request: Request,
  reply: Reply,
) => void;

/**
 * Fastify's `frameworkErrors`: what its router refuses before a route runs. A path with malformed
 * percent-encoding (`/v1/cameras/%zz`) is a 400; a path parameter over the router's limit a 414.
 * The request is not fully built here (no route, no hooks): the answer is sent as it is.
 */
export function frameworkErrorProblem(limits: { maxParamLength: number }): FrameworkErrorHandler {
  return (error, request, untyped) => {
    const reply = untyped as unknown as FastifyReply;
    let problem: GatewayError;
    switch (error.code) {
      case 'FST_ERR_BAD_URL':
        problem = errors.badUrl();
        break;
      case 'FST_ERR_MAX_PARAM_LENGTH':
        problem = errors.urlTooLong(limits.maxParamLength, 'a path parameter (camera id, file name)');
        break;
      default:
        request.log.error({ err: error }, 'request failed');
        problem = errors.internal();
    }
    void reply
      .code(problem.statusCode)
      .type(PROBLEM_TYPE)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(problemOf(problem)));
  };
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before there is a request (a
 * bad or duplicate Content-Length, Transfer-Encoding with Content-Length, an unknown method, a
 * header section over the limit, a request that took too long) is answered as a problem on the
 * socket, which then closes, instead of Fastify's own JSON.
 */
export function answerClientError(
  log: FastifyBaseLogger,
  error: Error & { code?: string },
  socket: Duplex,
  limits: { maxHeaderSize: number },
): void {
  // The client is gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // The code and reason only: Node's parse errors carry `rawPacket`, the request's raw bytes, with
  // its Authorization header and any playback token in its path.
  log.debug({ code: error.code, reason: (error as { reason?: unknown }).reason }, 'client error');
  const problem = clientErrorOf(error, limits.maxHeaderSize);
  // Node's rule: answer only if no response of this connection has begun, or the bytes would
  // land in the middle of it.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  socket.end(rawProblemResponse(problem), () => socket.destroy());
  // A client that reads nothing does not keep the socket.
  const linger = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
  socket.once('close', () => clearTimeout(linger));
}

/** 5 s for a client to take the few hundred bytes of an error answer before its socket is closed. */
const CLIENT_ERROR_LINGER_MS = 5_000;

function clientErrorOf(error: Error & { code?: string }, maxHeaderSize: number): GatewayError {
  switch (error.code ?? '') {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.requestTimeout();
    case 'HPE_HEADER_OVERFLOW':
      return errors.headersTooLarge(maxHeaderSize);
    case 'HPE_INVALID_METHOD':
      return errors.malformedRequest('unknown method');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return errors.malformedRequest('invalid or duplicate Content-Length, or Content-Length with Transfer-Encoding');
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return errors.malformedRequest('invalid Transfer-Encoding');
    case 'HPE_INVALID_CHUNK_SIZE':
      return errors.malformedRequest('invalid chunk size');
    default:
      return errors.malformedRequest(typeof error.code === 'string' ? error.code : 'cannot be parsed');
  }
}

/** One entry per field, its messages joined, at most MAX_FIELD_PROBLEMS. */
function fieldProblems(problems: readonly FieldProblem[]): FieldProblem[] {
  const byField = new Map<string, string[]>();
  for (const { field, message } of problems) {
    const messages = byField.get(field);
    if (messages === undefined) {
      if (byField.size < MAX_FIELD_PROBLEMS) byField.set(field, [message]);
    } else if (!messages.includes(message)) {
      messages.push(message);
    }
  }
  return [...byField].map(([field, messages]) => ({ field, message: messages.join('; ') }));
}

function fieldOf(context: string | undefined, path: string, params: Record<string, unknown>): string {
  const extra =
    typeof params['missingProperty'] === 'string'
      ? params['missingProperty']
      : typeof params['additionalProperty'] === 'string'
        ? params['additionalProperty']
        : '';
  // instancePath is a JSON pointer (RFC 6901): `/list/0`, with `~1` for `/` and `~0` for `~`.
  const steps =
    path === ''
      ? []
      : path
          .slice(1)
          .split('/')
          .map((step) => step.replace(/~1/g, '/').replace(/~0/g, '~'));
  const inner = [...steps, extra].filter((s) => s !== '').join('.');
  // Fastify says `querystring`; the API's documents say `query.page`.
  const part = context === 'querystring' ? 'query' : context;
  const prefix = part === undefined || part === 'body' ? '' : `${part}.`;
  return `${prefix}${inner}` || (part ?? 'body');
}

/** The path without its query (which may hold anything a client typed). */
function pathOf(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}

/** The path's percent-encoding is valid UTF-8 (what the router needs to read it). */
function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
