import type { FastifyReply } from 'fastify';

/**
 * Aborts when the client goes away before its answer is sent: work held or done for it (a blocking
 * reload, a connection test) stops at once. The listener goes with the response it is on.
 */
export function clientLeft(reply: FastifyReply): AbortSignal {
  const left = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) left.abort();
  });
  return left.signal;
}
