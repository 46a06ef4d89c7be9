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
 * data directory (its own disk), and two recording cameras, one on each. Node 2 is stopped as a
 * rolling upgrade does (SIGTERM) and its camera is recorded on by node 1; node 2 comes back. That
 * camera's history is one timeline on both nodes: listed from the shared index, played through
 * either node (each forwards what is on the other's disk: the bytes are the same), decoded by
 * ffmpeg with every error fatal, and exported as a clip by the node that holds its start. When
 * node 2 stops again, what is on its disk answers 503 RECORDING_NODE_DOWN and the rest plays.
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
  status: { state: string };
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
      nodes.push(...(await Promise.all(['n1', 'n2'].map((id) => startNode(id, nodeEnv(id))))));
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

    const nodeEnv = (id: string) => ({ ...env, CAMGATE_DATA_DIR: join(dir, id) });

    const camerasOf = async (node: NodeProcess) =>
      (await getJson<{ items: CameraView[] }>(`${node.url}/v1/cameras`)).items;

    it('one history across a hand-over, played through either node, exported by the node that holds it', async (ctx) => {
      const { ffmpeg, ffprobe } = requireTools(ctx, 'postgres', 'ffmpeg', 'ffprobe');
      const [n1, upgraded] = nodes as [NodeProcess, NodeProcess];
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
      // One camera on each node (a fair share), both recording; seen from n1, n2's camera's
      // recording status is what n2 reports.
      const moved = await eventually('both cameras recorded, one on each node', 60_000, async () => {
        const views = await camerasOf(n1);
        const recorded = views.every((c) => (c.status.recording?.segments ?? 0) >= SEGMENTS_EACH);
        const onN2 = views.find((c) => c.status.node === 'n2');
        return recorded && onN2 !== undefined && views.some((c) => c.status.node === 'n1') ? onN2.id : undefined;
      });

      // A rolling upgrade: n2 stops (its camera handed over to n1, which records it on) and comes back.
      expect(await upgraded.stop()).toBe(0);
      nodes.splice(nodes.indexOf(upgraded), 1);
      const segmentsBefore = (await camerasOf(n1)).find((c) => c.id === moved)!.status.recording!.segments;
      await eventually('the moved camera recorded on n1', 60_000, async () => {
        const camera = (await camerasOf(n1)).find((c) => c.id === moved);
        return camera?.status.node === 'n1' &&
          camera.status.recording?.state === 'recording' &&
          camera.status.recording.segments >= SEGMENTS_EACH &&
          camera.status.recording.segments !== segmentsBefore
          ? true
          : undefined;
      });
      const n2 = await startNode('n2', nodeEnv('n2'));
      nodes.push(n2);

      // One timeline, from the shared index, on both nodes: before the move and since.
      const listing = await getJson<Listing>(`${n2.url}/v1/cameras/${moved}/recordings`);
      expect(listing.spans.length).toBeGreaterThanOrEqual(2);
      // Asked of n2, the recording's status is n1's, which records it.
      expect(listing.status.state).toBe('recording');
      expect((await getJson<Listing>(`${n1.url}/v1/cameras/${moved}/recordings`)).spans).toEqual(listing.spans);

      const playlists = await Promise.all(
        [n1, n2].map(async (node) => (await fetch(`${node.url}${listing.links.vod}`)).text()),
      );
      const playlist = playlists[1]!;
      expect(playlists[0]).toBe(playlist);
      expect(checkMediaPlaylist(playlist, { lowLatency: false })).toEqual([]);
      expect(playlist).toContain('#EXT-X-DISCONTINUITY');
      const maps = [...new Set([...playlist.matchAll(/^#EXT-X-MAP:URI="([^"]+)"$/gm)].map((m) => m[1]!))];
      expect(maps.length).toBeGreaterThanOrEqual(1);
      const media = [...new Set([...playlist.matchAll(/^media\/\d+\.m4s$/gm)].map((m) => m[0]))];
      expect(media.length).toBeGreaterThanOrEqual(2);
      // n1 forwards to n2 once its lease round has seen n2 back (within a round, 2 s).
      await eventually('n1 forwards to n2 again', 10_000, async () => {
        const answers = await Promise.all(media.map((uri) => fetch(new URL(uri, `${n1.url}${listing.links.vod}`))));
        await Promise.all(answers.map((res) => res.arrayBuffer()));
        return answers.every((res) => res.status === 200) ? true : undefined;
      });

      // Every file and init segment, through either node: the same bytes (one of them forwarded).
      for (const uri of [...maps, ...media]) {
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

      // Every byte range of the playlist, through n2: a 206 of exactly that length.
      for (const [, length, offset, uri] of playlist.matchAll(/^#EXT-X-BYTERANGE:(\d+)@(\d+)\n(media\/\d+\.m4s)$/gm)) {
        const end = Number(offset) + Number(length) - 1;
        const res = await fetch(new URL(uri!, `${n2.url}${listing.links.vod}`), {
          headers: { range: `bytes=${offset}-${end}` },
        });
        const body = await res.arrayBuffer();
        expect([res.status, body.byteLength, res.headers.get('content-range')], `${uri} ${offset}`).toEqual([
          206,
          Number(length),
          expect.stringMatching(new RegExp(`^bytes ${offset}-${end}/`)),
        ]);
      }

      // ffmpeg plays it all through n2 (byte ranges, part of them on n1's disk), every error fatal.
      const vodUrl = `${n2.url}${listing.links.vod}`;
      const decoded = await runProcess(
        ffmpeg,
        ['-v', 'error', '-xerror', '-i', vodUrl, '-map', '0:v', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'],
        { timeoutMs: 90_000 },
      );
      expect([decoded.code, decoded.stderr]).toEqual([0, '']);
      expect(decoded.stdout.split('\n').filter((l) => l.startsWith('0,')).length).toBeGreaterThan(100);

      // A clip from the first span, asked of n1, is exported by n2, which holds it.
      const first = listing.spans[0]!;
      const clipStart = Date.parse(first.start) + 1000;
      const clipEnd = clipStart + 5000;
      const clip = await fetch(`${n1.url}${listing.links.clip}?start=${clipStart}&end=${clipEnd}`);
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

      // Node 2 stops again: what is on its disk is unavailable, said so; the rest still plays.
      expect(await n2.stop()).toBe(0);
      nodes.splice(nodes.indexOf(n2), 1);
      // Through n1: its own files and every init segment play; n2's files are said to be down.
      const n1Vod = `${n1.url}${listing.links.vod}`;
      const statuses = await eventually('n2 known to be gone', 30_000, async () => {
        const answers = await Promise.all(media.map((uri) => fetch(new URL(uri, n1Vod))));
        const bodies = await Promise.all(answers.map((res) => res.text()));
        if (!answers.some((res) => res.status === 503)) return undefined;
        return answers.map((res, i) => ({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          code: res.status === 503 ? (JSON.parse(bodies[i]!) as { code: string }).code : undefined,
        }));
      });
      expect(statuses.filter((s) => s.status === 200).length).toBeGreaterThan(0);
      for (const answer of statuses.filter((s) => s.status !== 200)) {
        expect(answer).toEqual({ status: 503, retryAfter: '30', code: 'CAMGATE_ERR_RECORDING_NODE_DOWN' });
      }
      for (const uri of maps) expect((await fetch(new URL(uri, n1Vod))).status).toBe(200);
    });
  },
);
