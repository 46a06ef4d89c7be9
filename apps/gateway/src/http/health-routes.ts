import type { FastifyInstance } from 'fastify';

/**
 * Liveness and readiness, Kubernetes style: `/healthz` answers while the
 * process serves HTTP; `/readyz` answers 200 once start-up has finished
 * and 503 while the gateway is shutting down.
 */
export function registerHealthRoutes(app: FastifyInstance, isReady: () => boolean): void {
  const noStore = { 'cache-control': 'no-store' };
  app.get('/healthz', async (_request, reply) => reply.headers(noStore).send({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = isReady();
    return reply
      .code(ready ? 200 : 503)
      .headers(noStore)
      .send({ status: ready ? 'ready' : 'not ready' });
  });
}
