import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { getFreePort, repoRoot } from '@camgate/testkit';

/** A gateway node as a real process (the built CLI), with its log lines kept for the test. */
export interface NodeProcess {
  readonly id: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Every log line (JSON), for assertions and for the report of a failed test. */
  readonly lines: string[];
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** SIGKILL: a crash, nothing released. */
  kill(): Promise<void>;
  /** SIGTERM: a graceful stop (leases handed over). */
  stop(): Promise<number | string>;
}

/** Polls `probe` every 100 ms until it returns something other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** 30 s for a node to listen: a cold start migrates the database and loads the registry. */
const START_TIMEOUT_MS = 30_000;

/** Starts `node apps/gateway/dist/cli.js serve` as node `id` on a free port, with `env` added. */
export async function startNode(id: string, env: Record<string, string>): Promise<NodeProcess> {
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    ['apps/gateway/dist/cli.js', 'serve', '--host', '127.0.0.1', '--port', String(port), '--no-demo'],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        CAMGATE_LOG_FORMAT: 'json',
        CAMGATE_LOG_LEVEL: 'info',
        CAMGATE_NODE_ID: id,
        CAMGATE_NODE_URL: url,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  createInterface({ input: child.stderr }).on('line', (line) => lines.push(line));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node ${id} did not listen within 30 s:\n${lines.join('\n')}`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (/listening at http/i.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node ${id} exited (${code}) before listening:\n${lines.join('\n')}`));
    });
  });
  try {
    await listening;
  } catch (err) {
    // A node that did not come up is not left running behind the test.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw err;
  }
  return {
    id,
    url,
    child,
    lines,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * A TCP relay between a node and PostgreSQL that can be cut without closing anything, like a
 * network partition: `blackhole()` stops carrying bytes both ways (and takes new connections
 * without answering); `heal()` closes what it held so the node reconnects.
 */
export class Blackhole {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPort: number): Promise<{ relay: Blackhole; port: number }> {
    // Half-open allowed: a cut connection answers nothing, not even a FIN (a real partition).
    const server = createServer({ allowHalfOpen: true });
    const relay = new Blackhole(server);
    server.on('connection', (client) => relay.#relay(client, targetPort));
    const port = await getFreePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { relay, port };
  }

  #relay(client: Socket, targetPort: number): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined);
    if (this.#cut) return;
    const upstream = new Socket();
    this.#sockets.add(upstream);
    upstream.on('close', () => this.#sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.connect(targetPort, '127.0.0.1');
    client.on('data', (data) => {
      if (!this.#cut) upstream.write(data);
    });
    // A connection the node closes is closed through, unless cut (then nothing answers, not even its FIN).
    client.on('end', () => {
      if (!this.#cut) upstream.end();
    });
    upstream.on('end', () => {
      if (!this.#cut) client.end();
    });
    upstream.on('data', (data) => {
      if (!this.#cut) client.write(data);
    });
  }

  blackhole(): void {
    this.#cut = true;
  }

  heal(): void {
    this.#cut = false;
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
