import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerHealthRoutes } from './health-routes.js';
import { registerHomePage } from './home-page.js';
import { registerLiveRoutes, registerPlayerAssets, type LiveStreamLookup } from './live-routes.js';

export interface ServerOptions {
  logger: FastifyBaseLogger;
  /** The cameras' live streams, served under `/live/<camera id>/` (none when absent). */
  live?: LiveStreamLookup;
}

/** 60 s: longer than any LL-HLS blocking reload (3 target durations) yet bounds slow clients. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Builds the gateway's HTTP app without listening, so tests can `inject` into it. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
  });
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  registerHealthRoutes(app, () => !closing);
  registerHomePage(app);
  registerPlayerAssets(app);
  registerLiveRoutes(app, options.live ?? (() => undefined));
  return app;
}
