import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  getFreePort,
  interopRequired,
  repoRoot,
  TestkitError,
  TestkitErrorCode,
  type SkippableContext,
} from '@camgate/testkit';

/** The configuration operators copy (docs/deploy.md): the tests run this very file. */
export const OPERATOR_CONF = join(repoRoot, 'docs/nginx/camgate-cache.conf');

/** The test-only certificate for localhost and 127.0.0.1 (apps/gateway/testdata/tls/README.md). */
export const TEST_CERT = new URL('../../testdata/tls/localhost.crt', import.meta.url).pathname;
export const TEST_KEY = new URL('../../testdata/tls/localhost.key', import.meta.url).pathname;

/** Where Debian's nginx package puts it; CAMGATE_NGINX overrides. */
const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx'];
const INSTALL_HINT = 'apt-get install nginx (or set CAMGATE_NGINX to an nginx binary)';
/** nginx binds its port within milliseconds; 10 s covers a loaded CI machine. */
const START_TIMEOUT_MS = 10_000;
/** A graceful stop ends idle keep-alive connections at once; a held request would take longer: killed then. */
const STOP_TIMEOUT_MS = 5_000;

export type NginxLookup = { found: true; path: string; version: string } | { found: false; reason: string };

let lookup: NginxLookup | undefined;

/** Finds nginx and its version (once per process). */
export function findNginx(env: NodeJS.ProcessEnv = process.env): NginxLookup {
  if (lookup !== undefined) return lookup;
  const candidates = env['CAMGATE_NGINX'] === undefined ? NGINX_CANDIDATES : [env['CAMGATE_NGINX']];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    // `nginx -v` prints to stderr.
    const result = spawnSync(path, ['-v'], { encoding: 'utf8', timeout: 10_000 });
    const version = /nginx version: (\S+)/.exec(`${result.stderr}${result.stdout}`)?.[1];
    if (result.status === 0 && version !== undefined) return (lookup = { found: true, path, version });
  }
  return (lookup = {
    found: false,
    reason: `nginx not found (tried ${candidates.join(', ')}); install: ${INSTALL_HINT}`,
  });
}

/**
 * Like requireTools (@camgate/testkit) for nginx: its path when installed; otherwise the test is
 * skipped with the reason, or fails under CAMGATE_REQUIRE_INTEROP=1 (CI).
 */
export function requireNginx(ctx: SkippableContext): string {
  const found = findNginx();
  if (found.found) return found.path;
  if (interopRequired()) {
    throw new TestkitError(TestkitErrorCode.INTEROP_TOOL_MISSING, `CAMGATE_REQUIRE_INTEROP=1 but ${found.reason}`);
  }
  return ctx.skip(`interop tool missing: ${found.reason}`);
}

/** What a test puts where the operator's file says EDIT. */
export interface CacheConfValues {
  /** The gateway nodes, `host:port` each. */
  upstreams: readonly string[];
  /** nginx listens on 127.0.0.1 at this port. */
  port: number;
  cacheDir: string;
  cert: string;
  key: string;
}

/**
 * The operator's file with the test's values on its EDIT lines, and nothing else changed. Each line
 * it replaces must be there exactly as documented: an edit of the file that the tests could no
 * longer follow fails here, naming the line, instead of testing something else.
 */
