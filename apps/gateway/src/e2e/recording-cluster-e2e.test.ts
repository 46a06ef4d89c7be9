import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CamsimServer } from '@camgate/camsim';
import { checkMediaPlaylist } from '@camgate/hls/testing';
import {
  buildRepo,
  hasTools,
  interopRequired,
  requireTools,
  runProcess,
  startPostgres,
  type PrivatePostgres,
} from '@camgate/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSecretKey } from '../store/secret-box.js';
import { eventually, startNode, type NodeProcess } from './test-cluster-nodes.js';

/**
 * Recording in a cluster (issue 15): two gateway processes on one PostgreSQL, each with its own
 * data directory (its own disk). Two recording cameras start on node 1; node 2 joins and takes
 * one of them over. That camera's history is one timeline on both nodes: listed from the shared
 * index, played through either node (each forwards what is on the other's disk: the bytes are
 * the same), decoded by ffmpeg with every error fatal, and exported as a clip by the node that
 * holds its start. When node 1 stops, what is on its disk answers 503 RECORDING_NODE_DOWN and
 * the rest plays.
 */

const CAMERAS = ['cam-a', 'cam-b'] as const;
/** Recorded segments (about 6 s each) on each node before the checks. */
const SEGMENTS_EACH = 2;

interface CameraView {
  id: string;
  status: {
    state: string;
    node?: string | null;
    recording: { state: string; segments: number; lastError: unknown } | null;
  };
}

