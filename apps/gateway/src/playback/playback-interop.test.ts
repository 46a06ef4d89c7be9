import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTools, runProcess } from '@camgate/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptDirWithJose, SignedGateway } from './test-signed-gateway.js';

/**
 * Signed playback with real clients: ffmpeg (a player that adds no header and carries no query
 * string to relative URIs) decodes a signed camera, and a token made by an external signer (the
 * embedding site's backend, a Node script with jose and the private key from POST
 * /v1/signing-keys) plays until its key is deleted.
 */

interface RequestLine {
  msg: string;
  camera?: string;
  path?: string;
  status?: number;
}

let gateway: SignedGateway;
const lines: RequestLine[] = [];
let scripts: string;

/** The external signer: argv alg, kid, camera; the PKCS#8 key in CAMGATE_SIGNING_KEY; prints a token. */
const SIGNER = `import { importPKCS8, SignJWT } from 'jose';
const [alg, kid, camera] = process.argv.slice(2);
const key = await importPKCS8(process.env.CAMGATE_SIGNING_KEY, alg);
const token = await new SignJWT({ aud: 'playback' })
  .setProtectedHeader({ alg, kid, typ: 'JWT' })
  .setSubject(camera)
  .setIssuedAt()
  .setExpirationTime('10m')
  .sign(key);
process.stdout.write(token);
`;

beforeAll(async () => {
  // The request lines (debug) name each request's camera, masked path and status.
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as RequestLine) });
  gateway = await SignedGateway.start({ logger });
  scripts = await scriptDirWithJose();
  await writeFile(join(scripts, 'sign.mjs'), SIGNER);
});

afterAll(async () => {
  await gateway.close();
  await rm(scripts, { recursive: true, force: true });
});

/** The request lines of camera `id`'s playback. */
const requestsOf = (id: string) =>
  lines.filter((line) => line.msg === 'request completed' && line.camera === id && line.path?.startsWith('/live/'));

describe.concurrent('signed playback with real clients', () => {
  it('ffmpeg decodes a signed camera from its ?token= URL and from its token path: every request carries the token', async (ctx) => {
    const { ffmpeg } = requireTools(ctx, 'ffmpeg');
    await Promise.all([gateway.addCamera('ff-query'), gateway.addCamera('ff-path')]);
    const [query, path] = await Promise.all([gateway.mint('ff-query'), gateway.mint('ff-path')]);
    const urls = {
      'ff-query': `${gateway.origin}/live/ff-query/index.m3u8?token=${query.token}`,
      'ff-path': path.playlist,
    };
    expect(urls['ff-path']).toBe(`${gateway.origin}/live/ff-path/t/${path.token}/index.m3u8`);
    const runs = await Promise.all(
      Object.values(urls).map((url) =>
        runProcess(
          ffmpeg,
          ['-nostdin', '-v', 'error', '-progress', 'pipe:1', '-i', url, '-t', '5', '-f', 'null', '-'],
          { timeoutMs: 40_000 },
        ),
      ),
    );
    for (const [i, id] of Object.keys(urls).entries()) {
      const run = runs[i];
      expect(run?.stderr, id).toBe('');
      expect(run?.code, id).toBe(0);
      // -progress: key=value lines, the last frame= the number of video frames decoded.
      const frames = Number([...(run?.stdout ?? '').matchAll(/^frame=(\d+)$/gm)].at(-1)?.[1]);
      expect(frames, id).toBeGreaterThanOrEqual(50);
      const requests = requestsOf(id);
      // Every request was answered (a refusal would be a 404), so each carried a valid token; after
      // the multivariant playlist of the ?token= URL, all of them in their path.
      expect(requests.filter((line) => line.status !== 200)).toEqual([]);
      const [first, ...rest] = requests.map((line) => line.path);
      if (id === 'ff-query') expect(first).toBe('/live/ff-query/index.m3u8');
      else expect(first).toBe('/live/ff-path/t/***/index.m3u8');
      expect(rest.filter((p) => !p?.startsWith(`/live/${id}/t/***/`))).toEqual([]);
      expect(rest.filter((p) => p?.endsWith('.m4s')).length).toBeGreaterThanOrEqual(5);
      expect(rest).toEqual(expect.arrayContaining([expect.stringMatching(/init[^/]*\.mp4$/)]));
    }
  }, 60_000);

  it.for(['ES256', 'RS256'] as const)(
    'a token an external signer (Node, jose) makes with a %s key of POST /v1/signing-keys plays, until DELETE of the key',
    async (algorithm) => {
      const id = `ext-${algorithm.toLowerCase()}`;
      await gateway.addCamera(id);
      const key = await gateway.createKey(algorithm);
      const signed = await runProcess(process.execPath, [join(scripts, 'sign.mjs'), algorithm, key.id, id], {
        env: { ...process.env, CAMGATE_SIGNING_KEY: key.privateKey },
        timeoutMs: 20_000,
      });
      expect([signed.code, signed.stderr]).toEqual([0, '']);
      const token = signed.stdout;
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const base = `${gateway.origin}/live/${id}/t/${token}`;
      const get = async (name: string) => {
        const response = await fetch(`${base}/${name}`);
        return { status: response.status, body: await response.text() };
      };
      expect((await get('index.m3u8')).status).toBe(200);
      const media = await get('video.m3u8');
      expect(media.status).toBe(200);
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media.body)?.[1] as string;
      const part = /#EXT-X-PART:[^\n]*URI="([^"]+)"/.exec(media.body)?.[1] as string;
      expect([(await get(init)).status, (await get(part)).status]).toEqual([200, 200]);
      // The query form too, for players handed a ?token= URL.
      expect((await fetch(`${gateway.origin}/live/${id}/index.m3u8?token=${token}`)).status).toBe(200);

      expect((await gateway.api('DELETE', `/v1/signing-keys/${key.id}`)).status).toBe(204);
      for (const name of ['index.m3u8', 'video.m3u8', init, part, 'status.json']) {
        const refused = await get(name);
        const unknown = await fetch(`${gateway.origin}/live/nope/t/${token}/${name}`);
        expect(refused.status, name).toBe(404);
        expect(refused.body).toBe((await unknown.text()).replace(/nope/g, id));
      }
    },
  );
});
