import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openSegment } from '@camgate/hls/testing';
import {
  buildRepo,
  hasTools,
  pnpmCommand,
  repoRoot,
  requireTools,
  runProcess,
  startGstRtspServer,
  type GstRtspServer,
} from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../version.js';

const pnpm = pnpmCommand;

describe('camgate from the repository root (built CLI)', () => {
  beforeAll(async () => {
    // `pnpm -s camgate` builds first; do it once here so the tests below measure nothing but the CLI.
    const build = await buildRepo();
    expect(build.stderr + build.stdout).toBe('');
    expect(build.code).toBe(0);
  }, 200_000);

  it('`pnpm -s camgate --version` prints only the version', async () => {
    const { command, args } = pnpm(['-s', 'camgate', '--version']);
    const result = await runProcess(command, args, { cwd: repoRoot, timeoutMs: 120_000 });
    expect([result.code, result.stdout, result.stderr]).toEqual([0, `${VERSION}\n`, '']);
  }, 130_000);

  it('`camgate serve` answers /healthz, streams its built-in demo camera, and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'camgate-e2e-'));
    const child = spawn(process.execPath, ['apps/gateway/dist/cli.js', 'serve', '--host', '127.0.0.1', '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, CAMGATE_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.on('line', (line) => {
          const msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
          const match = /listening at (http:\/\/[^\s]+)/i.exec(msg);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once('exit', () => reject(new Error('camgate serve exited before listening')));
      });
      const res = await fetch(`${address}/healthz`, { signal: AbortSignal.timeout(10_000) });
      expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }]);
      // A first run (empty registry) has the demo camera, live within seconds.
      const list = (await (await fetch(`${address}/v1/cameras`)).json()) as { items: Array<{ id: string }> };
      expect(list.items.map((c) => c.id)).toEqual(['demo']);
      const playlist = await fetch(`${address}/live/demo/index.m3u8`, { signal: AbortSignal.timeout(15_000) });
      expect(playlist.status).toBe(200);
      expect(await playlist.text()).toMatch(/^#EXTM3U\n[^]*CODECS="avc1\.64\w{4},mp4a\.40\.2"/);
      // A player holding a blocking request must not hold up the shutdown.
      const video = await (await fetch(`${address}/live/demo/video.m3u8`)).text();
      const next = openSegment(video).msn + 1;
      void fetch(`${address}/live/demo/video.m3u8?_HLS_msn=${next}`).catch(() => undefined);
    } finally {
      child.kill('SIGTERM');
    }
    const signalled = performance.now();
    expect(await exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(5_000);
  }, 30_000);

  it('`camgate serve --tls-cert --tls-key` serves HTTPS with HTTP/2; a key that cannot be read is a coded error', async () => {
    const cert = join(repoRoot, 'apps/gateway/testdata/tls/localhost.crt');
    const key = join(repoRoot, 'apps/gateway/testdata/tls/localhost.key');
    const serve = (keyPath: string) =>
      spawn(
        process.execPath,
        ['apps/gateway/dist/cli.js', 'serve', '--host', '127.0.0.1', '--port', '0', '--no-demo'].concat([
          '--tls-cert',
          cert,
          '--tls-key',
          keyPath,
        ]),
        {
          cwd: repoRoot,
          env: { ...process.env, CAMGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'camgate-e2e-')) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );

    const refused = serve(join(tmpdir(), 'no-such-camgate.key'));
    let stderr = '';
    refused.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(refused, 'exit')) as [number | null];
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/tlsKey .*cannot be read \(ENOENT\) \[CAMGATE_ERR_INVALID_CONFIG\]\n$/);

    const child = serve(key);
    const exited = once(child, 'exit');
    try {
      const address = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const match = /listening at (https:\/\/[^\s"]+)/i.exec(line);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once('exit', () => reject(new Error('camgate serve exited before listening')));
      });
      const session = connect(address, { ca: readFileSync(cert) });
      try {
        const status = await new Promise<string>((resolve, reject) => {
          const request = session.request({ ':path': '/healthz' });
          request.on('response', (headers) => resolve(String(headers[':status'])));
          request.on('error', reject);
          request.end();
        });
        expect([session.alpnProtocol, status]).toEqual(['h2', '200']);
      } finally {
        session.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual([0, null]);
  }, 30_000);

  describe("`pnpm -s camgate probe` against GStreamer's RTSP server (interop)", () => {
    let server: GstRtspServer | undefined;
    beforeAll(async () => {
      if (hasTools('gst-rtsp-server')) server = await startGstRtspServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('prints only the JSON report, with both tracks delivering frames', async (ctx) => {
      requireTools(ctx, 'gst-rtsp-server');
      const { command, args } = pnpm(['-s', 'camgate', 'probe', server!.url('h264aac'), '--json', '--duration', '2']);
      const result = await runProcess(command, args, { cwd: repoRoot, timeoutMs: 60_000 });
      expect([result.code, result.stderr]).toEqual([0, '']);
      const report = JSON.parse(result.stdout) as {
        transport: string;
        tracks: Array<{ codec: string; frames: number }>;
      };
      expect(report.transport).toBe('tcp');
      expect(report.tracks.map((t) => t.codec)).toEqual(['h264', 'aac']);
      expect(report.tracks.every((t) => t.frames > 0)).toBe(true);
    }, 70_000);

    it('exits non-zero with the coded error on stderr for a wrong password', async (ctx) => {
      requireTools(ctx, 'gst-rtsp-server');
      const url = server!.authUrl({ user: 'camgate', password: 'not-the-password' });
      const { command, args } = pnpm(['-s', 'camgate', 'probe', url, '--duration', '1']);
      const result = await runProcess(command, args, { cwd: repoRoot, timeoutMs: 60_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/\[RTSP_AUTH_FAILED\]\n$/);
      expect(result.stdout + result.stderr).not.toContain('not-the-password');
    }, 70_000);
  });
});
