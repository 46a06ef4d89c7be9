import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import { checkMediaPlaylist } from '@camgate/hls/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAddressPolicy } from '../cameras/address-policy.js';
import { CameraManager } from '../cameras/camera-manager.js';
import { GatewayErrorCode } from '../errors.js';
import { PlaybackTokens } from '../playback/playback-tokens.js';
import { FileSigningKeyStore } from '../playback/signing-key-store.js';
import { SigningKeys } from '../playback/signing-keys.js';
import { RecordingProblemCode } from '../recording/recorder.js';
import { Recordings } from '../recording/recordings.js';
import { FaultyDisk } from '../recording/test-faulty-disk.js';
import { describeWithSqlite } from '../recording/test-sqlite.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';

/**
 * Recordings through the gateway's HTTP with the simulated camera: a signed camera's recordings
 * need a playback token, which the VOD playlist carries into its URIs; a full disk fails the
 * recording, says why, and leaves live playback alone; recording resumes when there is room.
 */

let dir = '';
let camsim: CamsimServer;
let cameras: CameraManager;
let keys: SigningKeys;
let tokens: PlaybackTokens;
let recordings: Recordings;
let app: FastifyInstance;
const disk = new FaultyDisk(Number.POSITIVE_INFINITY);
/** What beforeAll opened, closed in reverse (it may have stopped halfway). */
const opened: Array<() => unknown> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camgate-recording-playback-'));
  opened.push(() => rm(dir, { recursive: true, force: true }));
  camsim = await CamsimServer.start();
  opened.push(() => camsim.close());
  const policy = createAddressPolicy({ allow: ['127.0.0.0/8'] });
  cameras = await CameraManager.open({
    store: await FileCameraStore.open(dir),
    pipeline: () => ({ hls: { segmentDurationMs: 1000 }, session: { beforeConnect: policy } }),
    defaultPlayback: 'signed',
  });
  opened.push(() => cameras.close());
  recordings = await Recordings.open({ dir: join(dir, 'recordings'), openFile: disk.openFile });
  // Closed after the cameras (reverse order): their recorders write what they have first.
  opened.splice(opened.length - 1, 0, () => recordings.close());
  cameras.useRecordings({ recordings });
  keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
  opened.push(() => keys.close());
  tokens = new PlaybackTokens(keys);
  app = buildServer({ logger: pino({ level: 'silent' }), cameras, playback: { keys, tokens } });
  opened.push(() => app.close());
  await app.ready();
}, 60_000);

afterAll(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

async function status(
  id: string,
): Promise<{ state: string; recording: { state: string; segments: number; lastError: { code: string } | null } }> {
  return (await app.inject(`/v1/cameras/${id}`)).json<{ status: never }>().status;
}

/** Waits (real time: the camera streams at its own pace) until `done` holds for the camera's status. */
async function until(id: string, done: (s: Awaited<ReturnType<typeof status>>) => boolean): Promise<void> {
  const deadline = Date.now() + 40_000;
  let last;
  while (Date.now() < deadline) {
    last = await status(id);
    if (done(last)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`camera ${id}: ${JSON.stringify(last)}`);
}

describeWithSqlite('recordings over HTTP (camsim)', () => {
  it('a signed camera: recordings need a token, which the playlist carries; a full disk leaves live alone and recording resumes', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/cameras',
      payload: { id: 'vault', name: 'Vault', url: camsim.url('/h264-aac'), recording: { enabled: true } },
    });
    expect(created.statusCode, created.body).toBe(201);
    await until('vault', (s) => s.recording.segments >= 1);

    // Without a token: the 404 of an unknown camera (ids cannot be probed).
    const refused = await app.inject('/recordings/vault/vod.m3u8');
    expect([refused.statusCode, refused.json().code]).toEqual([404, GatewayErrorCode.NOT_FOUND]);
    const { token } = await tokens.mint('vault', 600);
    const other = await tokens.mint('someone-else', 600);
    expect((await app.inject(`/recordings/vault/vod.m3u8?token=${other.token}`)).statusCode).toBe(404);
    const vod = await app.inject(`/recordings/vault/vod.m3u8?token=${token}`);
    expect(vod.statusCode).toBe(200);
    expect(vod.headers['cache-control']).toBe('private, no-cache');
    expect(checkMediaPlaylist(vod.body, { lowLatency: false })).toEqual([]);
    const uris = vod.body.split('\n').filter((l) => l.startsWith('media/'));
    expect(uris.length).toBeGreaterThanOrEqual(1);
    expect(uris.every((u) => u.endsWith(`?token=${token}`))).toBe(true);
    const media = await app.inject({ url: `/recordings/vault/${uris[0]!}`, headers: { range: 'bytes=0-15' } });
    expect(media.statusCode).toBe(206);
    expect(media.rawPayload.subarray(4, 8).toString()).toBe('moof');
    expect((await app.inject(`/recordings/vault/${uris[0]!.replace(/\?.*/, '')}`)).statusCode).toBe(404);

    // The disk fills: recording fails and says why; the live stream plays on.
    disk.space = 0;
    await until('vault', (s) => s.recording.state === 'failing');
    const failing = await status('vault');
    expect(failing.recording.lastError?.code).toBe(RecordingProblemCode.DISK_FULL);
    expect(failing.state).toBe('streaming');
    const live = await app.inject(`/live/vault/index.m3u8?token=${token}`);
    expect(live.statusCode).toBe(200);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/camgate_recording_failing_cameras 1/);
    expect(metrics).toMatch(/camgate_recording_dropped_segments_total [1-9]/);

    // Room again: the next segment is recorded, by itself.
    disk.space = Number.POSITIVE_INFINITY;
    const before = (await status('vault')).recording.segments;
    await until('vault', (s) => s.recording.state === 'recording' && s.recording.segments > before);
    expect((await status('vault')).recording.lastError?.code).toBe(RecordingProblemCode.DISK_FULL);
    const listing = (await app.inject('/v1/cameras/vault/recordings')).json<{ spans: unknown[] }>();
    expect(listing.spans.length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
