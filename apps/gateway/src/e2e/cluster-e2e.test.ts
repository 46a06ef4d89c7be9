import { CamsimServer } from '@camgate/camsim';
import { buildRepo, hasTools, startPostgres, type PrivatePostgres } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecretKey } from '../store/secret-box.js';
import { Blackhole, startNode, type NodeProcess } from './test-cluster-nodes.js';

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
/** The failover budget the issue sets: pulled again and playable within 15 s of the owner's death. */
const FAILOVER_BUDGET_MS = 15_000;

/** Polls `probe` every 100 ms until it returns something other than undefined, or fails after `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
async function plays(node: NodeProcess, id: string): Promise<boolean> {
  const res = await fetch(`${node.url}/live/${id}/video.m3u8`, { signal: AbortSignal.timeout(10_000) });
  return res.status === 200 && (await res.text()).includes('#EXT-X-PART:');
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
      for (const id of CAMERAS) cams.set(id, await CamsimServer.start({ host: '127.0.0.1', port: 0 }));
      sampler = setInterval(() => {
        for (const [id, cam] of cams) maxSessions.set(id, Math.max(maxSessions.get(id) ?? 0, cam.sessionCount));
      }, 5);
      env = {
        CAMGATE_DATABASE_URL: postgres.url,
        CAMGATE_SECRET_KEY: generateSecretKey(),
        CAMGATE_CAMERA_ALLOWLIST: '127.0.0.1/32',
        CAMGATE_DATA_DIR: `${postgres.dataDir}/../gateway-data`,
      };
      // Node 3 reaches the database through a relay the partition test cuts.
      const [n1, n2, n3] = await Promise.all([
        startNode('n1', env),
        startNode('n2', env),
        startNode('n3', {
          ...env,
          CAMGATE_DATABASE_URL: postgres.url.replace(`:${postgres.port}/`, `:${blackhole.port}/`),
        }),
      ]);
      nodes.push(n1, n2, n3);
    }, 240_000);

    afterAll(async () => {
      clearInterval(sampler);
      await Promise.all(nodes.map((node) => node.kill()));
      await (blackhole as typeof blackhole | undefined)?.relay.close();
      await Promise.all([...cams.values()].map((cam) => cam.close()));
      await (postgres as PrivatePostgres | undefined)?.stop();
    });

    /** Each camera is pulled by exactly one live node, and says so on every node. */
    async function pulledOnce(live: readonly NodeProcess[], timeoutMs: number): Promise<Map<string, string>> {
      return eventually('every camera pulled once', timeoutMs, async () => {
        const owners = new Map<string, string>();
        for (const node of live) {
          for (const camera of await cameras(node)) {
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

    it('kill -9 the owner of a camera: another node pulls it and it plays within 15 s, never two sessions at once', async () => {
      const owners = await pulledOnce(nodes, 10_000);
      const victimId = owners.get('cam-a')!;
      const victim = nodes.find((node) => node.id === victimId)!;
      const survivors = nodes.filter((node) => node !== victim);
      const killedAt = Date.now();
      await victim.kill();
      await eventually('cam-a plays from a surviving node', FAILOVER_BUDGET_MS + 5_000, async () => {
        const [camera] = (await cameras(survivors[0]!)).filter((c) => c.id === 'cam-a');
        if (camera?.status.state !== 'streaming' || !survivors.some((n) => n.id === camera.status.node))
          return undefined;
        return (await plays(survivors[0]!, 'cam-a')) && (await plays(survivors[1]!, 'cam-a')) ? true : undefined;
      });
      const failoverMs = Date.now() - killedAt;
      process.stderr.write(`failover: cam-a playable again ${failoverMs} ms after its owner was killed\n`);
      expect(failoverMs).toBeLessThanOrEqual(FAILOVER_BUDGET_MS);
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
      // The killed node comes back as a fresh process with the same id and joins again.
      const restarted = await startNode(
        victim.id,
        victim.id === 'n3'
          ? { ...env, CAMGATE_DATABASE_URL: postgres.url.replace(`:${postgres.port}/`, `:${blackhole.port}/`) }
          : env,
      );
      nodes.splice(nodes.indexOf(victim), 1, restarted);
      await pulledOnce(nodes, 30_000);
      for (const id of CAMERAS) expect(maxSessions.get(id)).toBe(1);
    });
  },
);
