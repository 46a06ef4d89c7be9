import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '@camgate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraRegistry } from '../cameras/camera-registry.js';
import { configFromEnv, resolveConfig } from '../config.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { cameraRecordProblem } from '../store/camera-store.js';
import { FileCameraStore } from '../store/file-camera-store.js';

/** The camera setting `transcode` through the registry and the file store. */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function registry(ffmpegPath: string, dir?: string) {
  const dataDir = dir ?? (await mkdtemp(join(tmpdir(), 'camgate-transcode-')));
  if (dir === undefined) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const store = await FileCameraStore.open(dataDir);
  const opened = await CameraRegistry.open({ store, ffmpeg: new FfmpegBinary(ffmpegPath) });
  cleanups.push(() => opened.close());
  return { registry: opened, dataDir };
}

const MISSING = '/nonexistent/ffmpeg';
const camera = { name: 'Gate', url: 'rtsp://192.0.2.10/stream1' };

describe('transcode setting', () => {
  it.each([
    ['create', async (r: CameraRegistry) => r.create({ ...camera, transcode: 'h264' })],
    [
      'update',
      async (r: CameraRegistry) => {
        const { id } = await r.create(camera);
        return r.update(id, { transcode: 'h264' });
      },
    ],
  ])('%s with transcode "h264" and no ffmpeg: 501 FFMPEG_NOT_FOUND, nothing stored', async (_, change) => {
    const { registry: r } = await registry(MISSING);
    await expect(change(r)).rejects.toMatchObject({
      code: 'CAMGATE_ERR_FFMPEG_NOT_FOUND',
      statusCode: 501,
      message: expect.stringContaining('CAMGATE_FFMPEG'),
    });
    expect([...r.records()].every((record) => record.transcode === undefined)).toBe(true);
  });

  it('other changes and turning it off need no ffmpeg', async () => {
    const { registry: r } = await registry(MISSING);
    const { id } = await r.create(camera);
    await expect(r.update(id, { name: 'Gate 2' })).resolves.toMatchObject({ name: 'Gate 2' });
    await expect(r.update(id, { transcode: 'off' })).resolves.toMatchObject({ transcode: 'off' });
  });

  it('is stored and read back by the file store', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const { registry: r, dataDir } = await registry(ffmpeg);
    const { id } = await r.create({ ...camera, transcode: 'h264' });
    await r.close();
    const { registry: again } = await registry(ffmpeg, dataDir);
    expect(again.record(id)?.transcode).toBe('h264');
  });

  it.each([
    [{ transcode: 'h264' }, undefined],
    [{ transcode: 'off' }, undefined],
    [{}, undefined],
    [{ transcode: 'h265' }, '"transcode" must be one of off, h264'],
  ])('a stored record with %j: %s', (extra, problem) => {
    const record = {
      id: 'gate',
      ...camera,
      transport: 'auto',
      onDemand: false,
      audio: 'auto',
      enabled: true,
      createdAt: '2026-12-06T00:00:00.000Z',
      updatedAt: '2026-12-06T00:00:00.000Z',
      ...extra,
    };
    expect(cameraRecordProblem(record)).toBe(problem);
  });
});

describe('transcode configuration', () => {
  it.each([
    [{}, { transcodeEncoder: 'libx264', transcodeHwaccel: 'none', transcodeDevice: '' }],
    [
      {
        CAMGATE_TRANSCODE_ENCODER: 'h264_vaapi',
        CAMGATE_TRANSCODE_HWACCEL: 'VAAPI',
        CAMGATE_TRANSCODE_DEVICE: '/dev/dri/renderD129',
      },
      { transcodeEncoder: 'h264_vaapi', transcodeHwaccel: 'vaapi', transcodeDevice: '/dev/dri/renderD129' },
    ],
    [
      { CAMGATE_TRANSCODE_ENCODER: 'h264_nvenc', CAMGATE_TRANSCODE_HWACCEL: 'cuda' },
      { transcodeEncoder: 'h264_nvenc', transcodeHwaccel: 'cuda', transcodeDevice: '' },
    ],
  ])('%j', (env, expected) => {
    expect(resolveConfig(configFromEnv(env))).toMatchObject(expected);
  });

  it.each([
    [{ CAMGATE_TRANSCODE_ENCODER: 'x265' }, 'transcodeEncoder'],
    [{ CAMGATE_TRANSCODE_HWACCEL: 'videotoolbox' }, 'transcodeHwaccel'],
  ])('%j is refused, naming the choices', (env, key) => {
    expect(() => resolveConfig(configFromEnv(env))).toThrow(
      expect.objectContaining({ code: 'CAMGATE_ERR_INVALID_CONFIG', message: expect.stringContaining(key) }),
    );
  });
});
