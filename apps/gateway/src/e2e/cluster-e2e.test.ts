import { CamsimServer } from '@camgate/camsim';
import { buildRepo, hasTools, launchChromium, startPostgres, type PrivatePostgres } from '@camgate/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSecretKey } from '../store/secret-box.js';
import { Blackhole, eventually, startNode, type NodeProcess } from './test-cluster-nodes.js';

/**
 * Three gateway processes on one PostgreSQL (issue 12): cameras are pulled exactly once across
 * the nodes and play from every node; a node killed with SIGKILL, the database stopped, and a node
 * cut off from the database. A sampler at the cameras' side counts RTSP sessions all along: two at
 * once for one camera is the failure these tests hunt.
 */

interface CameraStatusView {
  id: string;
  revision: number;
  status: { state: string; node?: string | null };
}

const CAMERAS = ['cam-a', 'cam-b', 'cam-c'] as const;
/** Pulled only while someone watches, on whichever node the viewer asks. */
const ON_DEMAND = 'cam-d';
/** On-demand cameras stop 4 s after their last viewer here (60 s by default). */
const ON_DEMAND_IDLE_MS = 4_000;
/** The failover budget the issue sets: pulled again and playable within 15 s of the owner's death. */
const FAILOVER_BUDGET_MS = 15_000;

