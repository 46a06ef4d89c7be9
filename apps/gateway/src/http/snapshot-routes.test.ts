import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import { getFreePort, hasTools, requireTools, runProcess, type SkippableContext } from '@camgate/testkit';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddressPolicy } from '../cameras/address-policy.js';
import { CameraManager } from '../cameras/camera-manager.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { PlaybackTokens } from '../playback/playback-tokens.js';
import { FileSigningKeyStore } from '../playback/signing-key-store.js';
import { SigningKeys } from '../playback/signing-keys.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';

/**
 * Snapshots through the gateway with real peers: camsim's H.264 and H.265 cameras, ffmpeg decoding
 * their keyframes, ffprobe reading the JPEGs.
 */

const API_KEY = 'test-key-0123456789-abcdefghij-KLMNOPQRS';
/** 1.5 s: the wait for a keyframe in the test that gets none (the gateway's is 5 s). */
const TEST_KEYFRAME_WAIT_MS = 1_500;

interface Gateway {
  origin: string;
  app: FastifyInstance;
  cameras: CameraManager;
  keys: SigningKeys;
  tokens: PlaybackTokens;
  snapshots: SnapshotService;
  dir: string;
}

/** A gateway as `camgate serve` builds it (API key, signed playback), with the snapshot service given. */
async function startGateway(snapshots: SnapshotService): Promise<Gateway> {
  const dir = await mkdtemp(join(tmpdir(), 'camgate-snapshots-'));
  const policy = createAddressPolicy({ allow: ['127.0.0.0/8'] });
  const cameras = await CameraManager.open({
    store: await FileCameraStore.open(dir),
    pipeline: () => ({ hls: { segmentDurationMs: 1000 }, session: { beforeConnect: policy } }),
    defaultPlayback: 'signed',
  });
  const keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
  const tokens = new PlaybackTokens(keys);
  const app = buildServer({
    logger: pino({ level: 'silent' }),
    cameras,
    apiKey: API_KEY,
    playback: { keys, tokens },
    snapshots,
  });
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  return { origin, app, cameras, keys, tokens, snapshots, dir };
}

async function stopGateway(gateway: Gateway | undefined): Promise<void> {
  if (gateway === undefined) return;
  await gateway.app.close();
  await gateway.cameras.close();
  await gateway.keys.close();
  await rm(gateway.dir, { recursive: true, force: true });
}

