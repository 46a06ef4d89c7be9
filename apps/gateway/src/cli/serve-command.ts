import { access, constants, mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { configFromEnv, configFromFile, resolveConfig, type ConfigInput } from '../config.js';
import { errors } from '../errors.js';
import { createAddressPolicy } from '../cameras/address-policy.js';
import { CameraManager } from '../cameras/camera-manager.js';
import { startDemoCamera } from '../cameras/demo-camera.js';
import { buildServer, closeAllConnections } from '../http/server.js';
import { loadTlsFiles } from '../http/tls.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { PlaybackTokens } from '../playback/playback-tokens.js';
import { FileSigningKeyStore } from '../playback/signing-key-store.js';
import { SigningKeys } from '../playback/signing-keys.js';
import { createLogger } from '../logger.js';
import type { CliIo } from './io.js';

export const SERVE_USAGE = `Usage: camgate serve [options]

Runs the gateway's HTTP server.

Options:
  -p, --port <port>        HTTP port; 0 picks a free one   (default 8080, env CAMGATE_PORT)
      --host <host>        interface to listen on         (default localhost, env CAMGATE_HOST);
                           any other than localhost needs CAMGATE_API_KEY
      --data-dir <dir>     state directory                (default ./data, env CAMGATE_DATA_DIR)
      --log-level <level>  fatal, error, warn, info, debug, trace or silent
                                                          (default info, env CAMGATE_LOG_LEVEL)
      --no-demo            do not add the built-in demo camera to an empty registry
                                                          (env CAMGATE_DEMO=false)
      --tls-cert <file>    PEM certificate chain and private key: serve HTTPS with HTTP/2
      --tls-key <file>     (env CAMGATE_TLS_CERT, CAMGATE_TLS_KEY; default plain HTTP)
      --public-url <url>   the URL viewers reach the gateway at, for links and embed snippets
                           (https://cams.example.com/; env CAMGATE_PUBLIC_URL; default: the
                           scheme and host of each API request)
      --config <file>      JSON file with any setting by its name: port, host, dataDir,
                           logLevel, demo, apiKey, metricsToken, publicUrl, corsOrigins, cameraAllowlist,
                           trustProxy, onDemandIdleMs, partDurationMs, segmentDurationMs, tlsCert,
                           tlsKey
                           (env CAMGATE_CONFIG)
  -h, --help               show this help

Environment only: CAMGATE_API_KEY (the REST API then needs Authorization: Bearer <key>; at least
32 random characters: make one with 'camgate keygen'; needed to serve beyond localhost; new cameras
then play only with a signed token unless made public, and /docs and /metrics need the key too),
CAMGATE_METRICS_TOKEN (a token for /metrics only, e.g. for Prometheus; same rules as the key),
CAMGATE_CORS_ORIGINS (* or a comma-separated list of origins that may fetch streams),
CAMGATE_CAMERA_ALLOWLIST (CIDRs or address:port allowed although loopback or link-local),
CAMGATE_PART_DURATION_MS (200), CAMGATE_SEGMENT_DURATION_MS (2000),
CAMGATE_ON_DEMAND_IDLE_MS (60000: on-demand cameras stop pulling this long after the last viewer),
CAMGATE_TRUST_PROXY (reverse proxies whose X-Forwarded-For is believed: addresses or CIDRs),
CAMGATE_LOG_FORMAT (json or pretty; default pretty on a terminal, else one JSON object per line).

Precedence: command-line flags, then environment, then config file, then defaults.
`;

/** Parses `serve` flags into config settings. */
export function parseServeArgs(args: string[]): { input: ConfigInput; configFile: string | undefined; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        config: { type: 'string' },
        'no-demo': { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'public-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw errors.usage(`${(err as Error).message}\n\n${SERVE_USAGE}`);
  }
  const input: ConfigInput = {};
  if (values.port !== undefined) input.port = values.port;
  if (values.host !== undefined) input.host = values.host;
  if (values['data-dir'] !== undefined) input.dataDir = values['data-dir'];
  if (values['log-level'] !== undefined) input.logLevel = values['log-level'];
  if (values['no-demo'] === true) input.demo = false;
  if (values['tls-cert'] !== undefined) input.tlsCert = values['tls-cert'];
  if (values['tls-key'] !== undefined) input.tlsKey = values['tls-key'];
  if (values['public-url'] !== undefined) input.publicUrl = values['public-url'];
  return { input, configFile: values.config, help: values.help === true };
}

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { input, configFile, help } = parseServeArgs(args);
  if (help) {
    io.stdout.write(SERVE_USAGE);
    return 0;
  }
  const file = configFile ?? io.env['CAMGATE_CONFIG'];
  const config = resolveConfig(file === undefined ? {} : configFromFile(file), configFromEnv(io.env), input);

  await mkdir(config.dataDir, { recursive: true });
  try {
    await access(config.dataDir, constants.W_OK);
  } catch {
    throw errors.invalidConfig('dataDir', `${config.dataDir} is not writable`);
  }

  const tls = config.tlsCert === '' ? undefined : loadTlsFiles(config.tlsCert, config.tlsKey);
  const logger = createLogger(config.logLevel, undefined, { env: io.env });
  const store = await FileCameraStore.open(config.dataDir);
  const keys = await SigningKeys.open(await FileSigningKeyStore.open(config.dataDir));
  const tokens = new PlaybackTokens(keys);
  const addressPolicy = createAddressPolicy({ allow: config.cameraAllowlist });
  const cameras = await CameraManager.open({
    store,
    // A gateway with an API key serves a network: its cameras play only with a token unless made public.
    defaultPlayback: config.apiKey === '' ? 'public' : 'signed',
    pipeline: (id) => ({
      hls: { partDurationMs: config.partDurationMs, segmentDurationMs: config.segmentDurationMs },
      logger: logger.child({ camera: id }),
      session: { beforeConnect: addressPolicy },
      onDemandIdleMs: config.onDemandIdleMs,
    }),
  });
  const demo = config.demo ? await startDemoCamera(cameras, logger, addressPolicy) : undefined;
  const app = buildServer({
    logger,
    cameras,
    apiKey: config.apiKey,
    metricsToken: config.metricsToken,
    playback: { keys, tokens },
    publicUrl: config.publicUrl,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    ...(tls === undefined ? {} : { tls }),
  });
  try {
    await app.listen({ host: config.host, port: config.port });
    await new Promise<void>((resolve) => {
      if (io.stop.aborted) resolve();
      else io.stop.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info('shutting down');
  } finally {
    // Stop taking requests, then end the cameras: their streams release every held LL-HLS request
    // at once (they would otherwise wait up to 3 target durations), and the store is flushed.
    const closingHttp = app.close();
    const deadline = setTimeout(() => {
      logger.warn('shutdown is slow: closing the remaining connections');
      closeAllConnections(app);
    }, SHUTDOWN_GRACE_MS);
    try {
      await cameras.close();
      await keys.close();
      await demo?.close();
      await closingHttp;
    } finally {
      clearTimeout(deadline);
    }
  }
  return 0;
}

/** 4 s for requests in flight to finish: the process exits within 5 s of SIGTERM. */
const SHUTDOWN_GRACE_MS = 4_000;
