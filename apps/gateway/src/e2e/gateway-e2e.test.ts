import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import { checkMultivariantPlaylist, openSegment, PlaylistHistory } from '@camgate/hls/testing';
import { requireTools, runProcess, startGstRtspServer, type GstRtspServer } from '@camgate/testkit';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddressPolicy } from '../cameras/address-policy.js';
import { CameraManager } from '../cameras/camera-manager.js';
import { buildServer } from '../http/server.js';
import { FileCameraStore } from '../store/file-camera-store.js';

/**
 * The gateway as a user runs it: listening on a port, cameras added through the API (the
 * simulated camera and GStreamer's RTSP server, a third-party implementation), playlists fetched
 * over HTTP and checked with the packager's rule checker across blocking reloads, a camera
 * deleted, the gateway restarted.
 */
describe('gateway end to end', () => {
  let dir: string;
  let camsim: CamsimServer;
  let gst: GstRtspServer | undefined;
  let cameras: CameraManager;
  let app: FastifyInstance;
  let origin: string;

  async function startGateway(): Promise<void> {
    // Both cameras run on this machine: loopback is allowlisted, as an operator would.
    const policy = createAddressPolicy({ allow: ['127.0.0.0/8'] });
    cameras = await CameraManager.open({
      store: await FileCameraStore.open(dir),
      pipeline: () => ({
        hls: { segmentDurationMs: 1000 },
        session: { beforeConnect: policy },
        onDemandIdleMs: 3_000,
      }),
    });
    app = buildServer({ logger: pino({ level: 'silent' }), cameras });
    origin = await app.listen({ host: '127.0.0.1', port: 0 });
  }

  async function stopGateway(): Promise<void> {
    await app.close();
    await cameras.close();
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camgate-e2e-'));
    camsim = await CamsimServer.start();
    await startGateway();
  });

  afterAll(async () => {
    await stopGateway();
    await camsim.close();
    await gst?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function add(body: object): Promise<string> {
    const response = await fetch(`${origin}/v1/cameras`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  /** Follows a media playlist over blocking reloads (one segment at a time), checking every answer. */
  async function follow(id: string, name: 'video' | 'audio', segments: number, others: string[]): Promise<string> {
    const history = new PlaylistHistory();
    let text = '';
    let query = '';
    for (let i = 0; i <= segments; i++) {
      const response = await fetch(`${origin}/live/${id}/${name}.m3u8${query}`, {
        signal: AbortSignal.timeout(20_000),
      });
      expect(response.status).toBe(200);
      text = await response.text();
      const violations = history.check(text, { otherRenditions: others }).filter((v) => v.level !== 'should');
      expect(violations).toEqual([]);
      query = `?_HLS_msn=${openSegment(text).msn}`;
    }
    return text;
  }

  it('the simulated camera: H.264 + AAC renditions that follow the rules across blocking reloads', async () => {
    const id = await add({ id: 'sim', name: 'Simulated', url: camsim.url('/h264-aac'), transport: 'tcp' });
    const multivariant = await (await fetch(`${origin}/live/${id}/index.m3u8`)).text();
    expect(multivariant).toMatch(/CODECS="avc1\.64\w{4},mp4a\.40\.2"/);
    const video = await follow(id, 'video', 3, ['audio.m3u8']);
    expect(video).toMatch(/#EXT-X-PART:DURATION=/);
    await follow(id, 'audio', 2, ['video.m3u8']);
    const status = (await (await fetch(`${origin}/v1/cameras/${id}`)).json()) as { status: { state: string } };
    expect(status.status.state).toBe('streaming');
  }, 60_000);

  it('the standard (non-LL) playlists of the same camera conform, and ffmpeg decodes them over HTTP', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    const base = `${origin}/live/sim`;
    const get = async (name: string) => {
      const response = await fetch(`${base}/${name}`, { signal: AbortSignal.timeout(20_000) });
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'application/vnd.apple.mpegurl']);
      return response.text();
    };
    const multivariant = await get('standard.m3u8');
    const mediaPlaylists = {
      'standard-video.m3u8': await get('standard-video.m3u8'),
      'standard-audio.m3u8': await get('standard-audio.m3u8'),
    };
    const violations = checkMultivariantPlaylist(multivariant, { mediaPlaylists, lowLatency: false });
    expect(violations.filter((v) => v.level !== 'should')).toEqual([]);
    // A player that knows nothing of LL-HLS decodes 50 video frames (2 s), then 80 AAC frames
    // (1.7 s), every decoding error fatal. Frame counts, not a duration: a live stream's timing
    // varies under load. One stream per run: ffmpeg ends its output when either limit is reached.
    for (const [stream, limit] of [
      ['v', 50],
      ['a', 80],
    ] as const) {
      const decoded = await runProcess(
        ffmpeg,
        ['-v', 'error', '-xerror', '-i', `${base}/standard.m3u8`, '-map', `0:${stream}:0`].concat([
          `-frames:${stream}`,
          String(limit),
          '-f',
          'framecrc',
          '-',
        ]),
        { timeoutMs: 20_000 },
      );
      expect(decoded.stderr).toBe('');
      expect(decoded.code).toBe(0);
      // framecrc: one line per decoded frame, starting with its stream index.
      expect(decoded.stdout.split('\n').filter((line) => line.startsWith('0,'))).toHaveLength(limit);
    }
  }, 60_000);

  it("GStreamer's RTSP server as a camera (Basic auth): streams, then its deletion takes its URLs away", async (ctx) => {
    requireTools(ctx, 'gst-rtsp-server');
    gst = await startGstRtspServer({ gop: 25 });
    const id = await add({ id: 'gst', name: 'GStreamer', url: gst.authUrl(), transport: 'tcp' });
    const multivariant = await fetch(`${origin}/live/${id}/index.m3u8`, { signal: AbortSignal.timeout(20_000) });
    expect(multivariant.status).toBe(200);
    expect(await multivariant.text()).toMatch(/CODECS="avc1\.\w{6}"/);
    await follow(id, 'video', 2, []);
    const deleted = await fetch(`${origin}/v1/cameras/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await fetch(`${origin}/live/${id}/index.m3u8`)).status).toBe(404);
    expect((await fetch(`${origin}/live/${id}/video.m3u8`)).status).toBe(404);
  }, 60_000);

  it("a password survives an edit: GStreamer's Digest server, the URL the API showed sent back with a new path", async (ctx) => {
    requireTools(ctx, 'gst-rtsp-server');
    gst ??= await startGstRtspServer({ gop: 25 });
    const id = await add({ id: 'digest', name: 'Digest', url: gst.digestUrl('cam1'), transport: 'tcp' });
    const camera = async () =>
      (await (await fetch(`${origin}/v1/cameras/${id}`)).json()) as {
        url: string;
        hasPassword: boolean;
        status: { state: string; lastError: { code: string } | null };
      };
    await expect.poll(async () => (await camera()).status.state, { timeout: 20_000 }).toBe('streaming');
    const shown = await camera();
    expect(shown.hasPassword).toBe(true);
    expect(shown.url).toBe(`rtsp://${gst.user}:***@127.0.0.1:${gst.digestPort}/cam1`);
    expect(JSON.stringify(shown)).not.toContain(gst.password);
    // What a client (our dashboard, or a script) does: send back what it got, path changed.
    const patched = await fetch(`${origin}/v1/cameras/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: shown.url.replace('/cam1', '/cam2') }),
    });
    expect(patched.status).toBe(200);
    await expect.poll(async () => (await camera()).status.state, { timeout: 20_000 }).toBe('streaming');
    expect((await camera()).status.lastError?.code).not.toBe('RTSP_AUTH_FAILED');
    const multivariant = await fetch(`${origin}/live/${id}/index.m3u8`, { signal: AbortSignal.timeout(20_000) });
    expect(multivariant.status).toBe(200);
    expect((await fetch(`${origin}/v1/cameras/${id}`, { method: 'DELETE' })).status).toBe(204);
  }, 60_000);

  it('an on-demand camera: idle, started by the first playlist request (answered once correct), idle again', async () => {
    const id = await add({
      id: 'lazy',
      name: 'On demand',
      url: camsim.url('/h265-aac'),
      transport: 'tcp',
      onDemand: true,
    });
    const state = async () =>
      ((await (await fetch(`${origin}/v1/cameras/${id}`)).json()) as { status: { state: string } }).status.state;
    expect(await state()).toBe('idle');
    const sessions = camsim.sessionCount;
    const playlist = await fetch(`${origin}/live/${id}/index.m3u8`, { signal: AbortSignal.timeout(20_000) });
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toMatch(/CODECS="hvc1\./);
    expect(await state()).toBe('streaming');
    expect(camsim.sessionCount).toBe(sessions + 1);
    await expect.poll(state, { timeout: 15_000, interval: 500 }).toBe('idle');
    expect(camsim.sessionCount).toBe(sessions);
    expect((await fetch(`${origin}/v1/cameras/${id}`, { method: 'DELETE' })).status).toBe(204);
  }, 60_000);

  it('a restart brings the cameras back with the same ids, streaming', async () => {
    await stopGateway();
    await startGateway();
    const list = (await (await fetch(`${origin}/v1/cameras`)).json()) as { items: Array<{ id: string }> };
    expect(list.items.map((c) => c.id)).toEqual(['sim']);
    const playlist = await fetch(`${origin}/live/sim/index.m3u8`, { signal: AbortSignal.timeout(20_000) });
    expect(playlist.status).toBe(200);
  }, 60_000);
});
