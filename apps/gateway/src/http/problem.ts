import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { errors, GatewayError, type FieldProblem } from '../errors.js';

/** RFC 9457 problem details, with our stable `code` and the fields a request got wrong. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldProblem[];
}

export const PROBLEM_TYPE = 'application/problem+json';

export function sendProblem(reply: FastifyReply, error: GatewayError): FastifyReply {
  const body: Problem = {
    type: `urn:camgate:error:${error.code}`,
    title: TITLES[error.statusCode] ?? 'Error',
    status: error.statusCode,
    detail: error.message,
    code: error.code,
    ...(error.fields.length > 0 ? { errors: [...error.fields] } : {}),
  };
  return reply.code(error.statusCode).type(PROBLEM_TYPE).header('cache-control', 'no-store').send(body);
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
 * stay in the log.
 */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | GatewayError, request, reply) => {
    if (error instanceof GatewayError) return sendProblem(reply, error);
    if (error.validation !== undefined) {
      return sendProblem(
        reply,
        errors.validation(
          error.validation.map((issue) => ({
            field: fieldOf(error.validationContext, issue.instancePath, issue.params),
            message: issue.message ?? 'is invalid',
          })),
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
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, errors.notFound(`${request.method} ${pathOf(request.url)}`)),
  );
}

function fieldOf(context: string | undefined, path: string, params: Record<string, unknown>): string {
  const extra =
    typeof params['missingProperty'] === 'string'
      ? params['missingProperty']
      : typeof params['additionalProperty'] === 'string'
        ? params['additionalProperty']
        : '';
  const inner = [path.replace(/^\//, '').replace(/\//g, '.'), extra].filter((s) => s !== '').join('.');
  const prefix = context === undefined || context === 'body' ? '' : `${context}.`;
  return `${prefix}${inner}` || (context ?? 'body');
}

/** The path without its query (which may hold anything a client typed). */
function pathOf(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}
