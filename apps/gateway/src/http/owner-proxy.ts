import type { FastifyReply, FastifyRequest } from 'fastify';
import { Agent, request as upstreamRequest } from 'undici';
import { errors, type GatewayError } from '../errors.js';
import { clientLeft } from './client-left.js';
import { sendProblem } from './problem.js';

/** Marks a request one node forwarded to another: it is never forwarded again (no loops). */
export const FORWARDED_BY_HEADER = 'x-camgate-forwarded-by';

/**
 * What a player's request may carry to the owner: conditional and range requests, the encodings it
 * takes, the Origin CORS answers for. Cookies and Authorization stay behind: /live needs neither.
 */
const REQUEST_HEADERS = [
  'accept',
  'accept-encoding',
  'if-none-match',
  'if-modified-since',
  'range',
  'origin',
  'user-agent',
] as const;

/** RFC 9110 §7.6.1: connection-specific headers are not passed on by a proxy. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

/**
 * 30 s for the owner's headers: above the longest blocking reload it holds (3 target durations of
 * at most 10 s), so a held request is not cut short between nodes.
 */
const HEADERS_TIMEOUT_MS = 30_000;
/** 2 s to connect: a node that does not answer by then is down or cut off; the player retries. */
const CONNECT_TIMEOUT_MS = 2_000;
/**
 * 256 connections per owner: a node forwarding a wall of cameras holds about two requests per
 * player; more wait in undici's queue instead of opening sockets without bound.
 */
const CONNECTIONS_PER_OWNER = 256;
/** 60 s idle keep-alive between nodes: connections are reused across reloads instead of reopened. */
const KEEP_ALIVE_MS = 60_000;

export interface OwnerProxyOptions {
  /** This node's id, sent in {@link FORWARDED_BY_HEADER}. */
  nodeId: string;
  logger?: { warn(fields: object, message: string): void };
}

/**
 * Carries a player's `/live` request to the node that pulls the camera and streams the answer
 * back, so every node answers for every camera and the player sees one origin. Blocking reloads
 * and preload hints are held by the owner, the connection stays open here meanwhile.
 */
export class OwnerProxy {
  readonly #agent: Agent;
  readonly #nodeId: string;
  readonly #logger: OwnerProxyOptions['logger'];

  constructor(options: OwnerProxyOptions) {
    this.#nodeId = options.nodeId;
    this.#logger = options.logger;
    this.#agent = new Agent({
      connections: CONNECTIONS_PER_OWNER,
      keepAliveTimeout: KEEP_ALIVE_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      // A part or segment streams as it arrives; a stalled one is ended like a stalled header.
      bodyTimeout: HEADERS_TIMEOUT_MS,
      connect: { timeout: CONNECT_TIMEOUT_MS },
    });
  }

  /**
   * Forwards `request` to `ownerUrl` (same path and query, or `path` when given) and sends back what
   * it answers. A node that cannot be reached is a 503 CAMERA_MOVING with Retry-After (its lease is
   * about to pass on), or what `unreachable` makes.
   */
  async forward(
    request: FastifyRequest,
    reply: FastifyReply,
    cameraId: string,
    ownerUrl: string,
    path = request.raw.url ?? '/',
    unreachable: () => GatewayError = () => errors.cameraMoving(cameraId),
  ): Promise<void> {
    const headers: Record<string, string> = { [FORWARDED_BY_HEADER]: this.#nodeId };
    for (const name of REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    // The owner counts viewers by address: it sees the player's when it trusts this node (CAMGATE_TRUST_PROXY).
    const forwardedFor = request.headers['x-forwarded-for'];
    headers['x-forwarded-for'] =
      typeof forwardedFor === 'string' && forwardedFor !== '' ? `${forwardedFor}, ${request.ip}` : request.ip;
    const signal = clientLeft(reply);
    let answer;
    try {
      answer = await upstreamRequest(ownerTarget(ownerUrl, path), {
        method: request.method === 'HEAD' ? 'HEAD' : 'GET',
        headers,
        dispatcher: this.#agent,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return;
      this.#logger?.warn(
        { camera: cameraId, owner: ownerUrl, code: (err as { code?: string }).code },
        'cannot reach the node that pulls this camera',
      );
      return sendProblem(reply, unreachable(), { cacheControl: 'no-cache' });
    }
    reply.code(answer.statusCode);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value);
    }
    // A failure mid-body ends the response: the player sees a short answer and retries.
    answer.body.on('error', () => undefined);
    return reply.send(answer.body);
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/**
 * The owner's URL for a request: the owner's origin and path prefix, then the request's path and
 * query, and nothing else of it. A request line in absolute form (`GET http://10.0.0.9/live/...`)
 * names another host, which must never be where a node sends anything (server-side request
 * forgery): only its path and query are kept.
 */
export function ownerTarget(ownerUrl: string, requestUrl: string): string {
  const asked = new URL(requestUrl, 'http://placeholder.invalid');
  return `${ownerUrl.replace(/\/+$/, '')}${asked.pathname}${asked.search}`;
}
