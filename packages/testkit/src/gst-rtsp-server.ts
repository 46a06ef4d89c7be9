import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TestkitError, TestkitErrorCode } from './errors.js';
import { findTool, GST_RTSP_SERVER_SCRIPT } from './tools.js';

export type GstMount = 'h264aac' | 'h264' | 'h265' | 'h264pcmu';
/** Mounts of the Digest-auth server: two H.264 streams, each from a pipeline of its own. */
export type GstDigestMount = 'cam1' | 'cam2';

export interface GstRtspServerOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Keyframe interval in frames. */
  gop?: number;
  user?: string;
  password?: string;
  /** How long to wait for the server to listen. Default 20 s. */
  startTimeoutMs?: number;
}

export interface GstRtspServer {
  /** Port of the open mounts (h264aac, h264, h265, h264pcmu). */
  readonly port: number;
  /** Port of the Basic-auth mount (h264auth). */
  readonly authPort: number;
  /** Port of the Digest-auth mounts (cam1, cam2): Digest only (MD5, no qop), no Basic. */
  readonly digestPort: number;
  readonly user: string;
  readonly password: string;
  /** rtsp:// URL of an open mount. */
  url(mount: GstMount): string;
  /** rtsp:// URL of the Basic-auth mount; with the server's credentials unless others are given. */
  authUrl(credentials?: { user: string; password: string } | null): string;
  /** rtsp:// URL of a Digest-auth mount; with the server's credentials unless others are given. */
  digestUrl(path: GstDigestMount, credentials?: { user: string; password: string } | null): string;
  /** Stops the server and waits for its process to exit. */
  close(): Promise<void>;
}

/** 64 KiB of the server's stderr is kept for error messages. */
const MAX_STDERR = 64 * 1024;

/**
 * Starts GStreamer's RTSP server (fixtures/gst-rtsp-server.py) on free ports.
 * Callers gate on the tool first (`requireTools(ctx, 'gst-rtsp-server')`).
 */
export async function startGstRtspServer(options: GstRtspServerOptions = {}): Promise<GstRtspServer> {
  const lookup = findTool('gst-rtsp-server');
  if (!lookup.found) throw new TestkitError(TestkitErrorCode.INTEROP_TOOL_MISSING, lookup.reason);
  const user = options.user ?? 'camgate';
  const password = options.password ?? 'camgate-secret';
  const args = [GST_RTSP_SERVER_SCRIPT, '--user', user, '--password', password];
  for (const key of ['width', 'height', 'fps', 'gop'] as const) {
    const value = options[key];
    if (value !== undefined) args.push(`--${key}`, String(value));
  }

  const child = spawn(lookup.path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-MAX_STDERR);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // Closing stdin makes the script quit its main loop; SIGKILL if it does not.
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  let ready: Ready;
  try {
    ready = await waitForReady(child, options.startTimeoutMs ?? 20_000, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }

  const host = '127.0.0.1';
  const withCredentials = (port: number, path: string, credentials: { user: string; password: string } | null) =>
    credentials === null
      ? `rtsp://${host}:${port}/${path}`
      : `rtsp://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@${host}:${port}/${path}`;
  return {
    port: ready.port,
    authPort: ready.authPort,
    digestPort: ready.digestPort,
    user,
    password,
    url: (mount) => `rtsp://${host}:${ready.port}/${mount}`,
    authUrl: (credentials = { user, password }) => withCredentials(ready.authPort, 'h264auth', credentials),
    digestUrl: (path, credentials = { user, password }) => withCredentials(ready.digestPort, path, credentials),
    close: stop,
  };
}

/** The ports the script reports once it listens. */
interface Ready {
  port: number;
  authPort: number;
  digestPort: number;
}

function waitForReady(child: ChildProcessWithoutNullStreams, timeoutMs: number, stderr: () => string): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const fail = (why: string) => {
      cleanup();
      reject(new TestkitError(TestkitErrorCode.PROCESS_FAILED, `GStreamer RTSP server ${why}\n${stderr()}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const onExit = (code: number | null) => fail(`exited with code ${code} before it was ready`);
    const onLine = (line: string) => {
      let message: { ready?: boolean; port?: number; authPort?: number; digestPort?: number; error?: string };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (
        message.ready === true &&
        typeof message.port === 'number' &&
        typeof message.authPort === 'number' &&
        typeof message.digestPort === 'number'
      ) {
        cleanup();
        resolve({ port: message.port, authPort: message.authPort, digestPort: message.digestPort });
      } else {
        fail(`failed: ${message.error ?? line}`);
      }
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine);
      lines.close();
    };
    child.on('exit', onExit);
    lines.on('line', onLine);
  });
}
