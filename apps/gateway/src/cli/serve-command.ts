import { access, constants, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { configFromEnv, configFromFile, resolveConfig, type ConfigInput } from '../config.js';
import { errors } from '../errors.js';
import { createAddressPolicy } from '../cameras/address-policy.js';
import { CameraManager, type RecordingsAvailability } from '../cameras/camera-manager.js';
import { PostgresRecordingIndex } from '../recording/postgres-recording-index.js';
import { Recordings } from '../recording/recordings.js';
import { startDemoCamera } from '../cameras/demo-camera.js';
import { buildServer, closeAllConnections } from '../http/server.js';
import { loadTlsFiles } from '../http/tls.js';
import { FileCameraStore } from '../store/file-camera-store.js';
import { ClusterNode } from '../cluster/cluster-node.js';
import type { CameraStore } from '../store/camera-store.js';
import { PostgresCameraStore } from '../store/postgres-camera-store.js';
import { PostgresDatabase } from '../store/postgres-database.js';
import { runMigrations } from '../store/postgres-migrations.js';
import { SecretBox } from '../store/secret-box.js';
import type { GatewayConfig } from '../config.js';
import { PlaybackTokens } from '../playback/playback-tokens.js';
import { FileSigningKeyStore } from '../playback/signing-key-store.js';
import { SigningKeys } from '../playback/signing-keys.js';
import { PostgresSigningKeyStore } from '../playback/postgres-signing-key-store.js';
import { createLogger } from '../logger.js';
import { FfmpegBinary } from '../ffmpeg/ffmpeg-binary.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
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
                           tlsKey, databaseUrl, secretKey, secretKeyPrevious, nodeId, nodeUrl,
                           nodeCapacity, readBatchMs, recordingsDir, recordingsMaxBytes
                           (env CAMGATE_CONFIG)
  -h, --help               show this help

Environment only: CAMGATE_API_KEY (the REST API then needs Authorization: Bearer <key>; at least
32 random characters: make one with 'camgate keygen'; needed to serve beyond localhost; new cameras
then play only with a signed token unless made public, and /docs and /metrics need the key too),
CAMGATE_METRICS_TOKEN (a token for /metrics only, e.g. for Prometheus; same rules as the key),
CAMGATE_CORS_ORIGINS (* or a comma-separated list of origins that may fetch streams),
CAMGATE_CAMERA_ALLOWLIST (CIDRs or address:port allowed although loopback or link-local),
CAMGATE_PART_DURATION_MS (200), CAMGATE_SEGMENT_DURATION_MS (2000),
CAMGATE_READ_BATCH_MS (0: camera sockets are read as data arrives; 1-100: read together at most
this often between LL-HLS parts),
CAMGATE_ON_DEMAND_IDLE_MS (60000: on-demand cameras stop pulling this long after the last viewer),
CAMGATE_TRUST_PROXY (reverse proxies whose X-Forwarded-For is believed: addresses or CIDRs),
CAMGATE_LOG_FORMAT (json or pretty; default pretty on a terminal, else one JSON object per line),
CAMGATE_SECRET_KEY (encrypts camera credentials at rest; make one with 'camgate keygen --secret'),
CAMGATE_SECRET_KEY_PREVIOUS (older keys, comma-separated, still read while values are sealed again),
CAMGATE_RECORDINGS_DIR (where cameras with recording on record; default <dataDir>/recordings),
CAMGATE_RECORDINGS_MAX_BYTES (the budget of all recordings, e.g. 500G; oldest deleted first; 0: none).

Several nodes (docs/deploy.md): CAMGATE_DATABASE_URL (postgres://...: cameras, signing keys and
leases in PostgreSQL instead of the data directory; needs CAMGATE_SECRET_KEY, the same on every
node), CAMGATE_NODE_ID (default: host name and port), CAMGATE_NODE_URL (how the other nodes reach
this one; default http://<host name>:<port>), CAMGATE_NODE_CAPACITY (most cameras this node pulls).

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
  // What start-up opened, closed again if a later step fails: a process that could not start exits.
  const opened: Array<() => Promise<unknown>> = [];
  let resources;
  try {
    resources = await openResources(config, logger, opened);
  } catch (err) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw err;
  }
  const { database, cluster, keys, tokens, cameras, demo } = resources;
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
    snapshots: new SnapshotService({ ffmpeg: resources.ffmpeg }),
    ...(cluster === undefined
      ? {}
      : {
          cluster: {
            get ready() {
              return cluster.ready;
            },
            serveRemote: (request, reply, id, options) => cluster.serveRemote(request, reply, id, options),
            serveRecording: (request, reply, id, node) => cluster.serveRecording(request, reply, id, node),
            metrics: () => ({ ready: cluster.ready, ...cluster.keeper.stats() }),
          },
        }),
  });
  try {
    await app.listen({ host: config.host, port: config.port });
    await cluster?.start();
    await new Promise<void>((resolve) => {
      if (io.stop.aborted) resolve();
      else io.stop.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info('shutting down');
  } finally {
    // Stop taking requests, then end the cameras: their streams release every held LL-HLS request
    // at once (they would otherwise wait up to 3 target durations), and the store is flushed. A
    // cluster node hands its cameras over first (their leases released with the streams' positions).
    const closingHttp = app.close();
    const deadline = setTimeout(() => {
      logger.warn('shutdown is slow: closing the remaining connections');
      closeAllConnections(app);
    }, SHUTDOWN_GRACE_MS);
    try {
      await cluster?.stop();
      await cameras.close();
      // After the cameras: their recorders wrote what they had as they stopped.
      await cameras.recordings?.close();
      await keys.close();
      await demo?.close();
      await closingHttp;
      await database?.end();
    } finally {
      clearTimeout(deadline);
    }
  }
  return 0;
}

/** The stores, keys, cameras and cluster membership of `serve`; each pushes its closer on `opened`. */
async function openResources(
  config: GatewayConfig,
  logger: ReturnType<typeof createLogger>,
  opened: Array<() => Promise<unknown>>,
) {
  const secrets = SecretBox.fromSettings(config.secretKey, config.secretKeyPrevious);
  const clustered = config.databaseUrl !== '';
  const database = clustered ? PostgresDatabase.fromUrl(config.databaseUrl) : undefined;
  if (database !== undefined) opened.push(() => database.end());
  let store: CameraStore;
  let cluster: ClusterNode | undefined;
  if (database !== undefined) {
    const node = clusterNode(config, config.tlsCert !== '');
    const migrated = await runMigrations(database, logger);
    if (migrated.applied.length > 0)
      logger.info({ migrations: migrated.applied }, 'database schema brought up to date');
    store = await PostgresCameraStore.open({ database, secrets, logger });
    const registry = store;
    opened.push(() => registry.close());
    cluster = new ClusterNode({
      database,
      databaseUrl: config.databaseUrl,
      nodeId: node.id,
      nodeUrl: node.url,
      capacity: config.nodeCapacity,
      logger: logger.child({ node: node.id }),
    });
  } else {
    store = await FileCameraStore.open(config.dataDir, secrets === undefined ? {} : { secrets });
    const registry = store;
    opened.push(() => registry.close());
  }
  // Every node of a cluster verifies tokens with the same keys, and a key deleted on one is refused by all.
  const keyStore =
    database === undefined
      ? await FileSigningKeyStore.open(config.dataDir, secrets === undefined ? {} : { secrets })
      : await PostgresSigningKeyStore.open({ database, secrets, logger });
  opened.push(() => keyStore.close());
  const keys = await SigningKeys.open(keyStore);
  opened.push(() => keys.close());
  const tokens = new PlaybackTokens(keys);
  const addressPolicy = createAddressPolicy({ allow: config.cameraAllowlist });
  // One lookup of ffmpeg for the registry's check and every camera's transcoder.
  const ffmpeg = new FfmpegBinary(config.ffmpegPath);
  const transcode = {
    ffmpeg,
    encoder: config.transcodeEncoder,
    hwaccel: config.transcodeHwaccel,
    device: config.transcodeDevice,
  };
  const cameras = await CameraManager.open({
    store,
    ffmpeg,
    // A gateway with an API key serves a network: its cameras play only with a token unless made public.
    defaultPlayback: config.apiKey === '' ? 'public' : 'signed',
    pipeline: (id) => ({
      hls: { partDurationMs: config.partDurationMs, segmentDurationMs: config.segmentDurationMs },
      logger: logger.child({ camera: id }),
      session: { beforeConnect: addressPolicy, readBatchMs: config.readBatchMs },
      onDemandIdleMs: config.onDemandIdleMs,
      transcode,
    }),
    ...(cluster === undefined ? {} : { cluster }),
  });
  opened.push(() => cameras.close());
  cameras.useRecordings(await openRecordings(config, logger, opened, database, cluster));
  // The demo camera is this process's own simulated camera on loopback: other nodes cannot pull it.
  if (clustered && config.demo) logger.info({}, 'no demo camera on a cluster node (it would be on one machine only)');
  const demo = config.demo && !clustered ? await startDemoCamera(cameras, logger, addressPolicy) : undefined;
  return { database, cluster, keys, tokens, cameras, demo, ffmpeg };
}

/**
 * The recordings directory, or why recording is unavailable (no SQLite module, a directory that
 * cannot be written): the gateway runs without recording then, and cameras that record say why.
 */
async function openRecordings(
  config: GatewayConfig,
  logger: ReturnType<typeof createLogger>,
  opened: Array<() => Promise<unknown>>,
  database: PostgresDatabase | undefined,
  cluster: ClusterNode | undefined,
): Promise<RecordingsAvailability> {
  try {
    const recordings = await Recordings.open({
      dir: config.recordingsDir,
      ...(config.recordingsMaxBytes > 0 ? { maxBytes: config.recordingsMaxBytes } : {}),
      logger: logger.child({ component: 'recordings' }),
      // A cluster's index is the shared database's: every node lists and plays every camera's
      // history, and each segment's row is fenced by the lease its node holds.
      ...(database === undefined || cluster === undefined
        ? {}
        : {
            index: new PostgresRecordingIndex(database, cluster.nodeId),
            leaseEpochOf: (camera: string) => cluster.keeper.epochOf(camera),
          }),
    });
    opened.push(() => recordings.close());
    return { recordings };
  } catch (err) {
    const reason = (err as Error).message;
    logger.warn({ code: (err as { code?: string }).code }, reason);
    return { unavailable: reason, since: Date.now() };
  }
}

/**
 * This node's name and the URL other nodes forward its viewers to: CAMGATE_NODE_ID and
 * CAMGATE_NODE_URL, by default the host name and the port (a loopback or named interface's
 * address when the gateway listens on one).
 */
export function clusterNode(config: GatewayConfig, https: boolean): { id: string; url: string } {
  if (config.port === 0 && (config.nodeId === '' || config.nodeUrl === '')) {
    throw errors.invalidConfig(
      'port',
      'a cluster node needs a fixed port (other nodes reach it there), or both CAMGATE_NODE_ID and CAMGATE_NODE_URL',
    );
  }
  const listening = config.host.replace(/^\[|\]$/g, '');
  const reachableAs = ['0.0.0.0', '::', ''].includes(listening)
    ? hostname()
    : listening === 'localhost'
      ? '127.0.0.1'
      : listening;
  const host = reachableAs.includes(':') ? `[${reachableAs}]` : reachableAs;
  return {
    id: config.nodeId === '' ? `${hostname()}:${config.port}` : config.nodeId,
    url: config.nodeUrl === '' ? `${https ? 'https' : 'http'}://${host}:${config.port}` : config.nodeUrl,
  };
}

/** 4 s for requests in flight to finish: the process exits within 5 s of SIGTERM. */
const SHUTDOWN_GRACE_MS = 4_000;
