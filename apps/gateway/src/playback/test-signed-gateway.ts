import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CamsimServer } from '@camgate/camsim';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { createAddressPolicy } from '../cameras/address-policy.js';
import { CameraManager } from '../cameras/camera-manager.js';
import { buildServer } from '../http/server.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import type { PlaybackPolicy } from '../store/camera-store.js';
import { PlaybackTokens } from './playback-tokens.js';
import { FileSigningKeyStore } from './signing-key-store.js';
import { SigningKeys } from './signing-keys.js';

/** 40 characters, 10+ distinct: a valid API key for tests. */
export const TEST_API_KEY = 'test-key-0123456789-abcdefghij-KLMNOPQRS';

export interface SignedGatewayOptions {
  /** Default: TEST_API_KEY (cameras are then signed by default). `''`: no key. */
  apiKey?: string;
  metricsToken?: string;
  /** Log lines go here (default: silent). */
  logger?: Logger;
  /** The clock the tokens are checked with (ms since the epoch). */
  now?: () => number;
}

/**
 * A gateway as `camgate serve` builds it, with signed playback, listening on a free local port, and
 * the simulated camera to add cameras from. Tests only.
 */
export class SignedGateway {
  private constructor(
    readonly origin: string,
    readonly app: FastifyInstance,
    readonly cameras: CameraManager,
    readonly keys: SigningKeys,
    readonly tokens: PlaybackTokens,
    readonly camsim: CamsimServer,
    readonly apiKey: string,
    private readonly dir: string,
  ) {}

  static async start(options: SignedGatewayOptions = {}): Promise<SignedGateway> {
    const apiKey = options.apiKey ?? TEST_API_KEY;
    const dir = await mkdtemp(join(tmpdir(), 'camgate-signed-'));
    const camsim = await CamsimServer.start();
    const policy = createAddressPolicy({ allow: ['127.0.0.0/8'] });
    const cameras = await CameraManager.open({
      store: await FileCameraStore.open(dir),
      pipeline: () => ({ hls: { segmentDurationMs: 1000 }, session: { beforeConnect: policy } }),
      defaultPlayback: apiKey === '' ? 'public' : 'signed',
    });
    const keys = await SigningKeys.open(await FileSigningKeyStore.open(dir));
    const tokens = new PlaybackTokens(keys, options.now);
    const app = buildServer({
      logger: options.logger ?? pino({ level: 'silent' }),
      cameras,
      apiKey,
      metricsToken: options.metricsToken,
      playback: { keys, tokens },
    });
    const origin = await app.listen({ host: '127.0.0.1', port: 0 });
    return new SignedGateway(origin, app, cameras, keys, tokens, camsim, apiKey, dir);
  }

  /** The data directory: cameras.json and signing-keys.json. */
  get dataDir(): string {
    return this.dir;
  }

  /** A request to the API with the key. */
  api(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.apiKey !== '') headers['authorization'] = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${this.origin}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** Adds a camera streaming the simulated camera's `path` (H.264 + AAC by default). */
  async addCamera(id: string, playback?: PlaybackPolicy, path = '/h264-aac'): Promise<void> {
    const response = await this.api('POST', '/v1/cameras', {
      id,
      name: id,
      url: this.camsim.url(path),
      allowDuplicateSource: true,
      ...(playback === undefined ? {} : { playback }),
    });
    if (response.status !== 201) throw new Error(`adding ${id}: ${response.status} ${await response.text()}`);
  }

  /** A token minted by the gateway for camera `id`. */
  async mint(id: string, ttlSeconds = 600): Promise<{ token: string; playlist: string; embed: string }> {
    const response = await this.api('POST', `/v1/cameras/${id}/playback-tokens`, { ttlSeconds });
    if (response.status !== 201) throw new Error(`minting for ${id}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { token: string; playlist: string; embed: string };
  }

  /** A new signing key pair through the API: its id and PKCS#8 private key. */
  async createKey(algorithm: 'ES256' | 'RS256' = 'ES256'): Promise<{ id: string; privateKey: string }> {
    const response = await this.api('POST', '/v1/signing-keys', { algorithm, name: `test ${algorithm}` });
    if (response.status !== 201) throw new Error(`creating a key: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string; privateKey: string };
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.cameras.close();
    await this.keys.close();
    await this.camsim.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * A new temporary directory where a Node script (ESM) can `import ... from 'jose'`, as on an
 * embedding site's backend: its node_modules/jose is the gateway's own copy. Tests only; the
 * caller removes it.
 */
export async function scriptDirWithJose(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'camgate-signer-'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(
    fileURLToPath(new URL('../../node_modules/jose', import.meta.url)),
    join(dir, 'node_modules', 'jose'),
    'dir',
  );
  return dir;
}
