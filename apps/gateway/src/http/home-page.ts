import type { FastifyInstance } from 'fastify';
import { VERSION } from '../version.js';

/** The page at `/` until the dashboard exists: says plainly what this build does and does not do. */
export function registerHomePage(app: FastifyInstance): void {
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>camgate</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>camgate ${VERSION}</h1>
<p>The gateway is running. This build serves its health endpoints
(<a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>) only:
camera ingest, live HLS streams, the REST API and the dashboard are not available yet.</p>
</body>
</html>
`;
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
}
