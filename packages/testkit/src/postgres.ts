import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestkitError, TestkitErrorCode } from './errors.js';
import { getFreePort } from './free-port.js';
import { runProcess, type ProcessResult } from './run-process.js';
import { findTool, POSTGRES_OS_USER } from './tools.js';

export interface PostgresOptions {
  /**
   * More server settings, written to postgresql.conf: `{ shared_preload_libraries: 'pg_stat_statements' }`.
   * They win over the harness's own.
   */
  settings?: Readonly<Record<string, string | number | boolean>>;
  /** The database `url` names, created at start. Default `camgate`. */
  database?: string;
  /** The superuser's name (trust authentication, no password). Default `camgate`. */
  user?: string;
  /** How long initdb and each server start may take. Default 30 s. */
  startTimeoutMs?: number;
}

/** A throwaway PostgreSQL cluster of this test process's own, on 127.0.0.1. */
export interface PrivatePostgres {
  /** `postgres://<user>@127.0.0.1:<port>/<database>`. */
  readonly url: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The cluster's data directory (inside a temp directory that stop() removes). */
  readonly dataDir: string;
  /** The PostgreSQL bin directory in use (initdb, pg_ctl, psql, ...). */
  readonly binDir: string;
  /** `url` for another database of this cluster. */
  urlFor(database: string): string;
  /** Creates an empty database (a fresh one per test keeps tests apart) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL with psql as the superuser and returns its unaligned output (`psql -At`). */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m fast`: sessions are cut) and keeps its data: the database is "down". */
  pause(): Promise<void>;
  /** Starts the paused server again, on the same port with the same data. */
  resume(): Promise<void>;
  /** Stops the server and removes its temp directory. Stopping twice is harmless. */
  stop(): Promise<void>;
}

/**
 * Settings for a cluster that lives for one test file: durability off (the data is thrown away),
 * room for a few gateway nodes' pools plus the tests' own connections, small memory.
 */
const HARNESS_SETTINGS: Readonly<Record<string, string | number | boolean>> = {
  listen_addresses: '127.0.0.1',
  // 3 gateway nodes × (pool + LISTEN) + benchmarks' keepers + the tests' own clients, with room.
  max_connections: 200,
  shared_buffers: '32MB',
  fsync: false,
  synchronous_commit: false,
  full_page_writes: false,
  // Database time in tests reads the same everywhere.
  timezone: 'UTC',
};

/** 30 s: initdb takes about a second, a start a fraction; a loaded CI machine gets wide room. */
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** 10 s: an immediate or fast shutdown of a test cluster takes well under a second. */
const STOP_TIMEOUT_MS = 10_000;
/** 4 KiB of the server log's tail goes into an error about a failed start. */
const LOG_TAIL = 4096;

/**
 * The watchdog: a shell that holds the read end of a pipe from this process and, when the pipe
 * closes (stop(), or this process exiting in any way, even SIGKILL), stops the cluster
 * (`-m immediate`) and removes its temp directory. It runs in a session of its own, so Ctrl+C in
 * a terminal or a test runner killing its workers cannot take it down before it has cleaned up.
 */
const WATCHDOG_SCRIPT = `
trap '' INT HUP TERM
read -r _line
"$@" stop -D "$WATCHDOG_DATA" -m immediate -w -t 10 >/dev/null 2>&1
rm -rf "$WATCHDOG_TMP"
`;

/**
 * Starts a private PostgreSQL cluster: `initdb` into a fresh temp directory, a free port on
 * 127.0.0.1 only, the unix socket inside the temp directory, trust authentication (nobody else
 * can reach it, and it is thrown away). initdb refuses to run as root: as root the server runs as
 * Debian's `postgres` user (`runuser -u postgres --`) and the temp directory is made its own.
 * Callers gate on the tool first (`requireTools(ctx, 'postgres')`).
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PrivatePostgres> {
  const lookup = findTool('postgres');
  if (!lookup.found) throw new TestkitError(TestkitErrorCode.INTEROP_TOOL_MISSING, lookup.reason);
  const binDir = lookup.path;
  const user = options.user ?? 'camgate';
  const database = options.database ?? 'camgate';
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const root = process.getuid?.() === 0;

  const tmp = await mkdtemp(join(tmpdir(), 'camgate-pg-'));
  const dataDir = join(tmp, 'data');
  const socketDir = join(tmp, 'socket');
  const logFile = join(tmp, 'postgres.log');
  await mkdir(socketDir);
  if (root) {
    const { uid, gid } = await osUser(POSTGRES_OS_USER);
    await chown(tmp, uid, gid);
    await chown(socketDir, uid, gid);
  }
  const bin = (name: string) => join(binDir, name);
  // Server-side commands run as the server's user; their working directory is one it can enter.
  const asServer = (command: string, args: readonly string[], timeoutMs: number) =>
    root
      ? runProcess('runuser', ['-u', POSTGRES_OS_USER, '--', command, ...args], { cwd: tmp, timeoutMs })
      : runProcess(command, args, { cwd: tmp, timeoutMs });

  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'camgate-pg-watchdog', ...serverCommand(root, bin)], {
    cwd: tmp,
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { ...process.env, WATCHDOG_DATA: dataDir, WATCHDOG_TMP: tmp },
  });
  const watchdogExited = new Promise<void>((resolve) => watchdog.once('close', () => resolve()));
  // A watchdog that could not start or died early: stop() then cleans up by itself, below.
  watchdog.on('error', () => undefined);
  watchdog.stdin.on('error', () => undefined);
  // Neither the watchdog nor its pipe keeps this process alive: its exit is what the watchdog waits for.
  watchdog.unref();
  if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    watchdog.stdin.end();
    if (watchdog.exitCode === null && watchdog.signalCode === null && watchdog.pid !== undefined) {
      const timer = setTimeout(() => watchdog.kill('SIGKILL'), STOP_TIMEOUT_MS + 5_000);
      await watchdogExited;
      clearTimeout(timer);
    }
    // The watchdog stopped the server and removed the directory; without it, do both here.
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      await asServer(bin('pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w'], STOP_TIMEOUT_MS);
    }
    await rm(tmp, { recursive: true, force: true });
  };

  const failed = async (what: string, result?: ProcessResult): Promise<never> => {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const output = result === undefined ? '' : `${result.stdout}${result.stderr}`;
    throw new TestkitError(
      TestkitErrorCode.PROCESS_FAILED,
      `PostgreSQL ${what}\n${output}\n${log.slice(-LOG_TAIL)}`.trimEnd(),
    );
  };
  const startServer = async (): Promise<void> => {
    const result = await asServer(
      bin('pg_ctl'),
      ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(Math.ceil(startTimeoutMs / 1000))],
      startTimeoutMs + 5_000,
    );
    if (result.code !== 0) await failed('did not start', result);
  };
  const stopServer = async (): Promise<void> => {
    const result = await asServer(bin('pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w'], STOP_TIMEOUT_MS);
    if (result.code !== 0) await failed('did not stop', result);
  };

  try {
    const init = await asServer(
      bin('initdb'),
      ['-D', dataDir, '-U', user, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'],
      startTimeoutMs,
    );
    if (init.code !== 0) await failed('initdb failed', init);
    const port = await getFreePort();
    const settings = {
      ...HARNESS_SETTINGS,
      port,
      unix_socket_directories: socketDir,
      ...options.settings,
    };
    await appendFile(join(dataDir, 'postgresql.conf'), `\n# camgate test harness\n${configLines(settings)}`);
    await startServer();

