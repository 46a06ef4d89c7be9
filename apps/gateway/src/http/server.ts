import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import { VERSION } from '../version.js';
import { registerCameraRoutes } from './camera-routes.js';
import { registerDashboard } from './dashboard-page.js';
import { registerEmbedPage } from './embed-page.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerLiveRoutes, registerPlayerAssets, type LiveStreamLookup } from './live-routes.js';
import { GatewayMetrics, registerMetricsRoute } from './metrics.js';
import { registerProblemHandlers } from './problem.js';
import { HttpsConnections } from './https-connections.js';
import type { TlsFiles } from './tls.js';

export interface ServerOptions {
  logger: FastifyBaseLogger;
  /** The cameras: the REST API under /v1 and their streams under /live/<id>/. */
  cameras?: CameraManager;
  /** Streams served under `/live/<camera id>/` when there is no camera manager (tests). */
  live?: LiveStreamLookup;
  /** When set, `/v1` needs `Authorization: Bearer <apiKey>`; playback stays open. */
  apiKey?: string | undefined;
  /** Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs); none by default. */
  trustProxy?: readonly string[];
  /** CORS for `/live/`: `*` (default) or the allowed origins. */
  corsOrigins?: '*' | readonly string[];
  /**
   * Serve HTTPS with HTTP/2 (and HTTP/1.1 for clients without it). HTTP/2 is part of LL-HLS's
   * low-latency profile (rfc8216bis App. B, Apple's validator -50120): one connection carries
   * every held request, where HTTP/1.1 browsers stop at 6 connections per origin.
   */
  tls?: TlsFiles;
}

/** 60 s: longer than any LL-HLS blocking reload (3 target durations) yet bounds slow clients. */
const REQUEST_TIMEOUT_MS = 60_000;
/** 10 s to send the request headers: a client trickling them byte by byte is cut off (slowloris). */
const HEADERS_TIMEOUT_MS = 10_000;
/**
 * 256 requests at once on one HTTP/2 connection: a wall of 50 LL-HLS tiles holds about 100 (a
 * playlist reload and a hinted part each); Node's default has no limit.
 */
const MAX_STREAMS_PER_CONNECTION = 256;
/** 72 s idle keep-alive: above the 60 s of common load balancers, so they close first. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** Builds the gateway's HTTP app without listening, so tests can `inject` into it. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const common = {
    loggerInstance: options.logger,
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    // X-Forwarded-For only from the proxies named: anyone else could claim any address (S12).
    trustProxy: options.trustProxy !== undefined && options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' as const, useDefaults: true } },
  };
  // The routes use only what HTTP/1.1 and HTTP/2 requests share, so one instance type serves both.
  const app =
    options.tls === undefined
      ? Fastify({ ...common, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, http: { headersTimeout: HEADERS_TIMEOUT_MS } })
      : (Fastify({
          ...common,
          http2: true,
          https: {
            allowHTTP1: true,
            cert: options.tls.cert,
            key: options.tls.key,
            handshakeTimeout: HEADERS_TIMEOUT_MS,
            settings: { maxConcurrentStreams: MAX_STREAMS_PER_CONNECTION },
          },
          // Sockets idle this long are closed, HTTP/2 sessions and HTTP/1.1 connections alike.
          connectionTimeout: KEEP_ALIVE_TIMEOUT_MS,
          http2SessionTimeout: KEEP_ALIVE_TIMEOUT_MS,
          // HttpsConnections closes them gracefully instead (Fastify's would cut HTTP/1.1 requests).
          forceCloseConnections: false,
        }) as unknown as FastifyInstance);
  if (options.tls !== undefined) {
    // HTTP/1.1 clients of the HTTPS server get the same limits as on plain HTTP.
    Object.assign(app.server, { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS });
    (app.server as TrackedServer)[CONNECTIONS] = new HttpsConnections(app);
  }
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  registerProblemHandlers(app);
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'camgate',
        version: VERSION,
        description:
          'IP cameras (RTSP) in, Low-Latency HLS out. Errors are application/problem+json with a stable code.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'CAMGATE_API_KEY, when set' } },
      },
      security: options.apiKey ? [{ apiKey: [] }] : [],
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });
  void app.register((scope, _options, done) => {
    scope.get('/openapi.json', { schema: { hide: true } }, (_request, reply) => reply.send(scope.swagger()));
    registerHealthRoutes(scope, () => !closing);
    registerDashboard(scope, { cameras: options.cameras });
    registerEmbedPage(scope, { cameras: options.cameras });
    registerPlayerAssets(scope);
    const cameras = options.cameras;
    const live: LiveStreamLookup =
      cameras === undefined ? (options.live ?? (() => undefined)) : (id, viewer) => cameras.liveStream(id, viewer);
    const metrics = new GatewayMetrics(cameras);
    registerMetricsRoute(scope, metrics);
    registerLiveRoutes(scope, live, {
      corsOrigins: options.corsOrigins ?? '*',
      onServed: (id, bytes) => metrics.served(id, bytes),
    });
    if (cameras !== undefined) registerCameraRoutes(scope, { cameras, apiKey: options.apiKey });
    done();
  });
  return app;
}

const CONNECTIONS = Symbol('camgate.httpsConnections');
type TrackedServer = FastifyInstance['server'] & { [CONNECTIONS]?: HttpsConnections };

/**
 * Ends every connection at once, requests in flight too: the last step of a shutdown that waited
 * long enough. Plain HTTP servers have closeAllConnections; HTTPS sockets are destroyed.
 */
export function closeAllConnections(app: FastifyInstance): void {
  const server = app.server as TrackedServer;
  if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
  server[CONNECTIONS]?.destroyAll();
}
