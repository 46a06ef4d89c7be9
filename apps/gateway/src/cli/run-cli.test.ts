import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { VERSION } from '../version.js';
import type { CliIo } from './io.js';
import { runCli, USAGE } from './run-cli.js';

function capture(env: NodeJS.ProcessEnv = {}, stop = new AbortController().signal) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    stop,
  };
  return { io, out: () => stdout, err: () => stderr };
}

describe('camgate CLI', () => {
  it.each([['--version'], ['-v']])('%s prints only the version', async (flag) => {
    const { io, out, err } = capture();
    expect(await runCli([flag], io)).toBe(0);
    expect([out(), err()]).toEqual([`${VERSION}\n`, '']);
  });

  it.each([[[]], [['--help']], [['help']]])('%j prints the usage', async (argv) => {
    const { io, out } = capture();
    expect(await runCli(argv, io)).toBe(0);
    expect(out()).toBe(USAGE);
    expect(USAGE).toMatch(/serve .*\n.*probe .*\n.*camsim /);
  });

  it("help <command> prints that command's usage", async () => {
    const { io, out } = capture();
    expect(await runCli(['help', 'serve'], io)).toBe(0);
    expect(out()).toContain('Usage: camgate serve');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const { io, out, err } = capture();
    expect(await runCli(['serv'], io)).toBe(2);
    expect(out()).toBe('');
    expect(err()).toContain("unknown command 'serv'");
  });

  it.each([
    [['probe'], 'expected one RTSP URL'],
    [['probe', 'rtsp://a/', 'rtsp://b/'], 'expected one RTSP URL'],
    [['probe', 'rtsp://a/', '--transport', 'quic'], '--transport'],
    [['probe', 'rtsp://a/', '--duration', '0'], '--duration'],
    [['camsim', '--port', 'x'], '--port'],
    [['camsim', '--user', 'u'], '--user and --password'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { io, err } = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toContain(GatewayErrorCode.USAGE);
    expect(err()).toContain(message);
  });

  it('serve rejects an unknown flag with exit code 2 and the usage', async () => {
    const { io, err } = capture();
    expect(await runCli(['serve', '--prot', '1'], io)).toBe(2);
    expect(err()).toContain(GatewayErrorCode.USAGE);
    expect(err()).toContain('Usage: camgate serve');
  });

  it('serve rejects an invalid port from the environment with exit code 2', async () => {
    const { io, err } = capture({ CAMGATE_PORT: 'eighty' });
    expect(await runCli(['serve'], io)).toBe(2);
    expect(err()).toContain(GatewayErrorCode.INVALID_CONFIG);
    expect(err()).toContain('port');
  });

  it('serve listens until stopped, then exits 0', async () => {
    const stop = new AbortController();
    const { io } = capture({ CAMGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'camgate-cli-')) }, stop.signal);
    const exit = runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--log-level', 'silent'], io);
    stop.abort();
    expect(await exit).toBe(0);
  });
});