function api(gateway: Gateway, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function addCamera(gateway: Gateway, camera: Record<string, unknown>): Promise<void> {
  const response = await api(gateway, 'POST', '/v1/cameras', {
    name: camera['id'],
    allowDuplicateSource: true,
    ...camera,
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

/** The camera's video track size, once its status knows it (deadline: real-time interop). */
async function videoSize(gateway: Gateway, id: string): Promise<{ width: number; height: number }> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const camera = (await (await api(gateway, 'GET', `/v1/cameras/${id}`)).json()) as {
      status: { tracks: Array<{ kind: string; width?: number; height?: number }> };
    };
    const video = camera.status.tracks.find((t) => t.kind === 'video');
    if (video?.width !== undefined && video.height !== undefined) return { width: video.width, height: video.height };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`camera ${id} reported no video size`);
}

/** What ffprobe reads in a JPEG: its codec and size. */
async function probeJpeg(ffprobe: string, jpeg: Uint8Array): Promise<{ codec: string; width: number; height: number }> {
  const result = await runProcess(
    ffprobe,
    ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', '-i', 'pipe:0'],
    { input: jpeg, timeoutMs: 10_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  const stream = (
    JSON.parse(result.stdout) as { streams: Array<{ codec_name: string; width: number; height: number }> }
  ).streams[0];
  return { codec: stream?.codec_name ?? '', width: stream?.width ?? 0, height: stream?.height ?? 0 };
}

interface Problem {
  code: string;
  detail: string;
}

interface Started {
  camsim: CamsimServer;
  /** A camera that sends its video without keyframes (every video packet dropped). */
  blind: CamsimServer;
  gateway: Gateway;
  snapshots: SnapshotService;
}
let started: Started | undefined;

/** The shared gateway and cameras, and ffprobe; skips (or fails under CAMGATE_REQUIRE_INTEROP=1) without the tools. */
function setUp(ctx: SkippableContext): Started & { ffprobe: string } {
  const { ffprobe } = requireTools(ctx, 'ffmpeg', 'ffprobe');
  if (started === undefined) throw new Error('the gateway did not start');
  return { ...started, ffprobe };
}

beforeAll(async () => {
  if (!hasTools('ffmpeg', 'ffprobe')) return;
  const camsim = await CamsimServer.start();
  const blind = await CamsimServer.start({
    hooks: { packet: (packet) => (packet.trackIndex === 0 ? 'drop' : undefined) },
  });
  const snapshots = new SnapshotService({ ffmpeg: new FfmpegBinary('ffmpeg'), keyframeWaitMs: TEST_KEYFRAME_WAIT_MS });
  const gateway = await startGateway(snapshots);
  started = { camsim, blind, gateway, snapshots };
  await Promise.all([
    addCamera(gateway, { id: 'h264', url: camsim.url('/h264-aac'), playback: 'public' }),
    addCamera(gateway, { id: 'h265', url: camsim.url('/h265-aac'), playback: 'public' }),
    addCamera(gateway, { id: 'signed', url: camsim.url('/h264-aac') }),
    addCamera(gateway, { id: 'blind', url: blind.url('/h264-aac'), playback: 'public' }),
  ]);
});

afterAll(async () => {
  await stopGateway(started?.gateway);
  await started?.camsim.close();
  await started?.blind.close();
});

describe('snapshots with ffmpeg', () => {
  it.for([
    { id: 'h264', route: 'live', cacheControl: 'public, max-age=1' },
    { id: 'h264', route: 'v1', cacheControl: 'private, max-age=1' },
    { id: 'h265', route: 'v1', cacheControl: 'private, max-age=1' },
    { id: 'h265', route: 'live', cacheControl: 'public, max-age=1' },
  ])(
    '$id on $route: a JPEG of the camera’s size, and 320 wide with ?width=320',
    async ({ id, route, cacheControl }, ctx) => {
      const path = (camera: string) =>
        route === 'v1' ? `/v1/cameras/${camera}/snapshot.jpg` : `/live/${camera}/snapshot.jpg`;
      const { gateway, ffprobe } = setUp(ctx);
      const size = await videoSize(gateway, id);
      const whole = await api(gateway, 'GET', path(id));
      expect(whole.status, await whole.clone().text()).toBe(200);
      expect(whole.headers.get('content-type')).toBe('image/jpeg');
      expect(whole.headers.get('cache-control')).toBe(cacheControl);
      expect(whole.headers.get('last-modified')).not.toBeNull();
      expect(await probeJpeg(ffprobe, new Uint8Array(await whole.arrayBuffer()))).toEqual({ codec: 'mjpeg', ...size });

      const small = await api(gateway, 'GET', `${path(id)}?width=320`);
      expect(small.status).toBe(200);
      const height = 2 * Math.round((320 * size.height) / size.width / 2);
      expect(await probeJpeg(ffprobe, new Uint8Array(await small.arrayBuffer()))).toEqual({
        codec: 'mjpeg',
        width: 320,
        height,
      });
    },
  );

  it('a signed camera’s snapshot needs a playback token in the path, and is private to its holder', async (ctx) => {
    const { gateway, ffprobe } = setUp(ctx);
    const minted = await api(gateway, 'POST', '/v1/cameras/signed/playback-tokens', { ttlSeconds: 600 });
    const { token } = (await minted.json()) as { token: string };
    const refused = await fetch(`${gateway.origin}/live/signed/snapshot.jpg`);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as Problem).code).toBe('CAMGATE_ERR_NOT_FOUND');
    const wrong = await fetch(`${gateway.origin}/live/signed/t/${token}x/snapshot.jpg`);
    expect(wrong.status).toBe(404);

    const answer = await fetch(`${gateway.origin}/live/signed/t/${token}/snapshot.jpg?width=200`);
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(answer.headers.get('cache-control')).toMatch(/^private, max-age=[01]$/);
    expect((await probeJpeg(ffprobe, new Uint8Array(await answer.arrayBuffer()))).width).toBe(200);
  });

  it('concurrent requests for the same picture share one decode', async (ctx) => {
    const { gateway, snapshots } = setUp(ctx);
    await videoSize(gateway, 'h264');
    const before = snapshots.stats.decodes;
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${gateway.origin}/live/h264/snapshot.jpg?width=240`)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const bodies = await Promise.all(answers.map(async (a) => Buffer.from(await a.arrayBuffer()).toString('base64')));
    const pictures = new Set(bodies).size;
    // One decode per distinct picture: all of them, unless a keyframe arrived amid the requests.
    expect(snapshots.stats.decodes - before).toBe(pictures);
    expect(pictures).toBeLessThanOrEqual(2);
    const metrics = await (await api(gateway, 'GET', '/metrics')).text();
    expect(metrics).toContain(`camgate_snapshot_decodes_total ${snapshots.stats.decodes}`);
    expect(metrics).toContain(`camgate_snapshot_shared_total ${snapshots.stats.shared}`);
  });

  it('an idle on-demand camera is started by a snapshot request, which waits for its first keyframe', async (ctx) => {
    const { camsim, ffprobe } = setUp(ctx);
    // A gateway with the default wait (5 s): an idle camera must connect, then send a keyframe.
    const waiting = new SnapshotService({ ffmpeg: new FfmpegBinary('ffmpeg') });
    const gatewayWithDefaultWait = await startGateway(waiting);
    try {
      await addCamera(gatewayWithDefaultWait, {
        id: 'idle',
        url: camsim.url('/h265-aac'),
        playback: 'public',
        onDemand: true,
      });
      const before = (await (await api(gatewayWithDefaultWait, 'GET', '/v1/cameras/idle')).json()) as {
        status: { state: string };
      };
      expect(before.status.state).toBe('idle');
      const answer = await fetch(`${gatewayWithDefaultWait.origin}/live/idle/snapshot.jpg`);
      expect(answer.status, await answer.clone().text()).toBe(200);
      expect((await probeJpeg(ffprobe, new Uint8Array(await answer.arrayBuffer()))).codec).toBe('mjpeg');
      const after = (await (await api(gatewayWithDefaultWait, 'GET', '/v1/cameras/idle')).json()) as {
        status: { state: string; viewers: number };
      };
      expect(after.status).toMatchObject({ state: 'streaming', viewers: 1 });
    } finally {
      await stopGateway(gatewayWithDefaultWait);
    }
  });

  it('503 SNAPSHOT_UNAVAILABLE with the reason before a keyframe: a camera that sends none, one that cannot be reached', async (ctx) => {
    const { gateway } = setUp(ctx);
    const blindAnswer = await fetch(`${gateway.origin}/live/blind/snapshot.jpg`);
    expect(blindAnswer.status).toBe(503);
    expect(blindAnswer.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await blindAnswer.json()) as Problem;
    expect(problem.code).toBe('CAMGATE_ERR_SNAPSHOT_UNAVAILABLE');
    expect(problem.detail).toContain(`no keyframe within ${TEST_KEYFRAME_WAIT_MS} ms`);

    // Nothing listens on a free port: the camera is retrying, and the answer says so at once.
    await addCamera(gateway, { id: 'gone', url: `rtsp://127.0.0.1:${await getFreePort()}/x`, playback: 'public' });
    const deadline = Date.now() + 10_000;
    let gone: Problem | undefined;
    while (Date.now() < deadline) {
      const answer = await api(gateway, 'GET', '/v1/cameras/gone/snapshot.jpg');
      expect(answer.status).toBe(503);
      gone = (await answer.json()) as Problem;
      if (gone.detail.includes('retrying')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(gone?.code).toBe('CAMGATE_ERR_SNAPSHOT_UNAVAILABLE');
    expect(gone?.detail).toMatch(/the camera is retrying \(RTSP_[A-Z_]+\)/);
    // Viewers are told it is retrying, not the camera's error code (only the API's users see that).
    const live = await fetch(`${gateway.origin}/live/gone/snapshot.jpg`);
    expect(live.status).toBe(503);
    const viewerProblem = (await live.json()) as Problem;
    expect(viewerProblem.detail).toContain('the camera is retrying');
    expect(viewerProblem.detail).not.toMatch(/RTSP_|CAMGATE_/);
  });

  it("a disabled public camera: /live answers the unknown camera's 404, /v1 says it is disabled", async (ctx) => {
    const { gateway, camsim } = setUp(ctx);
    await addCamera(gateway, { id: 'off', url: camsim.url('/h264-aac'), playback: 'public', enabled: false });
    for (const path of ['off', 'never-added']) {
      const answer = await fetch(`${gateway.origin}/live/${path}/snapshot.jpg`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('cache-control')).toBe('no-cache');
      expect(((await answer.json()) as Problem).code).toBe('CAMGATE_ERR_NOT_FOUND');
    }
    const v1 = await api(gateway, 'GET', '/v1/cameras/off/snapshot.jpg');
    expect(v1.status).toBe(503);
    expect(((await v1.json()) as Problem).detail).toContain('disabled');
  });

  it.for([
    { query: '?width=15', status: 400, code: 'CAMGATE_ERR_VALIDATION' },
    { query: '?width=3841', status: 400, code: 'CAMGATE_ERR_VALIDATION' },
    { query: '?width=abc', status: 400, code: 'CAMGATE_ERR_VALIDATION' },
    { query: '?width=-2', status: 400, code: 'CAMGATE_ERR_VALIDATION' },
  ])('$query is $status $code on /v1 and /live', async ({ query, status, code }, ctx) => {
    const { gateway } = setUp(ctx);
    for (const answer of [
      await api(gateway, 'GET', `/v1/cameras/h264/snapshot.jpg${query}`),
      await fetch(`${gateway.origin}/live/h264/snapshot.jpg${query}`),
    ]) {
      expect(answer.status).toBe(status);
      expect(((await answer.json()) as Problem).code).toBe(code);
    }
  });

  it('/v1 needs the API key, and answers 404 for an unknown camera', async (ctx) => {
    const { gateway } = setUp(ctx);
    const keyless = await fetch(`${gateway.origin}/v1/cameras/h264/snapshot.jpg`);
    expect(keyless.status).toBe(401);
    const unknown = await api(gateway, 'GET', '/v1/cameras/nope/snapshot.jpg');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Problem).code).toBe('CAMGATE_ERR_CAMERA_NOT_FOUND');
  });
});

describe('snapshots of a camera another node pulls (a cluster)', () => {
  it('are forwarded to the owner: /live as it is, /v1 as a /live request with a token this node mints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'camgate-snapshots-'));
    // This node pulls nothing: every camera is another node's.
    const cameras = await CameraManager.open({
      store: await FileCameraStore.open(dir),
      defaultPlayback: 'signed',
      cluster: {
        nodeId: 'here',
        follow: () => () => undefined,
        statusOf: () => undefined,
        refreshStatus: () => Promise.resolve(),
      },
    });
    const keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
    const tokens = new PlaybackTokens(keys);
    const forwarded: string[] = [];
    const lines: string[] = [];
    const app = buildServer({
      logger: pino({ level: 'trace' }, { write: (line: string) => lines.push(line) }),
      cameras,
      apiKey: API_KEY,
      playback: { keys, tokens },
      snapshots: new SnapshotService({ decode: () => Promise.reject(new Error('not here')) }),
      cluster: {
        ready: true,
        serveRemote: async (request, reply, _id, options) => {
          // What the owner proxy asks the owner for (the given path, else the request's own), and
          // the owner's answer as the proxy would relay it.
          forwarded.push(options?.path ?? request.raw.url ?? '');
          await reply
            .code(200)
            .type('image/jpeg')
            .send(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
          return 'answered';
        },
        metrics: () => ({
          ready: true,
          held: 0,
          share: 0,
          liveNodes: 2,
          wanted: 1,
          rounds: 0,
          renewFailures: 0,
          fences: 0,
          claims: 0,
          releases: 0,
          lost: 0,
        }),
      },
    });
    try {
      await cameras.create({ id: 'far', name: 'far', url: 'rtsp://192.0.2.1/stream', playback: 'public' });
      const live = await app.inject({ method: 'GET', url: '/live/far/snapshot.jpg?width=320' });
      expect(live.statusCode).toBe(200);
      expect(forwarded.pop()).toBe('/live/far/snapshot.jpg?width=320');

      const v1 = await app.inject({
        method: 'GET',
        url: '/v1/cameras/far/snapshot.jpg?width=321',
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      expect(v1.statusCode).toBe(200);
      expect(v1.headers['content-type']).toBe('image/jpeg');
      const url = forwarded.pop() ?? '';
      const token = /^\/live\/far\/t\/([^/]+)\/snapshot\.jpg\?width=320$/.exec(url)?.[1];
      expect(token, url).toBeDefined();
      // A token for this camera only, valid for the owner (which shares the signing keys).
      const claims = await tokens.verify(token ?? '');
      expect(claims?.sub).toBe('far');
      // The token is only in what the owner is asked for: no log line holds it.
      expect(lines.some((line) => line.includes('/v1/cameras/far/snapshot.jpg'))).toBe(true);
      expect(lines.filter((line) => line.includes(token ?? ''))).toEqual([]);
    } finally {
      await app.close();
      await cameras.close();
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('snapshots without ffmpeg', () => {
  it('501 FFMPEG_NOT_FOUND with the install hint when CAMGATE_FFMPEG points nowhere, on /v1 and /live', async () => {
    const noFfmpeg = await startGateway(new SnapshotService({ ffmpeg: new FfmpegBinary('/nonexistent/ffmpeg') }));
    const sim = await CamsimServer.start();
    try {
      await addCamera(noFfmpeg, { id: 'cam', url: sim.url('/h264-aac'), playback: 'public' });
      for (const answer of [
        await api(noFfmpeg, 'GET', '/v1/cameras/cam/snapshot.jpg'),
        await fetch(`${noFfmpeg.origin}/live/cam/snapshot.jpg`),
      ]) {
        expect(answer.status).toBe(501);
        const problem = (await answer.json()) as Problem;
        expect(problem.code).toBe('CAMGATE_ERR_FFMPEG_NOT_FOUND');
        expect(problem.detail).toContain('apt-get install ffmpeg');
        expect(problem.detail).toContain('CAMGATE_FFMPEG');
      }
    } finally {
      await stopGateway(noFfmpeg);
      await sim.close();
    }
  });
});
