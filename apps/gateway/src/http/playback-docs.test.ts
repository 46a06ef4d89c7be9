import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@camgate/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraManager } from '../cameras/camera-manager.js';
import { PlaybackTokens } from '../playback/playback-tokens.js';
import { FileSigningKeyStore } from '../playback/signing-key-store.js';
import { SigningKeys } from '../playback/signing-keys.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { buildServer } from './server.js';
import { signingExamples } from './signing-examples.js';

/**
 * docs/api.md ("Securing playback") prints the minting examples a signed camera's links carry and
 * documents every route of signed playback's API: neither may drift from the code.
 */
describe('docs/api.md on signed playback', () => {
  let text: string;
  beforeAll(async () => {
    text = await readFile(join(repoRoot, 'docs/api.md'), 'utf8');
  });

  it('has a "Securing playback" section', () => {
    expect(text).toMatch(/^## Securing playback$/m);
  });

  it('prints the Node and Python examples exactly as the API returns them, as fenced code blocks', () => {
    const { node, python } = signingExamples('front-door', 'https://cams.example.com/');
    // Each example ends with a newline: the fence closes on the next line.
    expect(text).toContain(`\n\`\`\`js\n${node}\`\`\`\n`);
    expect(text).toContain(`\n\`\`\`python\n${python}\`\`\`\n`);
  });

  describe('every /v1 route of signed playback', () => {
    let dir: string;
    const routes: string[] = [];
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'camgate-playback-docs-'));
      const cameras = await CameraManager.open({ store: await FileCameraStore.open(dir) });
      const keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
      const app = buildServer({
        logger: pino({ level: 'silent' }),
        cameras,
        apiKey: 'docs-key-0123456789-abcdefghij-KLMNOPQRS',
        playback: { keys, tokens: new PlaybackTokens(keys) },
      });
      // The routes as the gateway registers them: tagged `playback` in the OpenAPI document.
      app.addHook('onRoute', (route) => {
        const tags = (route.schema as { tags?: string[] } | undefined)?.tags ?? [];
        if (!tags.includes('playback')) return;
        for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
      });
      await app.ready();
      await app.close();
      await cameras.close();
      await keys.close();
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('is found in the gateway (the check below is not empty)', () => {
      expect(routes).toEqual(
        expect.arrayContaining([
          'POST /v1/signing-keys',
          'GET /v1/signing-keys',
          'GET /v1/signing-keys/:id',
          'DELETE /v1/signing-keys/:id',
          'POST /v1/cameras/:id/playback-tokens',
        ]),
      );
    });

    it('is in the API reference, written as the docs write paths (`<id>`)', () => {
      const missing = routes
        .map((route) => route.replace(/:(\w+)/g, '<$1>'))
        .filter((route) => !text.includes(`\`${route}\``));
      expect(missing).toEqual([]);
    });
  });
});
