import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { FFMPEG_RECHECK_MS, FfmpegBinary, probeFfmpeg } from './ffmpeg-binary.js';

describe('probeFfmpeg', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-ffmpeg-'));
    await writeFile(join(dir, 'not-ffmpeg'), '#!/bin/sh\necho "hello"\n');
    await chmod(join(dir, 'not-ffmpeg'), 0o755);
    await writeFile(join(dir, 'not-executable'), 'text');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const cases: Array<[name: string, path: () => string, reason: RegExp]> = [
    ['a path that does not exist', () => join(dir, 'missing'), /was not found/],
    ['a name not in PATH', () => 'camgate-no-such-ffmpeg', /was not found/],
    ['a program that is not ffmpeg', () => join(dir, 'not-ffmpeg'), /is not ffmpeg/],
    ['a file that cannot be run', () => join(dir, 'not-executable'), /cannot be run \(EACCES\)/],
  ];
  it.each(cases)('%s: not found, with the reason', async (_name, path, reason) => {
    const lookup = await probeFfmpeg(path());
    expect(lookup.found).toBe(false);
    if (!lookup.found) expect(lookup.reason).toMatch(reason);
  });

  it("the system's ffmpeg: found, with its version", async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const lookup = await probeFfmpeg(ffmpeg);
    expect(lookup).toMatchObject({ found: true, version: expect.stringMatching(/^\S+/) });
  });
});

describe('FfmpegBinary', () => {
  it('require() throws the coded 501 naming the feature and the fix', async () => {
    const binary = new FfmpegBinary('camgate-no-such-ffmpeg');
    const err = await binary.require('a snapshot').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: GatewayErrorCode.FFMPEG_NOT_FOUND, statusCode: 501 });
    expect((err as Error).message).toMatch(/^a snapshot needs ffmpeg.*apt-get install ffmpeg.*CAMGATE_FFMPEG/);
  });

  it('looks once, and again after a minute', async () => {
    let now = 0;
    const binary = new FfmpegBinary('camgate-no-such-ffmpeg', () => now);
    const first = binary.lookup();
    expect(binary.lookup()).toBe(first);
    now += FFMPEG_RECHECK_MS;
    expect(binary.lookup()).not.toBe(first);
    await first;
  });
});