    const client = (command: string, args: readonly string[]) =>
      runProcess(bin(command), ['-h', '127.0.0.1', '-p', String(port), '-U', user, ...args], {
        cwd: tmp,
        timeoutMs: startTimeoutMs,
      });
    const urlFor = (name: string) =>
      `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    const createDatabase = async (name: string): Promise<string> => {
      const result = await client('createdb', [name]);
      if (result.code !== 0) await failed(`could not create database ${name}`, result);
      return urlFor(name);
    };
    await createDatabase(database);

    let paused = false;
    return {
      url: urlFor(database),
      port,
      user,
      database,
      dataDir,
      binDir,
      urlFor,
      createDatabase,
      psql: async (sql, name = database) => {
        const result = await client('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', name, '-c', sql]);
        if (result.code !== 0) await failed(`psql failed: ${result.stderr.trim()}`);
        return result.stdout.trimEnd();
      },
      pause: async () => {
        if (paused || stopped) return;
        await stopServer();
        paused = true;
      },
      resume: async () => {
        if (!paused || stopped) return;
        await startServer();
        paused = false;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** pg_ctl, as the server's user when we are root: the watchdog runs it the same way. */
function serverCommand(root: boolean, bin: (name: string) => string): string[] {
  return root ? ['runuser', '-u', POSTGRES_OS_USER, '--', bin('pg_ctl')] : [bin('pg_ctl')];
}

/** postgresql.conf lines; strings quoted the way the file wants them ('' for a quote). */
function configLines(settings: Readonly<Record<string, string | number | boolean>>): string {
  return Object.entries(settings)
    .map(([key, value]) => {
      if (typeof value === 'string') return `${key} = '${value.replaceAll("'", "''")}'`;
      if (typeof value === 'boolean') return `${key} = ${value ? 'on' : 'off'}`;
      return `${key} = ${value}`;
    })
    .join('\n')
    .concat('\n');
}

async function osUser(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([runProcess('id', ['-u', name]), runProcess('id', ['-g', name])]);
  const value = (result: ProcessResult) => (result.code === 0 ? Number(result.stdout.trim()) : NaN);
  const ids = { uid: value(uid), gid: value(gid) };
  if (!Number.isInteger(ids.uid) || !Number.isInteger(ids.gid)) {
    throw new TestkitError(TestkitErrorCode.INTEROP_TOOL_MISSING, `there is no "${name}" user to run PostgreSQL as`);
  }
  return ids;
}
