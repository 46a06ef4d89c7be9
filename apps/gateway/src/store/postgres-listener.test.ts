import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresListener } from './postgres-listener.js';
import { usePrivatePostgres } from './test-postgres.js';

const postgres = usePrivatePostgres();

/**
 * A TCP proxy in front of PostgreSQL that can blackhole (bytes swallowed both ways, nothing
 * closed: a partition, which the server's going away politely does not show) and heal.
 */
class PartitionProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #holed = false;

  private constructor(targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      const pipe = (from: Socket, to: Socket) => {
        from.on('data', (chunk) => {
          if (!this.#holed) to.write(chunk);
        });
        from.on('end', () => to.end());
      };
      pipe(client, upstream);
      pipe(upstream, client);
    });
  }

  static async start(targetPort: number): Promise<PartitionProxy> {
    const proxy = new PartitionProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  blackhole(): void {
    this.#holed = true;
  }

  /** Lets bytes through again; connections made while holed stay dead (their handshake was lost). */
  heal(): void {
    this.#holed = false;
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Events of a listener, with a way to wait for the next of a kind. */
function recorder() {
  const events: string[] = [];
  const waiters: Array<{ kind: string; resolve: () => void }> = [];
  const push = (event: string) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (event.startsWith(waiter.kind)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  return {
    events,
    onNotification: (channel: string, payload: string) => push(`notify ${channel} ${payload}`),
    onResync: () => push('resync'),
    next(kind: string, withinMs: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${kind}" within ${withinMs} ms: ${events.join('; ')}`)),
          withinMs,
        );
        waiters.push({
          kind,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

async function notify(url: string, channel: string, payload: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
  await client.end();
}

describe('PostgresListener', () => {
  it('resyncs once listening, then passes notifications on, from any channel it listens to', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const db = PostgresDatabase.fromUrl(url);
    const events = recorder();
    const listener = new PostgresListener(db, { channels: ['one', 'Two "quoted"'], ...events });
    const resynced = events.next('resync', 5_000);
    listener.start();
    await resynced;
    const first = events.next('notify one', 1_000);
    await notify(url, 'one', '{"id":"a"}');
    await first;
    const second = events.next('notify Two', 1_000);
    await notify(url, 'Two "quoted"', 'x');
    await second;
    expect(events.events).toEqual(['resync', 'notify one {"id":"a"}', 'notify Two "quoted" x']);
    await listener.close();
    await db.end();
  });

  it('a partition (nothing closed, nothing answers) is noticed by the heartbeat; listening resumes, with a resync', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const proxy = await PartitionProxy.start(postgres.cluster().port);
    const through = new URL(url);
    through.port = String(proxy.port);
    const db = PostgresDatabase.fromUrl(through.href, { connectTimeoutMs: 500 });
    const events = recorder();
    const listener = new PostgresListener(db, {
      channels: ['c'],
      ...events,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 300,
    });
    const listening = events.next('resync', 5_000);
    listener.start();
    await listening;

    proxy.blackhole();
    // Sent during the partition: lost to the listener, which is what the resync after it is for.
    await notify(url, 'c', 'lost');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(events.events).toEqual(['resync']);
    const back = events.next('resync', 10_000);
    proxy.heal();
    await back;
    const heard = events.next('notify c', 1_000);
    await notify(url, 'c', 'after');
    await heard;
    expect(events.events).toEqual(['resync', 'resync', 'notify c after']);

    await listener.close();
    await db.end();
    await proxy.close();
  });

  it('close() returns promptly while the database is away, and leaves no timer', async (ctx) => {
    const url = await postgres.database(ctx, { migrate: false });
    const proxy = await PartitionProxy.start(postgres.cluster().port);
    const through = new URL(url);
    through.port = String(proxy.port);
    const db = PostgresDatabase.fromUrl(through.href, { connectTimeoutMs: 300 });
    const events = recorder();
    const listener = new PostgresListener(db, { channels: ['c'], ...events, resyncIntervalMs: 50 });
    const listening = events.next('resync', 5_000);
    listener.start();
    await listening;
    proxy.blackhole();
    const start = performance.now();
    await listener.close();
    // The polite end is given a second; then the socket is destroyed.
    expect(performance.now() - start).toBeLessThan(3_000);
    const count = events.events.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events.events).toHaveLength(count);
    await db.end();
    await proxy.close();
  });
});
