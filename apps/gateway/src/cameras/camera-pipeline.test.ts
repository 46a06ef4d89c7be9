import { CamsimServer, type CamsimServerOptions } from '@camgate/camsim';
import { HlsError, HlsErrorCode, HlsStream, type FrameSink } from '@camgate/hls';
import { openSegment } from '@camgate/hls/testing';
import { getFreePort } from '@camgate/testkit';
import { RtspSession } from '@camgate/rtsp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAddressPolicy } from './address-policy.js';
import {
  CameraPipeline,
  type CameraPipelineOptions,
  type CameraSettings,
  type CameraState,
} from './camera-pipeline.js';

/** Real sessions against the simulated camera: generous, as the camera streams in real time. */
const TIMEOUT_MS = 30_000;
/** Fast retries so that tests see several attempts. */
const FAST: CameraPipelineOptions = { backoff: { initialMs: 20, maxMs: 100 }, hls: { segmentDurationMs: 1000 } };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

async function camera(options: CamsimServerOptions = {}): Promise<CamsimServer> {
  const server = await CamsimServer.start(options);
  cleanups.push(() => server.close());
  return server;
}

function pipeline(settings: Partial<CameraSettings> & { url: string }, options: CameraPipelineOptions = FAST) {
  const p = new CameraPipeline(
    'cam1',
    { transport: 'tcp', onDemand: false, audio: 'auto', enabled: true, ...settings },
    options,
  );
  cleanups.push(() => p.close());
  return p;
}

/** A pipeline of an always-on camera of the simulated camera's H.264 + AAC, with its settings (to update). */
async function streamingCamera(): Promise<{ server: CamsimServer; settings: CameraSettings; p: CameraPipeline }> {
  const server = await camera();
  const settings: CameraSettings = {
    url: server.url('/h264-aac'),
    transport: 'tcp',
    onDemand: false,
    audio: 'auto',
    enabled: true,
  };
  return { server, settings, p: pipeline(settings) };
}

/** Resolves when the pipeline reaches `state` (at once if it is there). */
function reach(p: CameraPipeline, state: CameraState, timeoutMs = TIMEOUT_MS - 5_000): Promise<void> {
  if (p.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      p.off('state', on);
      reject(new Error(`state ${p.state}, waited for ${state}`));
    }, timeoutMs);
    function on(next: CameraState) {
      if (next !== state) return;
      clearTimeout(timer);
      p.off('state', on);
      resolve();
    }
    p.on('state', on);
  });
}

