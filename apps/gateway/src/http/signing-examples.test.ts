import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { interopRequired, runProcess } from '@camgate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptDirWithJose, SignedGateway } from '../playback/test-signed-gateway.js';
import type { SigningExamples } from './signing-examples.js';

/**
 * The examples a signed camera's links give (GET /v1/cameras/:id, links.signing) are real code:
 * run as they are, with a key from POST /v1/signing-keys, they print an embed URL whose token
 * plays the camera.
 */

/** Debian's python3-jwt and python3-cryptography belong to /usr/bin/python3 (.ci/run installs them). */
const PYTHON = process.env['CAMGATE_PYTHON'] ?? '/usr/bin/python3';

let gateway: SignedGateway;
let dir: string;
let examples: SigningExamples;
let key: { id: string; privateKey: string };

beforeAll(async () => {
  gateway = await SignedGateway.start();
  dir = await scriptDirWithJose();
  await gateway.addCamera('front-door');
  const camera = (await (await gateway.api('GET', '/v1/cameras/front-door')).json()) as {
    links: { signing: SigningExamples; tokenRequired: boolean };
  };
  expect(camera.links.tokenRequired).toBe(true);
  examples = camera.links.signing;
  key = await gateway.createKey('ES256');
});

afterAll(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

/** The embed URL an example printed plays: its page, and the camera's playlist with its token. */
async function expectPlays(printed: string): Promise<void> {
  const url = new URL(printed.trim());
  expect(`${url.origin}${url.pathname}`).toBe(`${gateway.origin}/embed/front-door`);
  const token = url.searchParams.get('token') as string;
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect((await fetch(url)).status).toBe(200);
  const playlist = await fetch(`${gateway.origin}/live/front-door/t/${token}/index.m3u8`);
  expect(playlist.status).toBe(200);
  expect(await playlist.text()).toContain('#EXT-X-STREAM-INF');
  // Without a token, or another camera's, nothing plays.
  expect((await fetch(`${gateway.origin}/live/front-door/index.m3u8`)).status).toBe(404);
}

const env = () => ({ ...process.env, CAMGATE_SIGNING_KEY: key.privateKey, CAMGATE_SIGNING_KEY_ID: key.id });

describe.concurrent('signing examples of a signed camera', () => {
  it('are short, explained, and never hold a key', () => {
    expect(examples.explanation).toMatch(/POST \/v1\/signing-keys/);
    for (const code of [examples.node, examples.python]) {
      expect(code.trim().split('\n').length).toBeLessThanOrEqual(15);
      expect(code).toContain('front-door');
      expect(code).toContain(`${gateway.origin}/embed/`);
      expect(code).not.toMatch(/PRIVATE KEY|test-key/);
    }
  });

  it('Node: the example, run as it is with jose, prints an embed URL that plays', async () => {
    const file = join(dir, 'embed-url.mjs');
    await writeFile(file, examples.node);
    const run = await runProcess(process.execPath, [file], { env: env(), timeoutMs: 20_000 });
    expect([run.code, run.stderr]).toEqual([0, '']);
    await expectPlays(run.stdout);
  });

  it('Python: the example, run as it is with PyJWT, prints an embed URL that plays', async (ctx) => {
    const check = spawnSync(PYTHON, ['-c', 'import jwt, cryptography'], { encoding: 'utf8' });
    if (check.status !== 0) {
      const reason = `${PYTHON} cannot import jwt and cryptography; install: apt-get install python3-jwt python3-cryptography`;
      if (interopRequired()) throw new Error(`CAMGATE_REQUIRE_INTEROP=1 but ${reason}`);
      ctx.skip(`interop tool missing: ${reason}`);
    }
    const file = join(dir, 'embed_url.py');
    await writeFile(file, examples.python);
    const run = await runProcess(PYTHON, [file], { env: env(), timeoutMs: 20_000 });
    expect([run.code, run.stderr]).toEqual([0, '']);
    await expectPlays(run.stdout);
  });
});
