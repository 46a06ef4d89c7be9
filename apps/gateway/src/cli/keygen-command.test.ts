import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
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

  it('takes no arguments', async () => {
    expect(await runCli(['keygen', 'extra'], io())).toBe(2);
  });
});
