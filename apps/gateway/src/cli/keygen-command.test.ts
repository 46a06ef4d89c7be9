import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { SecretBox } from '../store/secret-box.js';
import { generateApiKey } from './keygen-command.js';
import { runCli } from './run-cli.js';
import type { CliIo } from './io.js';

function io(): CliIo & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => out.push(text) },
    env: {},
    stop: new AbortController().signal,
  };
}

describe('camgate keygen', () => {
  it('prints a fresh 43-character key that the gateway accepts', async () => {
    const cli = io();
    expect(await runCli(['keygen'], cli)).toBe(0);
    const key = cli.out.join('').trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(resolveConfig({ host: '0.0.0.0', apiKey: key }).apiKey).toBe(key);
  });

  it('never prints the same key twice', () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey));
    expect(keys.size).toBe(100);
  });

  it('takes no arguments but --secret', async () => {
    expect(await runCli(['keygen', 'extra'], io())).toBe(2);
    expect(await runCli(['keygen', '--secret', 'extra'], io())).toBe(2);
  });

  it('--secret prints a fresh secret key that CAMGATE_SECRET_KEY accepts', async () => {
    const keys = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const cli = io();
      expect(await runCli(['keygen', '--secret'], cli)).toBe(0);
      const key = cli.out.join('').trim();
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(SecretBox.fromEnv({ CAMGATE_SECRET_KEY: key })?.keyId).toMatch(/^[0-9a-f]{8}$/);
      keys.add(key);
    }
    expect(keys.size).toBe(2);
  });
});
