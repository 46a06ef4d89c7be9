import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, configFromEnv, configFromFile, resolveConfig } from './config.js';
import { GatewayErrorCode } from './errors.js';

/** A key as `camgate keygen` makes them. */
const KEY = 'Xq3v9LrT0pWm2ZbN7cYhK4sD8fGj1aEu6iOw5yRtQnM';

function tempFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'camgate-config-')), 'camgate.json');
  writeFileSync(path, content);
  return path;
}

describe('gateway configuration', () => {
  it('defaults to localhost:8080 and ./data', () => {
    expect(resolveConfig()).toEqual({
      ...DEFAULT_CONFIG,
      dataDir: resolve('./data'),
      recordingsDir: resolve('./data/recordings'),
      cameraAllowlist: [],
      trustProxy: [],
    });
  });

  it('applies file < environment < flags', () => {
    const file = configFromFile(tempFile('{"port": 9000, "host": "0.0.0.0", "logLevel": "debug"}'));
    const env = configFromEnv({
      CAMGATE_PORT: '9100',
      CAMGATE_HOST: '',
      CAMGATE_DATA_DIR: '/var/lib/camgate',
      CAMGATE_API_KEY: KEY,
      CAMGATE_PUBLIC_URL: 'https://cams.example.com/site',
      CAMGATE_PART_DURATION_MS: '300',
      CAMGATE_READ_BATCH_MS: '0',
      CAMGATE_CORS_ORIGINS: 'https://a.example, http://localhost:3000',
      CAMGATE_CAMERA_ALLOWLIST: '127.0.0.0/8, [::1]/128, 127.0.0.1:8554',
      CAMGATE_RECORDINGS_MAX_BYTES: '500G',
    });
    const flags = { port: '9200', demo: false };
    expect(resolveConfig(file, env, flags)).toEqual({
      host: '0.0.0.0', // the empty CAMGATE_HOST is ignored
      port: 9200,
      dataDir: '/var/lib/camgate',
      logLevel: 'debug',
      demo: false,
      apiKey: KEY,
      metricsToken: '',
      publicUrl: 'https://cams.example.com/site/',
      corsOrigins: ['https://a.example', 'http://localhost:3000'],
      cameraAllowlist: ['127.0.0.0/8', '::1/128', '127.0.0.1:8554'],
      partDurationMs: 300,
      segmentDurationMs: 2000,
      readBatchMs: 0,
      trustProxy: [],
      onDemandIdleMs: 60_000,
      tlsCert: '',
      tlsKey: '',
      databaseUrl: '',
      secretKey: '',
      secretKeyPrevious: '',
      nodeId: '',
      nodeUrl: '',
      nodeCapacity: 10_000,
      ffmpegPath: 'ffmpeg',
      transcodeEncoder: 'libx264',
      transcodeHwaccel: 'none',
      transcodeDevice: '',
      recordingsDir: '/var/lib/camgate/recordings',
      recordingsMaxBytes: 500 * 2 ** 30,
    });
  });

  it.for<[string, number | undefined]>([
    ['0', 0],
    ['1048576', 1_048_576],
    ['500G', 500 * 2 ** 30],
    ['2TiB', 2 * 2 ** 40],
    ['64 MB', 64 * 2 ** 20],
    ['12k', 12 * 1024],
    ['-1', undefined],
    ['1.5G', undefined],
    ['lots', undefined],
    ['99999999999T', undefined],
  ])('recordingsMaxBytes %s', ([text, bytes]) => {
    if (bytes === undefined) {
      expect(() => resolveConfig({ recordingsMaxBytes: text })).toThrow(
        expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG }),
      );
    } else expect(resolveConfig({ recordingsMaxBytes: text }).recordingsMaxBytes).toBe(bytes);
  });

  it('recordingsDir: relative to the data directory, or where it says', () => {
    expect(resolveConfig({ dataDir: '/srv/camgate', recordingsDir: 'rec' }).recordingsDir).toBe('/srv/camgate/rec');
    expect(resolveConfig({ recordingsDir: '/mnt/nvr' }).recordingsDir).toBe('/mnt/nvr');
  });

  it('HTTPS: the certificate and key paths together, resolved; one without the other names the missing one', () => {
    const env = configFromEnv({ CAMGATE_TLS_CERT: 'certs/gateway.crt', CAMGATE_TLS_KEY: '/etc/camgate/gateway.key' });
    expect(resolveConfig(env)).toMatchObject({
      tlsCert: resolve('certs/gateway.crt'),
      tlsKey: '/etc/camgate/gateway.key',
    });
    expect(() => resolveConfig({ tlsCert: 'a.crt' })).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG, message: expect.stringContaining('tlsKey') }),
    );
    expect(() => resolveConfig({ tlsKey: 'a.key' })).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG, message: expect.stringContaining('tlsCert') }),
    );
  });

  it.each([
    ['port', { port: 'http' }],
    ['port', { port: 70_000 }],
    ['port', { port: '8080x' }],
    ['host', { host: 'user@host' }],
    ['logLevel', { logLevel: 'verbose' }],
    ['demo', { demo: 'maybe' }],
    ['corsOrigins', { corsOrigins: 'https://a.example/path' }],
    ['cameraAllowlist', { cameraAllowlist: 'localhost' }],
    ['trustProxy', { trustProxy: 'proxy.local' }],
    ['cameraAllowlist', { cameraAllowlist: '10.0.0.0/40' }],
    ['partDurationMs', { partDurationMs: '50' }],
    ['segmentDurationMs', { segmentDurationMs: '1.5' }],
    ['readBatchMs', { readBatchMs: '101' }],
    ['readBatchMs', { readBatchMs: -1 }],
    ['readBatchMs', { readBatchMs: '20ms' }],
    ['apiKey', { apiKey: 'short-key' }],
    ['apiKey', { apiKey: 'a'.repeat(64) }],
    ['apiKey', { apiKey: `${KEY} with spaces` }],
    ['metricsToken', { metricsToken: 'short-token' }],
    ['metricsToken', { metricsToken: 'b'.repeat(40) }],
    ['publicUrl', { publicUrl: 'cams.example.com' }],
    ['publicUrl', { publicUrl: 'ftp://cams.example.com/' }],
    ['publicUrl', { publicUrl: 'https://cams.example.com/?x=1' }],
    ['publicUrl', { publicUrl: 'https://user:pw@cams.example.com/' }],
    ['databaseUrl', { databaseUrl: 'mysql://db/camgate', secretKey: 'k' }],
    ['databaseUrl', { databaseUrl: 'postgres:///camgate', secretKey: 'k' }],
    ['secretKey', { databaseUrl: 'postgres://db.example.com/camgate' }],
    ['nodeId', { nodeId: 'node one' }],
    ['nodeUrl', { nodeUrl: 'ftp://10.0.0.5' }],
    ['nodeUrl', { nodeUrl: 'http://10.0.0.5:8080/?x' }],
    ['nodeCapacity', { nodeCapacity: '-1' }],
    ['nodeCapacity', { nodeCapacity: 10_001 }],
  ])('names the invalid field (%s) with CAMGATE_ERR_INVALID_CONFIG', (field, input) => {
    expect(() => resolveConfig(input)).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG, message: expect.stringContaining(field) }),
    );
  });

  it.each([
    ['an unknown key (a typo)', '{"prot": 1}'],
    ['invalid JSON', '{port: 1}'],
    ['a JSON array', '[1]'],
    ['a nested value', '{"port": {"value": 1}}'],
  ])('rejects a config file with %s', (_name, content) => {
    expect(() => configFromFile(tempFile(content))).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG }),
    );
  });

  it('never quotes a database URL it refuses (it may hold a password)', () => {
    expect(() => resolveConfig({ databaseUrl: 'mysql://camgate:hunter2-pw@db/camgate' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2-pw') }),
    );
  });

  it('takes the cluster settings from the environment', () => {
    const config = resolveConfig(
      configFromEnv({
        CAMGATE_DATABASE_URL: 'postgres://camgate:pw@db.example.com:5432/camgate',
        CAMGATE_SECRET_KEY: 'k'.repeat(43),
        CAMGATE_NODE_ID: 'node-1',
        CAMGATE_NODE_URL: 'http://10.0.0.11:8080/',
        CAMGATE_NODE_CAPACITY: '200',
      }),
    );
    expect(config).toMatchObject({
      databaseUrl: 'postgres://camgate:pw@db.example.com:5432/camgate',
      nodeId: 'node-1',
      nodeUrl: 'http://10.0.0.11:8080',
      nodeCapacity: 200,
    });
  });

  it('rejects a missing config file', () => {
    expect(() => configFromFile('/nonexistent/camgate.json')).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.INVALID_CONFIG, message: expect.stringContaining('ENOENT') }),
    );
  });

  it.each(['0.0.0.0', '::', '192.168.1.5', 'gateway.lan'])(
    'refuses to serve %s without an API key, saying how to fix it',
    (host) => {
      expect(() => resolveConfig({ host })).toThrow(
        expect.objectContaining({
          code: GatewayErrorCode.INVALID_CONFIG,
          message: expect.stringMatching(/CAMGATE_API_KEY.*camgate keygen/),
        }),
      );
      expect(resolveConfig({ host, apiKey: KEY }).host).toBe(host);
    },
  );

  it.each(['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])(
    'serves %s (this machine only) without a key',
    (host) => {
      expect(resolveConfig({ host }).apiKey).toBe('');
    },
  );
});
