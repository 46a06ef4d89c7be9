import { CamsimServer } from '@camgate/camsim';
import { getFreePort } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { formatReport, type ProbeReport } from './probe-command.js';
import { runCli } from './run-cli.js';

function capture() {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    stop: new AbortController().signal,
  };
  return { io, out: () => stdout, err: () => stderr };
}

describe('camgate probe', () => {
  let camera: CamsimServer;
  beforeAll(async () => {
    camera = await CamsimServer.start({ auth: { username: 'admin', password: 's3cr3t' } });
  });
  afterAll(async () => {
    await camera.close();
  });

  it('--json prints one JSON object with every track, credentials redacted', async () => {
    const { io, out, err } = capture();
    const url = camera.url('/h264-aac', { username: 'admin', password: 's3cr3t' });
    expect(await runCli(['probe', url, '--json', '--duration', '1.5'], io)).toBe(0);
    expect(err()).toBe('');
    const report = JSON.parse(out()) as ProbeReport;
    expect(report.url).toBe(`rtsp://admin:***@127.0.0.1:${camera.port}/h264-aac`);
    expect(out()).not.toContain('s3cr3t');
    expect(report.transport).toBe('tcp');
    expect(report.durationMs).toBeGreaterThanOrEqual(1_500);
    expect(report.tracks).toEqual([
      expect.objectContaining({
        id: 0,
        kind: 'video',
        codec: 'h264',
        codecString: 'avc1.64001e',
        width: 640,
        height: 360,
        fps: 25,
      }),
      expect.objectContaining({
        id: 1,
        kind: 'audio',
        codec: 'aac',
        codecString: 'mp4a.40.2',
        sampleRate: 48_000,
        channels: 2,
        delivered: { codec: 'aac', codecString: 'mp4a.40.2' },
        browsers: 'all',
      }),
    ]);
    for (const track of report.tracks) {
      expect(track.frames).toBeGreaterThan(0);
      expect(track.keyframes).toBeGreaterThan(0);
      expect(track.bytes).toBeGreaterThan(0);
      expect(track.errors).toEqual({});
    }
  });

  it('prints a readable table by default, over UDP when asked', async () => {
    const { io, out } = capture();
    const url = camera.url('/h264-pcma', { username: 'admin', password: 's3cr3t' });
    expect(await runCli(['probe', url, '--transport', 'udp', '--duration', '1'], io)).toBe(0);
    const lines = out().split('\n');
    expect(lines[0]).toMatch(/^rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/h264-pcma \(udp, 1\.\d s\)$/);
    expect(lines[2]).toMatch(
      /^ID\s+KIND\s+CODEC\s+CODEC STRING\s+RESOLUTION\s+FPS\s+RATE\s+CH\s+DELIVERED\s+BROWSERS\s+FRAMES\s+KEYFRAMES\s+BYTES\s+ERRORS$/,
    );
    expect(lines[3]).toMatch(/^0\s+video\s+h264\s+avc1\.4d401e\s+640x360\s+25\s+-\s+-\s+avc1\.4d401e\s+all\s/);
    // G.711 reaches players as FLAC.
    expect(lines[4]).toMatch(/^1\s+audio\s+pcma\s+alaw\s+-\s+-\s+8000\s+1\s+fLaC\s+all\s/);
  });

  it.each([
    ['a table', []],
    ['JSON', ['--json']],
  ])('prints only the coded error, no %s, when the camera refuses the password', async (_what, flags) => {
    const { io, out, err } = capture();
    const url = camera.url('/h264-aac', { username: 'admin', password: 'nope' });
    expect(await runCli(['probe', url, ...flags, '--duration', '1'], io)).toBe(1);
    expect(err()).toMatch(/^camgate probe: the camera rejected the credentials .*\[RTSP_AUTH_FAILED\]\n$/);
    expect(out()).toBe('');
  });

  it.each([
    ['a table', []],
    ['JSON', ['--json']],
  ])('prints only the coded error, no %s, when nothing listens on the port', async (_what, flags) => {
    const { io, out, err } = capture();
    const port = await getFreePort();
    expect(await runCli(['probe', `rtsp://127.0.0.1:${port}/stream`, ...flags, '--duration', '1'], io)).toBe(1);
    expect(err()).toMatch(/^camgate probe: connection refused .*\[RTSP_CONNECTION_FAILED\]\n$/);
    expect(out()).toBe('');
  });

  it('exits 1 with only RTSP_INVALID_URL for a non-RTSP URL', async () => {
    const { io, out, err } = capture();
    expect(await runCli(['probe', 'http://example.com/', '--json'], io)).toBe(1);
    expect(err()).toMatch(/^camgate probe: .*\[RTSP_INVALID_URL\]\n$/);
    expect(out()).toBe('');
  });
});

describe('formatReport', () => {
  it('prints no track table header when no track was received, only what was not', () => {
    const text = formatReport({
      url: 'rtsp://cam/x',
      transport: 'tcp',
      tracks: [],
      unsupportedTracks: [{ kind: 'audio', encoding: 'G726-32', reason: 'unsupported codec' }],
      durationMs: 1200,
    });
    expect(text).toBe('rtsp://cam/x (tcp, 1.2 s)\n\nnot received: audio (G726-32): unsupported codec\n');
  });
});

describe('camgate camsim', () => {
  it('prints one URL per stream and serves until stopped', async () => {
    const stop = new AbortController();
    let stdout = '';
    const io: CliIo = {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: () => true },
      env: {},
      stop: stop.signal,
    };
    const exit = runCli(['camsim', '--port', '0', '--user', 'u', '--password', 'p'], io);
    await expect.poll(() => stdout.split('\n').length, { timeout: 10_000 }).toBe(6);
    const urls = stdout.trim().split('\n');
    expect(urls.map((u) => new URL(u).pathname)).toEqual([
      '/h264-aac',
      '/h265-aac',
      '/h264-pcma',
      '/h264-pcmu',
      '/h264-l16',
    ]);

    const { io: probeIo, out } = capture();
    const withCredentials = urls[1]!.replace('rtsp://', 'rtsp://u:p@');
    expect(await runCli(['probe', withCredentials, '--json', '--duration', '1'], probeIo)).toBe(0);
    expect((JSON.parse(out()) as ProbeReport).tracks[0]).toMatchObject({
      codec: 'h265',
      codecString: 'hvc1.1.6.L63.90',
    });

    stop.abort();
    expect(await exit).toBe(0);
  });
});