describe('CameraPipeline', () => {
  it(
    'streams a camera into its LL-HLS stream, with tracks, counters and the bitrate in its status',
    async () => {
      const server = await camera();
      const p = pipeline({ url: server.url('/h264-aac') });
      await reach(p, 'streaming');
      expect(await p.stream?.whenReady()).toBe(true);
      const status = p.status();
      expect(status).toMatchObject({ state: 'streaming', lastError: null, reconnects: 0 });
      expect(status.tracks).toEqual([
        expect.objectContaining({ kind: 'video', codec: 'h264', width: 640, height: 360, browsers: 'all' }),
        expect.objectContaining({ kind: 'audio', codec: 'aac', sampleRate: 48_000, browsers: 'all' }),
      ]);
      expect(status.framesReceived).toBeGreaterThan(0);
      expect(status.lastFrameAt).not.toBeNull();
      expect(status.bitrate).toBeGreaterThan(0);
      expect(server.sessionCount).toBe(1);
    },
    TIMEOUT_MS,
  );

  it(
    'reports G.711 audio as delivered to players as FLAC, which every browser plays',
    async () => {
      const server = await camera();
      const p = pipeline({ url: server.url('/h264-pcma') });
      await reach(p, 'streaming');
      await p.stream?.whenReady();
      const audio = p.status().tracks.find((t) => t.kind === 'audio');
      expect(audio).toMatchObject({
        codec: 'pcma',
        codecString: 'alaw',
        delivered: { codec: 'flac', codecString: 'fLaC' },
        browsers: 'all',
      });
      expect(audio).not.toHaveProperty('reason');
    },
    TIMEOUT_MS,
  );

  it(
    'a wrong password: retries, then `failed` with the reason in words, and the password nowhere in the status',
    async () => {
      const server = await camera({ auth: { username: 'admin', password: 'right-one' } });
      const p = pipeline({ url: server.url('/h264-aac', { username: 'admin', password: 'canary-Zq81x' }) });
      await reach(p, 'failed');
      const status = p.status();
      expect(status.lastError).toMatchObject({ code: 'RTSP_AUTH_FAILED', message: 'wrong user name or password' });
      expect(status.reconnects).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(status)).not.toContain('canary-Zq81x');
    },
    TIMEOUT_MS,
  );

  it(
    "a camera on a refused address (loopback) fails with the policy's reason; allowlisted, it streams",
    async () => {
      const server = await camera();
      const policy = createAddressPolicy();
      const p = pipeline({ url: server.url('/h264-aac') }, { ...FAST, session: { beforeConnect: policy } });
      await reach(p, 'failed');
      expect(p.status().lastError).toMatchObject({
        code: 'RTSP_ADDRESS_REFUSED',
        message: expect.stringMatching(/not allowed \(loopback\)/),
      });
      expect(server.sessionCount).toBe(0);
      policy.allowEndpoint(`127.0.0.1:${server.port}`);
      await reach(p, 'streaming');
    },
    TIMEOUT_MS,
  );

  it(
    'a failed camera is never without its reason: a change of settings leaves `failed` with the reason cleared together',
    async () => {
      const server = await camera({ auth: { username: 'admin', password: 'right-one' } });
      const wrong = server.url('/h264-aac', { username: 'admin', password: 'wrong-one' });
      const p = pipeline({ url: wrong });
      const seen: Array<{ state: CameraState; lastError: unknown }> = [];
      p.on('state', (state) => seen.push({ state, lastError: p.status().lastError }));
      await reach(p, 'failed');
      // The bug: a PATCH of a failed camera cleared lastError and left the state `failed`.
      p.update({ url: wrong, transport: 'udp', onDemand: false, audio: 'auto', enabled: true });
      const after = p.status();
      expect(after.state === 'failed' ? after.lastError : 'not failed').not.toBeNull();
      expect(after.state).toBe('connecting');
      await reach(p, 'failed');
      for (const event of seen) if (event.state === 'failed') expect(event.lastError).not.toBeNull();
      expect(p.status().nextAttemptAt).not.toBeNull();
    },
    TIMEOUT_MS,
  );

  it(
    'a camera that comes back and streams starts again from the shortest delay: five restarts, five quick returns',
    async () => {
      const port = await getFreePort();
      let server = await CamsimServer.start({ port });
      cleanups.push(() => server.close());
      // No jitter, and a cap far above the first delay: the delay after each restart shows
      // whether the backoff started again (100 ms) or kept growing (200, 400, 800... ms).
      const p = pipeline(
        { url: server.url('/h264-aac') },
        { ...FAST, backoff: { initialMs: 100, maxMs: 60_000, jitter: 0 } },
      );
      const delays: number[] = [];
      for (let restart = 0; restart < 5; restart++) {
        const before = p.status().framesReceived;
        await reach(p, 'streaming');
        // The session delivers media: the camera is back.
        await expect.poll(() => p.status().framesReceived).toBeGreaterThan(before);
        await server.close();
        await reach(p, 'retrying');
        const status = p.status();
        delays.push(Date.parse(status.nextAttemptAt ?? '') - Date.parse(status.lastError?.at ?? ''));
        server = await CamsimServer.start({ port });
      }
      await reach(p, 'streaming');
      // `at` and `nextAttemptAt` are read a moment apart: a millisecond or two on a busy machine.
      for (const delay of delays) expect(delay).toBeLessThan(150);
    },
    TIMEOUT_MS * 2,
  );

  it(
    'a failed on-demand camera stays `failed`, with its reason, once nobody watches: players must not try it again',
    async () => {
      const server = await camera({ auth: { username: 'admin', password: 'right-one' } });
      const p = pipeline(
        { url: server.url('/h264-aac', { username: 'admin', password: 'wrong-one' }), onDemand: true },
        { ...FAST, onDemandIdleMs: 1_000 },
      );
      p.touch('viewer-1');
      await reach(p, 'failed');
      // The idle timer stops the pulling: the state stays, the next attempt is gone with it.
      await expect.poll(() => p.stream, { timeout: 10_000 }).toBeUndefined();
      expect(p.status()).toMatchObject({
        state: 'failed',
        lastError: { code: 'RTSP_AUTH_FAILED' },
        nextAttemptAt: null,
      });
      // Fixed settings: idle until someone watches.
      p.update({ ...p.settings, url: server.url('/h264-aac', { username: 'admin', password: 'right-one' }) });
      expect(p.state).toBe('idle');
    },
    TIMEOUT_MS,
  );

  it(
    'an unreachable camera: `retrying` with the reason, never `failed` (it may come back)',
    async () => {
      const port = await getFreePort();
      const p = pipeline({ url: `rtsp://127.0.0.1:${port}/stream` });
      await reach(p, 'retrying');
      expect(p.status().lastError?.code).toBe('RTSP_CONNECTION_FAILED');
      const attempts = new Promise<void>((resolve) => {
        let n = 0;
        p.on('state', (state) => {
          if (state === 'retrying' && ++n === 3) resolve();
        });
      });
      await attempts;
      expect(p.state).not.toBe('failed');
    },
    TIMEOUT_MS,
  );

  it(
    'the camera restarted: the pipeline reconnects and the stream goes on with a discontinuity',
    async () => {
      const port = await getFreePort();
      let server = await CamsimServer.start({ port });
      const p = pipeline({ url: server.url('/h264-aac') });
      await reach(p, 'streaming');
      const stream = p.stream;
      expect(await stream?.whenReady()).toBe(true);
      await server.close();
      await reach(p, 'retrying');
      server = await CamsimServer.start({ port });
      cleanups.push(() => server.close());
      await reach(p, 'streaming');
      expect(p.stream).toBe(stream);
      expect(p.status().reconnects).toBeGreaterThanOrEqual(1);
      expect(p.status().lastError?.code).toMatch(/^RTSP_CONNECTION_(CLOSED|FAILED)$/);
    },
    TIMEOUT_MS,
  );

  it(
    'a camera that stops sending is detected by the read timeout and reconnected',
    async () => {
      let silent = true;
      const server = await camera({ hooks: { packet: () => (silent ? 'drop' : undefined) } });
      const p = pipeline({ url: server.url('/h264-aac') }, { ...FAST, session: { readTimeoutMs: 1_000 } });
      await reach(p, 'streaming');
      await reach(p, 'retrying');
      expect(p.status().lastError?.code).toBe('RTSP_TIMEOUT');
      silent = false;
      await reach(p, 'streaming');
    },
    TIMEOUT_MS,
  );

  it(
    'on demand: idle until someone watches, pulls while they do, idle again after they leave',
    async () => {
      const server = await camera();
      const p = pipeline({ url: server.url('/h264-aac'), onDemand: true }, { ...FAST, onDemandIdleMs: 4_000 });
      expect(p.state).toBe('idle');
      expect(p.stream).toBeUndefined();
      expect(server.sessionCount).toBe(0);
      const stream = p.touch('viewer-1');
      expect(stream).toBeDefined();
      expect(await stream?.whenReady()).toBe(true);
      expect(p.state).toBe('streaming');
      expect(p.status().viewers).toBe(1);
      await reach(p, 'idle');
      expect(p.stream).toBeUndefined();
      // The stream that was served is closed: its waiting requests were released.
      expect((await stream?.handle('index.m3u8'))?.status).toBe(404);
    },
    TIMEOUT_MS,
  );

  it(
    'disable, enable and a new URL: each takes effect, one session at a time',
    async () => {
      const { server, settings, p } = await streamingCamera();
      await reach(p, 'streaming');
      p.update({ ...settings, enabled: false });
      expect(p.state).toBe('disabled');
      expect(p.stream).toBeUndefined();
      p.update({ ...settings, enabled: true });
      await reach(p, 'streaming');
      const stream = p.stream;
      p.update({ ...settings, url: server.url('/h265-aac') });
      await reach(p, 'connecting');
      await reach(p, 'streaming');
      expect(p.stream).toBe(stream);
      expect(p.status().tracks[0]?.codec).toBe('h265');
      expect(server.sessionCount).toBe(1);
    },
    TIMEOUT_MS,
  );

  it(
    'a sink beside the live stream (a recorder) gets the frames through a stop and a restart; one that throws is dropped',
    async () => {
      const { settings, p } = await streamingCamera();
      const recorder = new HlsStream({ segmentDurationMs: 4000, readyTimeoutMs: TIMEOUT_MS });
      cleanups.push(() => recorder.close());
      const discontinuities = vi.spyOn(recorder, 'markDiscontinuity');
      const recorderErrors: unknown[] = [];
      p.addSink(recorder, (err) => recorderErrors.push(err));
      let pushes = 0;
      const failing: FrameSink = {
        setTrack: () => undefined,
        push: () => {
          if (++pushes === 10) throw new HlsError(HlsErrorCode.CLOSED, 'a sink that broke');
        },
        markDiscontinuity: () => undefined,
      };
      const failures: unknown[] = [];
      p.addSink(failing, (err) => failures.push(err));
      await reach(p, 'streaming');
      expect(await recorder.whenReady()).toBe(true);
      expect(failures).toEqual([expect.objectContaining({ code: HlsErrorCode.CLOSED })]);
      expect(pushes).toBe(10);
      // Stopped and started again: a new live stream, the same recorder, after a discontinuity.
      p.update({ ...settings, enabled: false });
      const parts = recorder.stats.parts;
      p.update({ ...settings, enabled: true });
      await reach(p, 'streaming');
      expect(discontinuities).toHaveBeenCalledTimes(1);
      // The first part of the recorder's next segment (the restarted camera's first keyframe).
      const next = await recorder.handle(
        'video.m3u8',
        new URLSearchParams({ _HLS_msn: String((recorder.position?.msn ?? 0) + 1), _HLS_part: '0' }),
      );
      expect(next.status).toBe(200);
      expect(next.body).toContain('#EXT-X-DISCONTINUITY');
      expect(recorder.stats.parts).toBeGreaterThan(parts);
      expect(recorder.stats.invalidFrames).toBe(0);
      expect(pushes).toBe(10);
      expect(recorderErrors).toEqual([]);
      p.removeSink(recorder);
      const after = recorder.stats.parts;
      const live = p.stream as HlsStream;
      await live.handle('video.m3u8', new URLSearchParams({ _HLS_msn: String((live.position?.msn ?? 0) + 1) }));
      expect(recorder.stats.parts).toBe(after);
    },
    TIMEOUT_MS,
  );

  it(
    'close() releases the session, the stream and its waiting requests',
    async () => {
      const server = await camera();
      const p = pipeline({ url: server.url('/h264-aac') });
      await reach(p, 'streaming');
      const stream = p.stream;
      await stream?.whenReady();
      const playlist = (await stream?.handle('video.m3u8'))?.body as string;
      // The segment after the one being built: held until it starts.
      const next = openSegment(playlist).msn + 1;
      const waiting = stream?.handle('video.m3u8', new URLSearchParams({ _HLS_msn: String(next) }));
      await new Promise((resolve) => setImmediate(resolve));
      expect(stream?.stats.waiting).toBe(1);
      await p.close();
      expect((await waiting)?.status).toBe(404);
      expect(server.sessionCount).toBe(0);
      expect(p.touch('viewer')).toBeUndefined();
    },
    TIMEOUT_MS,
  );

  it(
    'with read batching, lets its session batch reads after each part and streams as without',
    async () => {
      const server = await camera();
      const deferred = vi.spyOn(RtspSession.prototype, 'deferReadsUntil');
      const p = pipeline({ url: server.url('/h264-aac') }, { ...FAST, session: { readBatchMs: 20 } });
      await reach(p, 'streaming');
      const stream = p.stream;
      expect(await stream?.whenReady()).toBe(true);
      // Once the first GOP has fixed the stream's timing, every video part published defers reads:
      // blocking reloads, one part at a time (rfc8216bis §6.2.5.2), until five have.
      const deadlines: number[] = [];
      for (let i = 0; i < 40 && deadlines.length < 5; i++) {
        const playlist = (await stream?.handle('video.m3u8', new URLSearchParams()))?.body as string;
        const { msn, nextPart } = openSegment(playlist);
        const before = deferred.mock.calls.length;
        const query = new URLSearchParams({ _HLS_msn: String(msn), _HLS_part: String(nextPart) });
        expect((await stream?.handle('video.m3u8', query))?.status).toBe(200);
        const now = performance.now();
        for (const [until] of deferred.mock.calls.slice(before)) deadlines.push(until - now);
      }
      expect(deadlines.length).toBeGreaterThanOrEqual(5);
      // Never past the next part's last frame (parts of 200 ms by default).
      for (const ahead of deadlines) expect(ahead).toBeLessThan(200);
      expect(deferred.mock.contexts.every((session) => session instanceof RtspSession)).toBe(true);
      const status = p.status();
      expect(status.framesReceived).toBeGreaterThan(0);
      expect(status.framesDropped).toBe(0);
      expect(p.stream?.stats.invalidFrames).toBe(0);
    },
    TIMEOUT_MS,
  );
});