export function renderCacheConf(text: string, values: CacheConfValues): string {
  let out = text;
  /** Replaces the one line `pattern` (multiline, not global) matches; `by` gets its groups. */
  const replace = (what: string, pattern: RegExp, by: (groups: readonly string[]) => string) => {
    const count = [...out.matchAll(new RegExp(pattern.source, `${pattern.flags}g`))].length;
    if (count !== 1) throw new Error(`${OPERATOR_CONF}: ${count} ${what} lines (${pattern}) where one is filled in`);
    out = out.replace(pattern, (...groups: string[]) => by(groups));
  };
  // The `upstream` block's server lines: the first becomes the test's nodes, the others go.
  const upstream = /^upstream camgate_nodes \{\n(?<body>[\s\S]*?)^\}/m.exec(out);
  if (upstream?.groups?.['body'] === undefined) throw new Error(`${OPERATOR_CONF}: no "upstream camgate_nodes" block`);
  const serverLine = /^( +)server \S+( [^;#]*)?;.*\n/gm;
  const servers = [...upstream.groups['body'].matchAll(serverLine)];
  if (servers.length === 0) throw new Error(`${OPERATOR_CONF}: no server line in "upstream camgate_nodes"`);
  let first = true;
  const body = upstream.groups['body'].replace(serverLine, (_line, indent: string, params: string | undefined) => {
    if (!first) return '';
    first = false;
    return values.upstreams.map((node) => `${indent}server ${node}${params ?? ''};\n`).join('');
  });
  out = out.replace(upstream.groups['body'], body);
  replace(
    'IPv4 listen line',
    /^( +)listen 443 (ssl http2;).*$/m,
    (m) => `${m[1]}listen 127.0.0.1:${values.port} ${m[2]}`,
  );
  replace('IPv6 listen line', /^ +listen \[::\]:443 ssl http2;.*\n/m, () => '');
  replace('ssl_certificate', /^( +)ssl_certificate \S+;.*$/m, (m) => `${m[1]}ssl_certificate ${values.cert};`);
  replace(
    'ssl_certificate_key',
    /^( +)ssl_certificate_key \S+;.*$/m,
    (m) => `${m[1]}ssl_certificate_key ${values.key};`,
  );
  replace(
    'proxy_cache_path',
    /^proxy_cache_path \/var\/cache\/nginx\/camgate /m,
    () => `proxy_cache_path ${values.cacheDir} `,
  );
  return out;
}

export interface NginxCacheOptions {
  upstreams: readonly string[];
  /** Default 1: the lock and cache behave the same; the benchmark sets more. */
  workerProcesses?: number | 'auto';
  /** The operator's file (default: OPERATOR_CONF). */
  conf?: string;
}

/**
 * Debian's nginx running the operator's cache configuration in front of `upstreams`, as a child
 * process with a temporary prefix: its own port, cache, temp folders and pid file, logs on stderr
 * (shown only when it fails to start). As root, the workers run as nginx's default unprivileged user
 * (the temporary folder is opened to it); otherwise as the current user. Tests only.
 */
export class NginxCache {
  #exited: Promise<unknown>;

  private constructor(
    readonly origin: string,
    readonly port: number,
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly stderr: () => string,
  ) {
    this.#exited = child.exitCode !== null ? Promise.resolve() : once(child, 'exit');
  }

  /** The certificate nginx serves, for clients to trust. */
  static readonly cert = TEST_CERT;

  static async start(options: NginxCacheOptions): Promise<NginxCache> {
    const found = findNginx();
    if (!found.found) throw new TestkitError(TestkitErrorCode.INTEROP_TOOL_MISSING, found.reason);
    const dir = await mkdtemp(join(tmpdir(), 'camgate-nginx-'));
    try {
      // The workers (as root: nginx's default user, `nobody`) reach the cache and temp folders in it;
      // nginx creates those itself and gives them to the workers' user.
      await chmod(dir, 0o755);
      const port = await getFreePort();
      const operator = await readFile(options.conf ?? OPERATOR_CONF, 'utf8');
      const conf = renderCacheConf(operator, {
        upstreams: options.upstreams,
        port,
        cacheDir: join(dir, 'cache'),
        cert: TEST_CERT,
        key: TEST_KEY,
      });
      await writeFile(join(dir, 'camgate-cache.conf'), conf);
      await writeFile(join(dir, 'nginx.conf'), mainConf(dir, options.workerProcesses ?? 1));
      const args = [
        '-p',
        `${dir}/`,
        '-c',
        join(dir, 'nginx.conf'),
        '-g',
        `daemon off; pid ${dir}/nginx.pid; error_log stderr;`,
      ];
      // The configuration first: its errors, clearly, rather than an nginx that exits.
      const checked = spawnSync(found.path, [...args, '-t'], { encoding: 'utf8', timeout: 20_000 });
      if (checked.status !== 0) {
        throw new TestkitError(
          TestkitErrorCode.PROCESS_FAILED,
          `nginx -t refused the configuration:\n${checked.stderr}`,
        );
      }
      const child = spawn(found.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        // Bounded: only the start's errors are ever shown.
        if (stderr.length < 64 * 1024) stderr += chunk;
      });
      const nginx = new NginxCache(`https://127.0.0.1:${port}`, port, dir, child, () => stderr);
      running.add(nginx);
      try {
        await nginx.#listening(port);
      } catch (err) {
        await nginx.stop();
        throw err;
      }
      return nginx;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** nginx's master and workers (their pids), for CPU accounting. */
  processIds(): number[] {
    const result = spawnSync('ps', ['-o', 'pid=', '--ppid', String(this.pid)], { encoding: 'utf8' });
    return [
      this.pid,
      ...result.stdout
        .split('\n')
        .map(Number)
        .filter((pid) => pid > 0),
    ];
  }

  /** Waits until the port accepts connections: a poll with a deadline, nginx says nothing when it is ready. */
  async #listening(port: number): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new TestkitError(TestkitErrorCode.PROCESS_FAILED, `nginx exited at start:\n${this.stderr()}`);
      }
      const connected = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (connected) return;
      if (Date.now() > deadline) {
        throw new TestkitError(TestkitErrorCode.PROCESS_FAILED, `nginx did not listen within 10 s:\n${this.stderr()}`);
      }
      await sleep(20);
    }
  }

  /** Stops nginx (SIGQUIT: graceful; SIGKILL if it lingers) and deletes its folder. */
  async stop(): Promise<void> {
    running.delete(this);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGQUIT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The main configuration around the operator's file: like Debian's stock nginx.conf (which includes
 * conf.d/*.conf inside `http { }`), with every path in the temporary prefix.
 */
function mainConf(dir: string, workers: number | 'auto'): string {
  return `worker_processes ${workers};
events {
    worker_connections 4096;
}
http {
    # As in Debian's nginx.conf.
    sendfile on;
    tcp_nopush on;
    gzip on;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/camgate-cache.conf;
}
`;
}

/** nginx processes of this test process: killed if it exits without stopping them. */
const running = new Set<NginxCache>();
process.once('exit', () => {
  for (const nginx of running) {
    try {
      process.kill(nginx.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});