interface Listing {
  spans: Array<{ start: string; end: string }>;
  links: { vod: string; clip: string };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const sha = (bytes: ArrayBuffer) => createHash('sha256').update(new Uint8Array(bytes)).digest('hex');

describe.skipIf(!hasTools('postgres', 'ffmpeg') && !interopRequired())(
  'recording in a cluster of two gateway processes (built gateway, PostgreSQL)',
  { timeout: 150_000 },
  () => {
    let postgres: PrivatePostgres | undefined;
    let dir = '';
    const cams = new Map<string, CamsimServer>();
    const nodes: NodeProcess[] = [];
    let env: Record<string, string>;

    beforeAll(async () => {
      const build = await buildRepo();
      expect(build.stderr + build.stdout).toBe('');
      postgres = await startPostgres();
      dir = await mkdtemp(join(tmpdir(), 'camgate-recording-cluster-'));
      for (const id of CAMERAS) cams.set(id, await CamsimServer.start({ host: '127.0.0.1', port: 0 }));
      env = {
        CAMGATE_DATABASE_URL: postgres.url,
        CAMGATE_SECRET_KEY: generateSecretKey(),
        CAMGATE_CAMERA_ALLOWLIST: '127.0.0.1/32',
      };
      nodes.push(await startNode('n1', { ...env, CAMGATE_DATA_DIR: join(dir, 'n1') }));
    }, 180_000);

    afterEach((ctx) => {
      if (ctx.task.result?.state !== 'fail') return;
      for (const node of nodes) process.stderr.write(`--- ${node.id}\n${node.lines.slice(-40).join('\n')}\n`);
    });

    afterAll(async () => {
      await Promise.all(nodes.map((node) => node.kill()));
      await Promise.all([...cams.values()].map((cam) => cam.close()));
      await postgres?.stop();
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    });

    const camerasOf = async (node: NodeProcess) =>
      (await getJson<{ items: CameraView[] }>(`${node.url}/v1/cameras`)).items;

    it('one history across a hand-over, played through either node, exported by the node that holds it', async (ctx) => {
      const { ffmpeg, ffprobe } = requireTools(ctx, 'postgres', 'ffmpeg', 'ffprobe');
      const [n1] = nodes as [NodeProcess];
      for (const id of CAMERAS) {
        const res = await fetch(`${n1.url}/v1/cameras`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            id,
            name: id,
            url: cams.get(id)!.url('/h264-aac'),
            transport: 'tcp',
            recording: { enabled: true },
          }),
        });
        expect(res.status, await res.clone().text()).toBe(201);
      }
      await eventually('both cameras recorded on n1', 60_000, async () => {
        const views = await camerasOf(n1);
        return views.every((c) => c.status.node === 'n1' && (c.status.recording?.segments ?? 0) >= SEGMENTS_EACH)
          ? true
          : undefined;
      });

      // Node 2 joins: the fair share is one camera each, and n1 hands one over.
      const n2 = await startNode('n2', { ...env, CAMGATE_DATA_DIR: join(dir, 'n2') });
      nodes.push(n2);
      // Seen from n1: the camera n2 pulls, recording there (its status comes from n2's reports).
      const moved = await eventually('a camera recorded on n2', 60_000, async () => {
        const camera = (await camerasOf(n1)).find((c) => c.status.node === 'n2');
        return camera !== undefined &&
          camera.status.recording?.state === 'recording' &&
          camera.status.recording.segments >= SEGMENTS_EACH
          ? camera.id
          : undefined;
      });

      // One timeline, from the shared index, on both nodes: before the move and since.
      const listing = await getJson<Listing>(`${n2.url}/v1/cameras/${moved}/recordings`);
      expect(listing.spans.length).toBeGreaterThanOrEqual(2);
      expect((await getJson<Listing>(`${n1.url}/v1/cameras/${moved}/recordings`)).spans).toEqual(listing.spans);

      const playlists = await Promise.all(
        [n1, n2].map(async (node) => (await fetch(`${node.url}${listing.links.vod}`)).text()),
      );
      const playlist = playlists[1]!;
      expect(playlists[0]).toBe(playlist);
      expect(checkMediaPlaylist(playlist, { lowLatency: false })).toEqual([]);
      expect(playlist).toContain('#EXT-X-DISCONTINUITY');
      // The init segments name the node whose disk holds them.
      const maps = [...playlist.matchAll(/^#EXT-X-MAP:URI="([^"]+)"$/gm)].map((m) => m[1]!);
      expect(maps.some((uri) => uri.endsWith('?node=n1'))).toBe(true);
      expect(maps.some((uri) => uri.endsWith('?node=n2'))).toBe(true);

      // Every file and init segment, through either node: the same bytes (one of them forwarded).
      const media = [...new Set([...playlist.matchAll(/^media\/\d+\.m4s$/gm)].map((m) => m[0]))];
      expect(media.length).toBeGreaterThanOrEqual(2);
      for (const uri of [...new Set(maps), ...media]) {
        const answers = await Promise.all(
          [n1, n2].map((node) => fetch(new URL(uri, `${node.url}${listing.links.vod}`))),
        );
        expect(
          answers.map((a) => a.status),
          uri,
        ).toEqual([200, 200]);
        const [fromN1, fromN2] = await Promise.all(answers.map((a) => a.arrayBuffer()));
        expect(sha(fromN1!), uri).toBe(sha(fromN2!));
      }

      // ffmpeg plays it all through n2 (byte ranges, half of them on n1's disk), every error fatal.
      const vodUrl = `${n2.url}${listing.links.vod}`;
      const decoded = await runProcess(
        ffmpeg,
        ['-v', 'error', '-xerror', '-i', vodUrl, '-map', '0:v', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'],
        { timeoutMs: 90_000 },
      );
      expect([decoded.code, decoded.stderr]).toEqual([0, '']);
      expect(decoded.stdout.split('\n').filter((l) => l.startsWith('0,')).length).toBeGreaterThan(100);

      // A clip from the first span, asked of n2, is exported by n1, which holds it.
      const first = listing.spans[0]!;
      const clipStart = Date.parse(first.start) + 1000;
      const clipEnd = clipStart + 5000;
      const clip = await fetch(`${n2.url}${listing.links.clip}?start=${clipStart}&end=${clipEnd}`);
      expect([clip.status, clip.headers.get('content-type')]).toEqual([200, 'video/mp4']);
      const clipPath = join(dir, 'clip.mp4');
      await writeFile(clipPath, new Uint8Array(await clip.arrayBuffer()));
      const probed = await runProcess(
        ffprobe,
        ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', clipPath],
        {
          timeoutMs: 30_000,
        },
      );
      expect(Number(probed.stdout)).toBeGreaterThanOrEqual(4.9);
      // It starts at the keyframe at or before its start (the test clip's GOP is at most 6.4 s).
      expect(Number(probed.stdout)).toBeLessThanOrEqual(5 + 6.5);

      // Node 1 stops: what is on its disk is unavailable, said so; the rest still plays.
      await n1.stop();
      // Which node's disk each file is on: the node its EXT-X-MAP names.
      const nodeOf = new Map<string, string>();
      let mapNode = '';
      for (const line of playlist.split('\n')) {
        mapNode = /^#EXT-X-MAP:URI="[^"]*\?node=([^"&]+)"$/.exec(line)?.[1] ?? mapNode;
        if (/^media\/\d+\.m4s$/.test(line)) nodeOf.set(line, mapNode);
      }
      const onN1 = media.find((uri) => nodeOf.get(uri) === 'n1');
      const onN2 = media.find((uri) => nodeOf.get(uri) === 'n2');
      expect([onN1, onN2]).not.toContain(undefined);
      const down = await eventually('n1 known to be gone', 30_000, async () => {
        const res = await fetch(new URL(onN1!, vodUrl));
        return res.status === 503 ? res : undefined;
      });
      expect(down.headers.get('retry-after')).toBe('30');
      expect(((await down.json()) as { code: string }).code).toBe('CAMGATE_ERR_RECORDING_NODE_DOWN');
      expect((await fetch(new URL(onN2!, vodUrl))).status).toBe(200);
    });
  },
);
