#!/usr/bin/env node
import { runCli } from './cli/run-cli.js';
import { tuneV8Tiering } from './cli/v8-tiering.js';

// Process-wide, so here and not in a command: long-running code is optimized sooner (see v8-tiering.ts).
tuneV8Tiering();

/**
 * 10 s after SIGTERM the process exits whatever holds it: a socket to an unreachable database can
 * keep the event loop alive forever after a graceful shutdown has done all it can (5 s).
 */
const HARD_EXIT_MS = 10_000;

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stop.abort(signal);
    setTimeout(() => process.exit(process.exitCode ?? 1), HARD_EXIT_MS).unref();
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stop: stop.signal,
});
