import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { HlsStream } from '@camgate/hls';
import type { CameraManager } from '../cameras/camera-manager.js';
import { errors } from '../errors.js';
import { VERSION } from '../version.js';
import { registerCameraRoutes } from './camera-routes.js';
import { registerDashboard } from './dashboard-page.js';
import { registerEmbedPage } from './embed-page.js';
import { registerHealthRoutes } from './health-routes.js';
import { finiteNumbers } from './finite-numbers.js';
import { registerJsonBodyParser } from './json-body.js';
import {
  registerLiveRoutes,
  registerPlayerAssets,
  type LiveRoutesOptions,
  type LiveStreamLookup,
} from './live-routes.js';
import { GatewayMetrics, registerMetricsRoute, type ClusterMetricsSource } from './metrics.js';
import { registerLiveStatus } from './live-status.js';
import { answerClientError, frameworkErrorProblem, registerProblemHandlers, sendProblem } from './problem.js';
import { registerRequestLog, RequestLogController } from './request-log.js';
import { cameraSchemaKeywords } from './schema-keywords.js';
import { HttpsConnections } from './https-connections.js';
import type { TlsFiles } from './tls.js';
import { registerWebAssets } from './web-assets.js';
import { apiGuard, KeyFailures } from './api-guard.js';
import { PlaybackAccess } from '../playback/playback-access.js';
import { registerRecordingRoutes, type RecordingRoutesOptions } from './recording-routes.js';
import { MAX_TOKEN_LENGTH, type PlaybackTokens } from '../playback/playback-tokens.js';
import type { SigningKeys } from '../playback/signing-keys.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
import { liveSnapshotHandler, registerSnapshotRoutes } from './snapshot-routes.js';

