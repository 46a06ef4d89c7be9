import { CamsimServer } from '@camgate/camsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import type { ProbeReport } from './probe-command.js';
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
      /^ID\s+KIND\s+CODEC\s+CODEC STRING\s+RESOLUTION\s+FPS\s+RATE\s+CH\s+FRAMES\s+KEYFRAMES\s+BYTES\s+ERRORS$/,
    );
    expect(lines[3]).toMatch(/^0\s+video\s+h264\s+avc1\.4d401e\s+640x360\s+25\s/);
    expect(lines[4]).toMatch(/^1\s+audio\s+pcma\s+alaw\s+-\s+-\s+8000\s+1\s/);
  });

  it('exits 1 with the coded error on stderr when the camera refuses the password', async () => {
    const { io, out, err } = capture();
    const url = camera.url('/h264-aac', { username: 'admin', password: 'nope' });
    expect(await runCli(['probe', url, '--json', '--duration', '1'], io)).toBe(1);
    expect(err()).toMatch(/^camgate probe: the camera rejected the credentials .*\[RTSP_AUTH_FAILED\]\n$/);
    expect((JSON.parse(out()) as ProbeReport).tracks).toEqual([]);
  });

  it('exits 1 with RTSP_INVALID_URL for a non-RTSP URL', async () => {
    const { io, err } = capture();
    expect(await runCli(['probe', 'http://example.com/', '--json'], io)).toBe(1);
    expect(err()).toContain('[RTSP_INVALID_URL]');
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
    await expect.poll(() => stdout.split('\n').length, { timeout: 10_000 }).toBe(4);
    const urls = stdout.trim().split('\n');
    expect(urls.map((u) => new URL(u).pathname)).toEqual(['/h264-aac', '/h265-aac', '/h264-pcma']);

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