/** True once the answer has `status`; otherwise throws, so that a timeout of eventually() says what came instead. */
async function answers(response: Promise<Response>, status: number): Promise<true> {
  const res = await response;
  const body = await res.text();
  if (res.status !== status) throw new Error(`${res.status} ${body.slice(0, 200)}`);
  return true;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** The cameras as node `node` lists them. */
async function cameras(node: NodeProcess): Promise<CameraStatusView[]> {
  return (await getJson<{ items: CameraStatusView[] }>(`${node.url}/v1/cameras`)).items;
}

/** A camera's media playlist from `node` has parts: it plays there. */
/**
 * Whether `node` serves the camera's LL-HLS playlist, asking as a player does: a 503 (the camera is
 * being claimed or handed over, CAMERA_MOVING / STREAM_UNAVAILABLE) is asked again after its
 * Retry-After, for 20 s at most; any other answer is final.
 */
async function plays(node: NodeProcess, id: string): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${node.url}/live/${id}/video.m3u8`, { signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    if (process.env['CAMGATE_DEBUG_CLUSTER'] === '1')
      process.stderr.write(
        `${node.id} ${id}: ${res.status} ${text.slice(0, 300)}\n${node.lines.slice(-12).join('\n')}\n`,
      );
    if (res.status !== 503 || Date.now() >= deadline) return res.status === 200 && text.includes('#EXT-X-PART:');
    const retryAfterS = Number(res.headers.get('retry-after') ?? '1');
    await new Promise((resolve) => setTimeout(resolve, 1000 * (Number.isFinite(retryAfterS) ? retryAfterS : 1)));
  }
}

describe.skipIf(!hasTools('postgres') && process.env['CAMGATE_REQUIRE_INTEROP'] !== '1')(
  'a cluster of three gateway processes on one PostgreSQL',
  { timeout: 120_000 },
  () => {
    let postgres: PrivatePostgres;
    let blackhole: { relay: Blackhole; port: number };
    const cams = new Map<string, CamsimServer>();
    const nodes: NodeProcess[] = [];
    /** Most RTSP sessions each camera saw at once; sampled every 5 ms for the whole file. */
    const maxSessions = new Map<string, number>();
    let sampler: NodeJS.Timeout | undefined;
    let env: Record<string, string>;

    beforeAll(async () => {
      // Skipped above without PostgreSQL, unless CI requires it: then its absence fails here.
      if (!hasTools('postgres')) throw new Error('CAMGATE_REQUIRE_INTEROP=1 but PostgreSQL is not installed');
      const build = await buildRepo();
      expect(build.stderr + build.stdout).toBe('');
      postgres = await startPostgres();
      blackhole = await Blackhole.start(postgres.port);
      for (const id of [...CAMERAS, ON_DEMAND]) cams.set(id, await CamsimServer.start({ host: '127.0.0.1', port: 0 }));
      sampler = setInterval(() => {
        for (const [id, cam] of cams) maxSessions.set(id, Math.max(maxSessions.get(id) ?? 0, cam.sessionCount));
      }, 5);
      env = {
        CAMGATE_DATABASE_URL: postgres.url,
        CAMGATE_SECRET_KEY: generateSecretKey(),
        CAMGATE_CAMERA_ALLOWLIST: '127.0.0.1/32',
        CAMGATE_ON_DEMAND_IDLE_MS: String(ON_DEMAND_IDLE_MS),
        CAMGATE_DATA_DIR: `${postgres.dataDir}/../gateway-data`,
      };
      // Node 3 reaches the database through a relay the partition test cuts.
      const [n1, n2, n3] = await Promise.all([
        startNode('n1', env),
        startNode('n2', env),
        startNode('n3', relayedEnv()),
      ]);
      nodes.push(n1, n2, n3);
    }, 240_000);

    afterEach((ctx) => {
      // A failed test shows what the nodes said (their logs hold no secret: the canary tests check).
      if (ctx.task.result?.state !== 'fail') return;
      for (const node of nodes) process.stderr.write(`--- ${node.id}\n${node.lines.slice(-40).join('\n')}\n`);
    });

    afterAll(async () => {
      clearInterval(sampler);
      await Promise.all(nodes.map((node) => node.kill()));
      await (blackhole as typeof blackhole | undefined)?.relay.close();
      await Promise.all([...cams.values()].map((cam) => cam.close()));
      await (postgres as PrivatePostgres | undefined)?.stop();
    });

    /** Node `id` started again (after a kill or a stop), with node 3's database behind the relay. */
    async function restart(old: NodeProcess): Promise<NodeProcess> {
      const fresh = await startNode(old.id, old.id === 'n3' ? relayedEnv() : env);
      nodes.splice(nodes.indexOf(old), 1, fresh);
      return fresh;
    }

    function relayedEnv(): Record<string, string> {
      return { ...env, CAMGATE_DATABASE_URL: postgres.url.replace(`:${postgres.port}/`, `:${blackhole.port}/`) };
    }

    /**
     * The MSN of the first and last segment of a media playlist, and the Discontinuity Sequence
     * Numbers of its first and last segment (the header's, plus the EXT-X-DISCONTINUITY tags up to it).
     */
    async function numbering(
      node: NodeProcess,
      id: string,
    ): Promise<{ first: number; last: number; firstDsn: number; lastDsn: number }> {
      const text = await (
        await fetch(`${node.url}/live/${id}/video.m3u8`, { signal: AbortSignal.timeout(10_000) })
      ).text();
      const first = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
      const header = Number(/#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
      // Each segment (whole, or the open one's parts) and the discontinuities before it.
      let dsn = header;
      let msn = first;
      const dsns: number[] = [];
      let open = false;
      for (const line of text.split('\n')) {
        if (line === '#EXT-X-DISCONTINUITY') dsn++;
        if (line.startsWith('#EXT-X-PART:')) open = true;
        if (/^video-\d+\.m4s$/.test(line)) {
          dsns.push(dsn);
          msn++;
          open = false;
        }
      }
      if (open) dsns.push(dsn);
      return {
        first,
        last: open ? msn : msn - 1,
        firstDsn: dsns[0] ?? header,
        lastDsn: dsns[dsns.length - 1] ?? header,
      };
    }

    /** Each camera is pulled by exactly one live node, and says so on every node. */
    async function pulledOnce(live: readonly NodeProcess[], timeoutMs: number): Promise<Map<string, string>> {
      return eventually('every camera pulled once', timeoutMs, async () => {
        const owners = new Map<string, string>();
        for (const node of live) {
          for (const camera of (await cameras(node)).filter((c) => (CAMERAS as readonly string[]).includes(c.id))) {
            const owner = camera.status.node;
            if (camera.status.state !== 'streaming' || typeof owner !== 'string') return undefined;
            if (!live.some((n) => n.id === owner)) return undefined;
            if (owners.has(camera.id) && owners.get(camera.id) !== owner) return undefined;
            owners.set(camera.id, owner);
          }
        }
        for (const id of CAMERAS) if (cams.get(id)?.sessionCount !== 1) return undefined;
        return owners.size === CAMERAS.length ? owners : undefined;
      });
    }

    it('cameras added through node 1 are pulled exactly once across the nodes, and play from each', async () => {
      const [n1] = nodes;
      for (const id of CAMERAS) {
        const res = await fetch(`${n1!.url}/v1/cameras`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, name: id, url: cams.get(id)!.url('/h264-aac'), transport: 'tcp' }),
        });
        expect(res.status).toBe(201);
      }
      const owners = await pulledOnce(nodes, 30_000);
      // Spread: three nodes, three cameras, a fair share of one each.
      expect(new Set(owners.values()).size).toBe(3);
      for (const node of nodes) for (const id of CAMERAS) expect(await plays(node, id)).toBe(true);
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
    });

    it('a node cut off from the database stops pulling before another node claims its cameras', async (ctx) => {
      const owners = await pulledOnce(nodes, 10_000);
      const n3 = nodes.find((node) => node.id === 'n3')!;
      const lost = CAMERAS.filter((id) => owners.get(id) === 'n3');
      expect(lost.length).toBeGreaterThan(0);
      blackhole.relay.blackhole();
      const cutAt = Date.now();
      // The sampler sees each of n3's cameras go to 0 sessions (n3 fenced) before another node's session.
      const others = nodes.filter((node) => node !== n3);
      await eventually("n3's cameras pulled by the other nodes", 30_000, async () => {
        for (const id of lost) {
          const [camera] = (await cameras(others[0]!)).filter((c) => c.id === id);
          if (camera?.status.state !== 'streaming' || !others.some((n) => n.id === camera.status.node))
            return undefined;
        }
        return true;
      });
      await ctx.annotate(`partition: n3's cameras pulled elsewhere ${Date.now() - cutAt} ms after the cut`);
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
      // SIGTERM while cut off: the node cannot hand anything over (it holds nothing now), and
      // exits all the same, its sockets to the database never answering.
      const stoppedAt = Date.now();
      await n3.stop();
      const exitMs = Date.now() - stoppedAt;
      await ctx.annotate(`partition: n3 exited ${exitMs} ms after SIGTERM while cut off from the database`);
      expect(exitMs).toBeLessThan(12_000);
      blackhole.relay.heal();
      const back = await restart(n3);
      await eventually('n3 ready again', 30_000, async () =>
        (await fetch(`${back.url}/readyz`)).status === 200 ? true : undefined,
      );
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
    }, 90_000);

    it('kill -9 the owner of a camera: another node pulls it and it plays within 15 s, never two sessions at once; a viewer on a survivor plays on', async (ctx) => {
      const owners = await pulledOnce(nodes, 10_000);
      const victimId = owners.get('cam-a')!;
      const victim = nodes.find((node) => node.id === victimId)!;
      const survivors = nodes.filter((node) => node !== victim);
      // hls.js in Chromium watching cam-a through a node that does not pull it (when Chromium is here).
      const viewer =
        hasTools('chromium') || process.env['CAMGATE_REQUIRE_INTEROP'] === '1' ? await launchChromium() : undefined;
      const page = await viewer?.context.newPage();
      await page?.goto(`${survivors[0]!.url}/embed/cam-a?muted=1&autoplay=1`);
      const videoTime = () =>
        page!.evaluate(() => {
          // The embed page's video is inside its <camgate-player>'s shadow root.
          interface Node {
            currentTime: number;
            shadowRoot: { querySelector(s: string): Node | null } | null;
          }
          const { document } = globalThis as unknown as { document: { querySelector(s: string): Node | null } };
          return document.querySelector('camgate-player')?.shadowRoot?.querySelector('video')?.currentTime ?? 0;
        });
      if (page !== undefined) {
        await eventually('the viewer plays', 30_000, async () => ((await videoTime()) > 1 ? true : undefined));
      }
      // The viewer's longest stall (video time not moving), sampled every 250 ms until it has played 5 s past the failover.
      let longestStallMs = 0;
      /** When cam-a played again from the survivors, and the viewer's video time then. */
      const failover: { at?: number; videoTime: number } = { videoTime: 0 };
      const watching = (async () => {
        if (page === undefined) return;
        let last = await videoTime();
        let since = Date.now();
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          const now = await videoTime();
          if (now > last) {
            longestStallMs = Math.max(longestStallMs, Date.now() - since);
            since = Date.now();
            last = now;
          }
          if (failover.at !== undefined && now > failover.videoTime + 5) return;
          if (Date.now() - since > 30_000) throw new Error('the viewer stalled for 30 s');
        }
      })();
      const killedAt = Date.now();
      await victim.kill();
      await eventually('cam-a plays from a surviving node', FAILOVER_BUDGET_MS + 5_000, async () => {
        const [camera] = (await cameras(survivors[0]!)).filter((c) => c.id === 'cam-a');
        if (camera?.status.state !== 'streaming' || !survivors.some((n) => n.id === camera.status.node))
          return undefined;
        return (await plays(survivors[0]!, 'cam-a')) && (await plays(survivors[1]!, 'cam-a')) ? true : undefined;
      });
      const failoverMs = Date.now() - killedAt;
      if (page !== undefined) failover.videoTime = await videoTime();
      failover.at = Date.now();
      await watching;
      await viewer?.close();
      await ctx.annotate(
        `failover: cam-a playable again ${failoverMs} ms after its owner was killed` +
          (page === undefined
            ? ''
            : `; the viewer on ${survivors[0]!.id} stalled ${longestStallMs} ms at most, then played on`),
      );
      expect(failoverMs).toBeLessThanOrEqual(FAILOVER_BUDGET_MS);
      if (page !== undefined) expect(longestStallMs).toBeLessThanOrEqual(FAILOVER_BUDGET_MS + 5_000);
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
      // The killed node comes back as a fresh process with the same id and joins again.
      await restart(victim);
      await pulledOnce(nodes, 30_000);
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
    }, 120_000);

    it('SIGTERM hands a camera over at once, and its stream goes on numbering where it stopped', async (ctx) => {
      const owners = await pulledOnce(nodes, 10_000);
      const ownerId = owners.get('cam-b')!;
      const owner = nodes.find((node) => node.id === ownerId)!;
      const other = nodes.find((node) => node !== owner)!;
      const before = await numbering(other, 'cam-b');
      const stoppedAt = Date.now();
      expect(await owner.stop()).toBe(0);
      await eventually('cam-b plays again', 10_000, async () => ((await plays(other, 'cam-b')) ? true : undefined));
      const handOverMs = Date.now() - stoppedAt;
      await ctx.annotate(`graceful hand-over: cam-b playable again ${handOverMs} ms after SIGTERM`);
      const after = await numbering(other, 'cam-b');
      // Exactly after the last segment the old owner published (its final position), one discontinuity later.
      expect(after.first).toBeGreaterThan(before.last);
      expect(after.first).toBeLessThanOrEqual(before.last + 4);
      expect(after.firstDsn).toBe(before.lastDsn + 1);
      // Not a lease expiry (8 s): the next round of another node.
      expect(handOverMs).toBeLessThan(8_000);
      await restart(owner);
      await pulledOnce(nodes, 30_000);
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
    });

    it('PostgreSQL stopped for 30 s: streams go on until the fence, writes answer 503, all recovers by itself', async (ctx) => {
      await pulledOnce(nodes, 10_000);
      const [n1] = nodes;
      await postgres.pause();
      const pausedAt = Date.now();
      // A write needs the database: a coded 503, nothing changed.
      const write = await fetch(`${n1!.url}/v1/cameras/cam-c`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'renamed during the outage' }),
      });
      expect(write.status).toBe(503);
      expect(write.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await write.json()) as { code: string }).code).toBe('CAMGATE_ERR_STORE_UNAVAILABLE');
      // Not at the first failed round: every camera is still pulled 2.5 s in (the fence is 6 s
      // after the last renewal that went through, at most 2 s before the database stopped).
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2_500 - (Date.now() - pausedAt))));
      for (const id of CAMERAS) expect(cams.get(id)?.sessionCount).toBe(1);
      // Every node fences itself: no camera is pulled once the deadline passed (6 s after the last renewal).
      await eventually('every node stopped pulling', 15_000, () =>
        Promise.resolve([...cams.values()].every((cam) => cam.sessionCount === 0) ? true : undefined),
      );
      const fencedAfterMs = Date.now() - pausedAt;
      await ctx.annotate(`database down: every camera released ${fencedAfterMs} ms after the database stopped`);
      expect(fencedAfterMs).toBeGreaterThan(1_000);
      const ready = await fetch(`${n1!.url}/readyz`);
      expect(ready.status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - pausedAt))));
      await postgres.resume();
      const resumedAt = Date.now();
      await pulledOnce(nodes, 30_000);
      await ctx.annotate(`database back: every camera pulled again ${Date.now() - resumedAt} ms later`);
      for (const node of nodes) {
        await eventually(`${node.id} ready again`, 10_000, async () =>
          (await fetch(`${node.url}/readyz`)).status === 200 ? true : undefined,
        );
      }
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
    }, 120_000);

    it('an on-demand camera: the first viewer on any node gets it pulled, by one node, and nobody pulls it once nobody watches', async (ctx) => {
      const [n1, n2, n3] = nodes;
      const cam = cams.get(ON_DEMAND)!;
      const created = await fetch(`${n1!.url}/v1/cameras`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: ON_DEMAND,
          name: ON_DEMAND,
          url: cam.url('/h264-aac'),
          transport: 'tcp',
          onDemand: true,
        }),
      });
      expect(created.status).toBe(201);
      // Every node hears of it (NOTIFY) before a viewer asks: an id a node does not know is a 404.
      for (const node of nodes) {
        await eventually(`${node.id} knows the camera`, 5_000, async () =>
          (await cameras(node)).some((c) => c.id === ON_DEMAND && c.status.node === null) ? true : undefined,
        );
      }
      expect(cam.sessionCount).toBe(0);
      for (const [viewerNode, round] of [
        [n2!, 'first'],
        [n3!, 'second'],
      ] as const) {
        const askedAt = Date.now();
        // The viewer's first request waits for a node to claim and start the camera.
        expect(await plays(viewerNode, ON_DEMAND)).toBe(true);
        await ctx.annotate(
          `on demand (${round} viewer, on ${viewerNode.id}): playing ${Date.now() - askedAt} ms after the first request`,
        );
        expect(cam.sessionCount).toBe(1);
        // The viewer leaves: the owner stops pulling after the idle time and lets the lease go.
        await eventually('nobody pulls the camera', ON_DEMAND_IDLE_MS + 15_000, async () => {
          const [camera] = (await cameras(n1!)).filter((c) => c.id === ON_DEMAND);
          return cam.sessionCount === 0 && camera?.status.node === null ? true : undefined;
        });
      }
      expect(maxSessions.get(ON_DEMAND)).toBe(1);
    }, 90_000);

    it('signed playback on every node with the same keys; a key deleted on one node is refused by all', async () => {
      const [n1, n2, n3] = nodes;
      const json = { 'content-type': 'application/json' };
      expect(
        (await fetch(`${n1!.url}/v1/cameras/cam-c`, { method: 'PATCH', headers: json, body: '{"playback":"signed"}' }))
          .status,
      ).toBe(200);
      // Minted on node 2 with the gateway's own key (made there, kept in the database).
      const minted = await fetch(`${n2!.url}/v1/cameras/cam-c/playback-tokens`, {
        method: 'POST',
        headers: json,
        body: '{}',
      });
      expect(minted.status).toBe(201);
      const { token } = (await minted.json()) as { token: string };
      const signed = (node: NodeProcess) =>
        fetch(`${node.url}/live/cam-c/t/${token}/video.m3u8`, { signal: AbortSignal.timeout(10_000) });
      for (const node of nodes) {
        await eventually(`${node.id} refuses cam-c without a token`, 5_000, () =>
          answers(fetch(`${node.url}/live/cam-c/video.m3u8`), 404),
        );
        await eventually(`${node.id} plays cam-c with the token`, 5_000, () => answers(signed(node), 200));
      }
      // The gateway's own key deleted through node 1: every node refuses its tokens within a second or so.
      const keys = (await (await fetch(`${n1!.url}/v1/signing-keys`)).json()) as {
        items: Array<{ id: string; managed: boolean }>;
      };
      const own = keys.items.find((key) => key.managed)!;
      expect((await fetch(`${n1!.url}/v1/signing-keys/${own.id}`, { method: 'DELETE' })).status).toBe(204);
      for (const node of [n3!, n2!, n1!]) {
        await eventually(`${node.id} refuses the revoked token`, 5_000, () => answers(signed(node), 404));
      }
      expect(
        (await fetch(`${n1!.url}/v1/cameras/cam-c`, { method: 'PATCH', headers: json, body: '{"playback":"public"}' }))
          .status,
      ).toBe(200);
    });
  },
);