export interface ServerOptions {
  logger: FastifyBaseLogger;
  /** The cameras: the REST API under /v1 and their streams under /live/<id>/. */
  cameras?: CameraManager;
  /** Streams served under `/live/<camera id>/` when there is no camera manager (tests). */
  live?: LiveStreamLookup;
  /**
   * When set, `/v1` needs `Authorization: Bearer <apiKey>`, and so do `/docs` and `/openapi.json`
   * (or HTTP Basic with the key as password, for browsers) and `/metrics` (or the metrics token).
   */
  apiKey?: string | undefined;
  /** CAMGATE_METRICS_TOKEN: `/metrics` needs it (or the API key) as a Bearer token; open when neither is set. */
  metricsToken?: string | undefined;
  /**
   * Signed playback: the signing keys and the tokens they sign. Without it, every camera plays
   * without a token and token paths are refused (tests).
   */
  playback?: { keys: SigningKeys; tokens: PlaybackTokens };
  /** The absolute URL viewers reach the gateway at (CAMGATE_PUBLIC_URL): camera links are built on it. */
  publicUrl?: string | undefined;
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
  /**
   * Decodes cameras' snapshots (`/v1/cameras/<id>/snapshot.jpg`, `/live/<id>/snapshot.jpg`); default:
   * one that runs `ffmpeg` from the PATH. Closed with the server (its ffmpeg processes killed).
   */
  snapshots?: SnapshotService;
  /**
   * A node of a cluster: `/live` requests for cameras other nodes pull are forwarded to them, and
   * `/readyz` is false until the node has joined (its first lease round) and while its database
   * does not answer.
   */
  cluster?: {
    ready: boolean;
    serveRemote: NonNullable<LiveRoutesOptions['remote']>;
    /** Forwards a `/recordings` request to the node whose disk holds what it asks for. */
    serveRecording?: RecordingRoutesOptions['remote'];
    /** Lease upkeep numbers for /metrics. */
    metrics: () => ClusterMetricsSource;
  };
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
/**
 * 8 KiB URLs at most (414 above), like nginx's large_client_header_buffers: the gateway's longest
 * URLs (a 64-character camera id, an LL-HLS query) are under 200 bytes. Node's parser refuses a
 * request line and headers over 16 KiB together by itself (431).
 */
const MAX_URL_LENGTH = 8 * 1024;
/**
 * 4096 characters per path parameter: a playback token travels as one (MAX_TOKEN_LENGTH); camera
 * ids and file names are 64 at most, checked by their routes.
 */
const MAX_PARAM_LENGTH = MAX_TOKEN_LENGTH;
/** Answered while the gateway shuts down, as ever: a load balancer asks them to see it going. */
const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** Builds the gateway's HTTP app without listening, so tests can `inject` into it. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const common = {
    loggerInstance: options.logger,
    // One line per request, at a level by what it is (request-log.ts), instead of Fastify's two at info.
    logController: new RequestLogController(),
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Our own 503 problem while closing instead (the onRequest hook below).
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What the router and Node's HTTP parser refuse is a problem+json answer too.
    frameworkErrors: frameworkErrorProblem({ maxParamLength: MAX_PARAM_LENGTH }),
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) =>
      answerClientError(options.logger, error, socket, { maxHeaderSize }),
    // X-Forwarded-For only from the proxies named: anyone else could claim any address (S12).
    trustProxy: options.trustProxy !== undefined && options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    ajv: {
      // allErrors: an answer names every invalid field, not the first (bodies are 64 KiB at most,
      // and problem.ts lists 100 fields at most).
      customOptions: { removeAdditional: false, coerceTypes: 'array' as const, useDefaults: true, allErrors: true },
      // Camera rules checked in the same pass as the rest of the schema (every field in one answer);
      // no NaN or Infinity anywhere, coerced from a query or not (finite-numbers.ts).
      plugins: [cameraSchemaKeywords, finiteNumbers],
    },
  };
  // The routes use only what HTTP/1.1 and HTTP/2 requests share, so one instance type serves both.
  const app =
    options.tls === undefined
      ? Fastify({
          ...common,
          keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
          // A missing Host is refused by the onRequest hook below, as a problem (Node's own 400 has no body).
          http: { headersTimeout: HEADERS_TIMEOUT_MS, requireHostHeader: false },
        })
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
    Object.assign(app.server, {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      requireHostHeader: false,
    });
    (app.server as TrackedServer)[CONNECTIONS] = new HttpsConnections(app);
  }
  let closing = false;
  // Set as close() is called, not in a preClose hook (which runs a macrotask later): the gateway
  // closes the camera streams right after close(), and the held requests they release must see it.
  const close = app.close.bind(app) as (...args: unknown[]) => unknown;
  Object.assign(app, {
    close: (...args: unknown[]) => {
      closing = true;
      return close(...args);
    },
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  registerProblemHandlers(app);
  registerJsonBodyParser(app);
  // Node answers an Expect other than 100-continue with a bare 417 by itself; RFC 9110 §10.1.1
  // lets a server ignore it instead, so the request is served (or refused) like any other.
  app.server.on('checkExpectation', (request, response) => app.server.emit('request', request, response));
  app.addHook('onRequest', async (request, reply) => {
    const url = request.raw.url ?? '';
    if (url.length > MAX_URL_LENGTH) return sendProblem(reply, errors.urlTooLong(MAX_URL_LENGTH));
    // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with two, is a 400.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return sendProblem(reply, errors.malformedRequest('no Host header'));
    }
    if (request.raw.httpVersionMajor === 1 && hostLines(request.raw.rawHeaders) > 1) {
      return sendProblem(reply, errors.malformedRequest('more than one Host header'));
    }
    if (closing && !HEALTH_PATHS.has(request.routeOptions.url ?? '')) {
      if (request.raw.httpVersionMajor === 1) reply.header('connection', 'close');
      return sendProblem(reply, errors.shuttingDown());
    }
    return undefined;
  });
  // Node closes the connections idle when the server closes, once: one that answers a request
  // released by the shutdown (a held reload or status) and then idles would keep close() waiting
  // for its client to hang up. Idle ones are closed again after each answer; one with a pipelined
  // request is not idle, and is served.
  app.addHook('onResponse', (_request, _reply, done) => {
    const server = app.server as { closeIdleConnections?: () => void };
    if (closing && typeof server.closeIdleConnections === 'function')
      setImmediate(() => server.closeIdleConnections?.());
    done();
  });
  registerRequestLog(app);
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
  const keyed = options.apiKey !== undefined && options.apiKey !== '';
  // Wrong keys are counted once per address for every door the key opens (S12).
  const keyFailures = new KeyFailures();
  // The API's description is the operator's: behind the key when there is one. A browser asks for
  // it as the password of a Basic prompt (it cannot send a Bearer header to a page), under /docs/
  // only: a browser keeps Basic credentials for the directory, and sends them there alone.
  const docsGuard = keyed
    ? apiGuard(options.apiKey, {
        basic: true,
        challenge: 'Basic',
        failures: keyFailures,
        unauthorized: 'the API documentation needs the API key',
      })
    : undefined;
  const specGuard = keyed
    ? apiGuard(options.apiKey, {
        basic: true,
        failures: keyFailures,
        unauthorized: 'the API description needs the API key',
      })
    : undefined;
  void app.register(swaggerUi, {
    routePrefix: '/docs',
    ...(docsGuard === undefined
      ? {}
      : {
          uiHooks: {
            onRequest: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
              // `/docs` itself is in the root directory: the prompt is asked at `/docs/`.
              if (request.url === '/docs') {
                void reply.redirect('docs/', 302);
                return;
              }
              void docsGuard(request, reply).then(() => {
                if (!reply.sent) done();
              });
            },
          },
        }),
  });
  void app.register((scope, _options, done) => {
    scope.get(
      '/openapi.json',
      { schema: { hide: true }, ...(specGuard === undefined ? {} : { onRequest: specGuard }) },
      (_request, reply) => reply.send(scope.swagger()),
    );
    const cluster = options.cluster;
    registerHealthRoutes(scope, () => !closing && (cluster?.ready ?? true));
    registerDashboard(scope, { cameras: options.cameras, keyed });
    const cameras = options.cameras;
    const access =
      cameras === undefined
        ? undefined
        : new PlaybackAccess((id) => cameras.playbackPolicy(id), options.playback?.tokens);
    registerEmbedPage(scope, { cameras, access });
    registerPlayerAssets(scope);
    registerWebAssets(scope);
    const live: LiveStreamLookup =
      cameras === undefined ? (options.live ?? (() => undefined)) : (id, viewer) => cameras.liveStream(id, viewer);
    const snapshots = options.snapshots ?? new SnapshotService({ ffmpeg: new FfmpegBinary('ffmpeg') });
    scope.addHook('onClose', (_instance, closed) => {
      snapshots.close();
      closed();
    });
    const metrics = new GatewayMetrics(cameras);
    if (cluster !== undefined) metrics.addCluster(cluster.metrics);
    metrics.addSnapshots(() => snapshots.stats);
    if (cameras !== undefined) metrics.addRecordings(() => cameras.recordings);
    // Metrics name every camera: behind the metrics token or the API key when either is set.
    const metricsKeyed = keyed || (options.metricsToken !== undefined && options.metricsToken !== '');
    registerMetricsRoute(
      scope,
      metrics,
      metricsKeyed
        ? apiGuard(options.apiKey, {
            otherKeys: [options.metricsToken],
            basic: true,
            failures: keyFailures,
            unauthorized: 'metrics need Authorization: Bearer <CAMGATE_METRICS_TOKEN or API key>',
          })
        : undefined,
    );
    registerLiveRoutes(scope, live, {
      corsOrigins: options.corsOrigins ?? '*',
      onServed: (id, bytes) => metrics.served(id, bytes),
      isClosing: () => closing,
      ...(access === undefined ? {} : { access }),
      ...(cluster === undefined || cameras === undefined
        ? {}
        : {
            remote: cluster.serveRemote,
            moved: (id: string, stream: HlsStream) =>
              cameras.registry.record(id) !== undefined && cameras.pipeline(id)?.stream !== stream,
          }),
      ...(cameras === undefined ? {} : { snapshot: liveSnapshotHandler(cameras, snapshots) }),
    });
    if (cameras !== undefined && access !== undefined) {
      registerRecordingRoutes(scope, {
        cameras,
        access,
        corsOrigins: options.corsOrigins ?? '*',
        ...(cluster?.serveRecording === undefined ? {} : { remote: cluster.serveRecording }),
      });
      registerLiveStatus(scope, cameras, {
        corsOrigins: options.corsOrigins ?? '*',
        isClosing: () => closing,
        access,
        ...(cluster === undefined ? {} : { remote: cluster.serveRemote }),
      });
      registerCameraRoutes(scope, {
        cameras,
        apiKey: options.apiKey,
        keyFailures,
        publicUrl: options.publicUrl,
        ...(options.playback === undefined ? {} : { playback: options.playback }),
      });
      registerSnapshotRoutes(scope, {
        cameras,
        snapshots,
        apiKey: options.apiKey,
        keyFailures,
        ...(cluster === undefined || options.playback === undefined
          ? {}
          : { remote: { serve: cluster.serveRemote, tokens: options.playback.tokens } }),
      });
    }
    done();
  });
  return app;
}

function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === 'host') count++;
  return count;
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
