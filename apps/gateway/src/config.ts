import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { errors } from './errors.js';
import {
  TRANSCODE_ENCODERS,
  TRANSCODE_HWACCELS,
  type TranscodeEncoder,
  type TranscodeHwaccel,
} from './transcode/transcode-args.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface GatewayConfig {
  /** Interface to listen on. `localhost` (the default) serves this machine only. */
  host: string;
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** Where camgate keeps its state (camera registry). */
  dataDir: string;
  logLevel: LogLevel;
  /** With an empty camera registry, add the built-in simulated camera so a first run shows video. */
  demo: boolean;
  /**
   * When set, the REST API (`/v1`) needs `Authorization: Bearer <apiKey>`. Empty: open, which is
   * allowed only on a loopback host. At least {@link MIN_API_KEY_LENGTH} characters.
   */
  apiKey: string;
  /**
   * When set, `/metrics` needs `Authorization: Bearer <metricsToken>` (the API key works too). With
   * neither set, `/metrics` is open; with only an API key, it needs the API key. Same rules as the key.
   */
  metricsToken: string;
  /**
   * The absolute URL viewers reach the gateway at (`https://cams.example.com/`, with a reverse
   * proxy's path prefix if any). Camera links and embed snippets are built on it; empty: on the
   * scheme and host of each API request.
   */
  publicUrl: string;
  /** Origins whose pages may fetch streams (CORS): `*` or a list. */
  corsOrigins: '*' | string[];
  /**
   * Camera addresses allowed although they are loopback, link-local or reserved: CIDRs
   * (`127.0.0.0/8`) or `address:port` endpoints.
   */
  cameraAllowlist: string[];
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs): client addresses for
   * rate limits and viewer counts then come from it. Empty: the socket's address, always.
   */
  trustProxy: string[];
  /** On-demand cameras stop pulling after this long without viewers (ms). */
  onDemandIdleMs: number;
  /** LL-HLS part duration (ms). */
  partDurationMs: number;
  /** LL-HLS segment duration (ms); the target duration is the larger of this and the first GOP. */
  segmentDurationMs: number;
  /**
   * Read batching for cameras over RTSP/TCP (ms, 0 to {@link MAX_READ_BATCH_MS}): between the end
   * of one LL-HLS part and shortly before the frame that ends the next is due, a camera's socket is
   * read every this many ms, on one timer for all cameras, instead of whenever data arrives. 100 (the
   * default) took 13-19% less CPU than reading as data arrives at 10 and 50 cameras, measured in
   * pairs, parts published 3-6 ms after their last frame at p99 (docs/benchmarks.md, "A camera in
   * the gateway").
   * 0: read as data arrives. UDP cameras always read at once.
   */
  readBatchMs: number;
  /**
   * PEM certificate chain and private key files: with both, the gateway serves HTTPS with HTTP/2
   * (and HTTP/1.1 for older clients) instead of plain HTTP. Empty: plain HTTP.
   */
  tlsCert: string;
  tlsKey: string;
  /**
   * `postgres://user:password@host:5432/db`: the cameras, signing keys and leases live in this
   * PostgreSQL database, shared by every node (docs/deploy.md). Empty: the JSON files in dataDir,
   * one node. Never logged or shown: it may hold a password.
   */
  databaseUrl: string;
  /**
   * 32 random bytes (64 hex characters or base64): camera credentials are encrypted at rest with
   * it (AES-256-GCM). Required with a database; optional with the JSON files.
   */
  secretKey: string;
  /** Keys that sealed older values, comma-separated: read, and sealed again with secretKey at the next write. */
  secretKeyPrevious: string;
  /** This node's name in the cluster (default: host name and port). */
  nodeId: string;
  /** How the other nodes reach this one, for viewers they forward (default: http://<host name>:<port>). */
  nodeUrl: string;
  /** Most cameras this node pulls at once (default 10,000: no limit but the registry's). */
  nodeCapacity: number;
  /**
   * The ffmpeg binary for snapshots and H.264 transcoding: a path, or a name looked up in PATH
   * (default `ffmpeg`). Live HLS never needs it; without it those two features answer 501.
   */
  ffmpegPath: string;
  /** The H.264 encoder of `transcode: "h264"`: libx264 (CPU, default), h264_vaapi, h264_nvenc or h264_qsv. */
  transcodeEncoder: TranscodeEncoder;
  /** Hardware decoding of the camera's video for transcoding: none (default), vaapi, cuda or qsv. */
  transcodeHwaccel: TranscodeHwaccel;
  /** The GPU for transcoding (a VAAPI render node such as /dev/dri/renderD128, or a CUDA/QSV device); empty: the default. */
  transcodeDevice: string;
  /** Where cameras with `recording.enabled` record (media, init segments and index.sqlite); empty: `<dataDir>/recordings`. */
  recordingsDir: string;
  /** The budget of all recordings, bytes (suffixes K, M, G, T: powers of 1024); 0: none, only each camera's retention. */
  recordingsMaxBytes: number;
}

/**
 * 100 ms of read batching at most: a camera's socket holds this much of its stream between reads
 * (250 KB at 20 Mbit/s, within what Linux's TCP receive buffer grows to, so the camera is not slowed
 * down by flow control), and it is no longer than the shortest part allowed (partDurationMs).
 */
export const MAX_READ_BATCH_MS = 100;

/** 10,000 cameras: the registry's own limit (MAX_CAMERAS), so the default is no limit of its own. */
export const MAX_NODE_CAPACITY = 10_000;

export const DEFAULT_CONFIG: Readonly<
  Omit<GatewayConfig, 'cameraAllowlist' | 'trustProxy'> & {
    corsOrigins: '*';
    cameraAllowlist: string;
    trustProxy: string;
  }
> = {
  host: 'localhost',
  port: 8080,
  dataDir: './data',
  logLevel: 'info',
  demo: true,
  apiKey: '',
  metricsToken: '',
  publicUrl: '',
  corsOrigins: '*' as const,
  cameraAllowlist: '',
  trustProxy: '',
  onDemandIdleMs: 60_000,
  partDurationMs: 200,
  segmentDurationMs: 2000,
  readBatchMs: 100,
  tlsCert: '',
  tlsKey: '',
  databaseUrl: '',
  secretKey: '',
  secretKeyPrevious: '',
  nodeId: '',
  nodeUrl: '',
  nodeCapacity: MAX_NODE_CAPACITY,
  ffmpegPath: 'ffmpeg',
  transcodeEncoder: 'libx264',
  transcodeHwaccel: 'none',
  transcodeDevice: '',
  recordingsDir: '',
  recordingsMaxBytes: 0,
};

/** Settings as strings or booleans, before validation, from one source. */
export type ConfigInput = Partial<Record<keyof GatewayConfig, string | number | boolean>>;

/** Environment variable for each setting. */
export const CONFIG_ENV: Record<keyof GatewayConfig, string> = {
  host: 'CAMGATE_HOST',
  port: 'CAMGATE_PORT',
  dataDir: 'CAMGATE_DATA_DIR',
  logLevel: 'CAMGATE_LOG_LEVEL',
  demo: 'CAMGATE_DEMO',
  apiKey: 'CAMGATE_API_KEY',
  metricsToken: 'CAMGATE_METRICS_TOKEN',
  publicUrl: 'CAMGATE_PUBLIC_URL',
  corsOrigins: 'CAMGATE_CORS_ORIGINS',
  cameraAllowlist: 'CAMGATE_CAMERA_ALLOWLIST',
  trustProxy: 'CAMGATE_TRUST_PROXY',
  onDemandIdleMs: 'CAMGATE_ON_DEMAND_IDLE_MS',
  partDurationMs: 'CAMGATE_PART_DURATION_MS',
  segmentDurationMs: 'CAMGATE_SEGMENT_DURATION_MS',
  readBatchMs: 'CAMGATE_READ_BATCH_MS',
  tlsCert: 'CAMGATE_TLS_CERT',
  tlsKey: 'CAMGATE_TLS_KEY',
  databaseUrl: 'CAMGATE_DATABASE_URL',
  secretKey: 'CAMGATE_SECRET_KEY',
  secretKeyPrevious: 'CAMGATE_SECRET_KEY_PREVIOUS',
  nodeId: 'CAMGATE_NODE_ID',
  nodeUrl: 'CAMGATE_NODE_URL',
  nodeCapacity: 'CAMGATE_NODE_CAPACITY',
  ffmpegPath: 'CAMGATE_FFMPEG',
  transcodeEncoder: 'CAMGATE_TRANSCODE_ENCODER',
  transcodeHwaccel: 'CAMGATE_TRANSCODE_HWACCEL',
  transcodeDevice: 'CAMGATE_TRANSCODE_DEVICE',
  recordingsDir: 'CAMGATE_RECORDINGS_DIR',
  recordingsMaxBytes: 'CAMGATE_RECORDINGS_MAX_BYTES',
};

const KEYS = Object.keys(DEFAULT_CONFIG) as Array<keyof GatewayConfig>;

/** 1 MiB: a config file is a few hundred bytes; refuse to read something that is not one. */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Settings from the environment (`CAMGATE_*`); unset and empty variables are ignored. */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const input: ConfigInput = {};
  for (const key of KEYS) {
    const value = env[CONFIG_ENV[key]];
    if (value !== undefined && value !== '') input[key] = value;
  }
  return input;
}

/** Settings from a JSON config file. Unknown keys are errors, so a typo is not silently ignored. */
export function configFromFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw errors.invalidConfig(
      'config file',
      `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (text.length > MAX_CONFIG_FILE_BYTES) throw errors.invalidConfig('config file', `${path} is larger than 1 MiB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw errors.invalidConfig('config file', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw errors.invalidConfig('config file', `${path} must hold a JSON object`);
  }
  const input: ConfigInput = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!KEYS.includes(key as keyof GatewayConfig)) {
      throw errors.invalidConfig(`"${key}"`, `is not a setting (known: ${KEYS.join(', ')})`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw errors.invalidConfig(`"${key}"`, 'must be a string, number or boolean');
    }
    input[key as keyof GatewayConfig] = value;
  }
  return input;
}

/**
 * Merges settings by precedence, lowest first: defaults, config file,
 * environment, command-line flags. Validates the result and names the
 * offending setting in every error.
 */
export function resolveConfig(...layers: ConfigInput[]): GatewayConfig {
  const merged: ConfigInput = { ...DEFAULT_CONFIG };
  for (const layer of layers) Object.assign(merged, layer);
  const tlsCert = String(merged.tlsCert ?? '').trim();
  const tlsKey = String(merged.tlsKey ?? '').trim();
  if ((tlsCert === '') !== (tlsKey === '')) {
    throw errors.invalidConfig(tlsCert === '' ? 'tlsCert' : 'tlsKey', 'HTTPS needs both tlsCert and tlsKey');
  }
  const host = parseHost(merged.host);
  const apiKey = parseApiKey(merged.apiKey);
  const metricsToken = parseApiKey(merged.metricsToken, 'metricsToken');
  if (apiKey === '' && !isLoopbackHost(host)) {
    throw errors.invalidConfig(
      'host',
      `"${host}" serves beyond this machine, and without an API key anyone who can reach it could add, change and delete cameras: set CAMGATE_API_KEY (make one with \`camgate keygen\`), or serve on localhost`,
    );
  }
  const databaseUrl = parseDatabaseUrl(merged.databaseUrl);
  const secretKey = String(merged.secretKey ?? '').trim();
  if (databaseUrl !== '' && secretKey === '') {
    throw errors.invalidConfig(
      'secretKey',
      'a database needs CAMGATE_SECRET_KEY to encrypt camera credentials at rest: make one with `camgate keygen --secret` and give every node the same one',
    );
  }
  return {
    host,
    port: parsePort(merged.port),
    dataDir: resolve(String(merged.dataDir)),
    logLevel: parseLogLevel(merged.logLevel),
    demo: parseBoolean('demo', merged.demo),
    apiKey,
    metricsToken,
    publicUrl: parsePublicUrl(merged.publicUrl),
    corsOrigins: parseOrigins(merged.corsOrigins),
    cameraAllowlist: parseAllowlist(merged.cameraAllowlist),
    trustProxy: parseProxies(merged.trustProxy),
    onDemandIdleMs: parseMs('onDemandIdleMs', merged.onDemandIdleMs, 1_000, 86_400_000),
    partDurationMs: parseMs('partDurationMs', merged.partDurationMs, 100, 2_000),
    segmentDurationMs: parseMs('segmentDurationMs', merged.segmentDurationMs, 1_000, 10_000),
    readBatchMs: parseMs('readBatchMs', merged.readBatchMs, 0, MAX_READ_BATCH_MS),
    tlsCert: tlsCert === '' ? '' : resolve(tlsCert),
    tlsKey: tlsKey === '' ? '' : resolve(tlsKey),
    databaseUrl,
    secretKey,
    secretKeyPrevious: String(merged.secretKeyPrevious ?? '').trim(),
    nodeId: parseNodeId(merged.nodeId),
    nodeUrl: parseNodeUrl(merged.nodeUrl),
    nodeCapacity: parseCount('nodeCapacity', merged.nodeCapacity, 0, MAX_NODE_CAPACITY),
    recordingsDir: resolve(String(merged.dataDir), String(merged.recordingsDir ?? '').trim() || 'recordings'),
    recordingsMaxBytes: parseBytes('recordingsMaxBytes', merged.recordingsMaxBytes),
    ffmpegPath: String(merged.ffmpegPath ?? '').trim() || DEFAULT_CONFIG.ffmpegPath,
    transcodeEncoder: oneOf('transcodeEncoder', merged.transcodeEncoder, TRANSCODE_ENCODERS),
    transcodeHwaccel: oneOf('transcodeHwaccel', merged.transcodeHwaccel, TRANSCODE_HWACCELS),
    transcodeDevice: String(merged.transcodeDevice ?? '').trim(),
  };
}

/** One of `choices` (case-insensitive), or INVALID_CONFIG naming them. */
function oneOf<T extends string>(key: keyof GatewayConfig, value: unknown, choices: readonly T[]): T {
  const text = String(value).trim().toLowerCase();
  if (!(choices as readonly string[]).includes(text)) {
    throw errors.invalidConfig(key, `"${String(value)}" is not one of ${choices.join(', ')}`);
  }
  return text as T;
}

/**
 * A PostgreSQL URL. Its text is never quoted in an error: it may hold the database password.
 */
function parseDatabaseUrl(value: ConfigInput['databaseUrl']): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  const url = urlOf(text);
  if (url === undefined || !/^postgres(?:ql)?:$/.test(url.protocol) || url.hostname === '') {
    throw errors.invalidConfig(
      'databaseUrl',
      'is not a PostgreSQL URL like postgres://camgate:<password>@db.example.com:5432/camgate',
    );
  }
  return text;
}

/** Node names: what logs, metrics and `status.node` show; letters, digits and `.-_:`. */
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function parseNodeId(value: ConfigInput['nodeId']): string {
  const text = String(value ?? '').trim();
  if (text !== '' && !NODE_ID.test(text)) {
    throw errors.invalidConfig(
      'nodeId',
      `"${text}" is not 1 to 128 letters, digits, dots, dashes, underscores or colons`,
    );
  }
  return text;
}

/** `http://10.0.0.5:8080`: where the other nodes send this node's viewers. */
function parseNodeUrl(value: ConfigInput['nodeUrl']): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  const url = urlOf(text);
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.username !== '' || url.search !== '') {
    throw errors.invalidConfig('nodeUrl', `"${text}" is not an http(s) URL like http://10.0.0.5:8080`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

const BYTE_SUFFIXES: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A size in bytes: a whole number, optionally with K, M, G or T (powers of 1024; `500G`, `2TiB`). */
export function parseBytes(field: string, value: ConfigInput['recordingsMaxBytes']): number {
  const match = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(String(value).trim());
  const n = match === null ? Number.NaN : Number(match[1]) * (BYTE_SUFFIXES[(match[2] ?? '').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(n)) {
    throw errors.invalidConfig(field, `"${String(value)}" is not a size in bytes such as 500000000000 or 500G`);
  }
  return n;
}

function parseCount(field: string, value: ConfigInput['nodeCapacity'], min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw errors.invalidConfig(field, `"${String(value)}" is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/**
 * 32 characters at least: a random key that long (`camgate keygen` makes 43 of base64url, 256
 * bits) has at least 2^128 values, so even a million addresses each guessing 10 keys a minute
 * (the API's limit) would need more than 10^25 years. A key is also refused with fewer than 10
 * different characters (`aaaa...`), spaces or control characters (it travels in a header).
 */
export const MIN_API_KEY_LENGTH = 32;
const MIN_API_KEY_DISTINCT = 10;

function parseApiKey(value: ConfigInput['apiKey'], field: 'apiKey' | 'metricsToken' = 'apiKey'): string {
  const key = String(value ?? '');
  if (key === '') return '';
  const fix = 'make one with `camgate keygen`';
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw errors.invalidConfig(field, `must be printable ASCII without spaces (${fix})`);
  }
  if (key.length < MIN_API_KEY_LENGTH || new Set(key).size < MIN_API_KEY_DISTINCT) {
    throw errors.invalidConfig(
      field,
      `is too easy to guess: use at least ${MIN_API_KEY_LENGTH} random characters (${fix})`,
    );
  }
  return key;
}

/** Hosts that serve this machine only: an open API there is the local demo, not a network service. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === 'localhost.' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** `https://cams.example.com` or `https://example.com/cams/`: kept with a trailing slash. */
function parsePublicUrl(value: ConfigInput['publicUrl']): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  const url = urlOf(text);
  if (
    url === undefined ||
    !/^https?:$/.test(url.protocol) ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw errors.invalidConfig(
      'publicUrl',
      `"${text}" is not an http(s) URL like https://cams.example.com or https://example.com/cams/ (no query, no credentials)`,
    );
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** A setting holding a list: comma-separated, blanks around items and empty items ignored. */
function commaList(value: string | number | boolean | undefined): string[] {
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `*`, or origins separated by commas: `https://example.com, http://localhost:3000`. */
function parseOrigins(value: ConfigInput['corsOrigins']): '*' | string[] {
  const list = commaList(value);
  if (list.length === 0 || list.includes('*')) return '*';
  for (const origin of list) {
    const parsed = urlOf(origin);
    if (parsed?.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
      throw errors.invalidConfig(
        'corsOrigins',
        `"${origin}" is not an origin like https://example.com (no path, no trailing slash)`,
      );
    }
  }
  return list;
}

/** `127.0.0.0/8, [::1]/128, 127.0.0.1:8554`: networks and endpoints cameras may use despite the address rules. */
function parseAllowlist(value: ConfigInput['cameraAllowlist']): string[] {
  const list = commaList(value);
  for (const entry of list) {
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    const network = cidr?.[1]?.replace(/^\[|\]$/g, '');
    const ok =
      cidr !== null
        ? network !== undefined && isIP(network) !== 0 && Number(cidr[2]) <= (isIP(network) === 4 ? 32 : 128)
        : /^(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:.]+\]):\d{1,5}$/.test(entry);
    if (!ok) throw errors.invalidConfig('cameraAllowlist', `"${entry}" is neither a CIDR nor an address:port`);
  }
  return list.map((entry) => entry.replace(/^\[([^\]]+)\]\/(\d+)$/, '$1/$2'));
}

/** `10.0.0.1, 192.168.0.0/16`: the reverse proxies in front of the gateway. */
function parseProxies(value: ConfigInput['trustProxy']): string[] {
  const list = commaList(value);
  for (const entry of list) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (
      family === 0 ||
      (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)))
    ) {
      throw errors.invalidConfig('trustProxy', `"${entry}" is not an address or CIDR`);
    }
  }
  return list;
}

function parseBoolean(field: string, value: ConfigInput['demo']): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw errors.invalidConfig(field, `"${String(value)}" is not true or false`);
}

/** Durations in whole milliseconds within the range players handle (Apple: parts 0.2-1 s-ish, segments 1-10 s). */
function parseMs(field: string, value: ConfigInput['partDurationMs'], min: number, max: number): number {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(ms) || ms < min || ms > max) {
    throw errors.invalidConfig(field, `"${String(value)}" is not a whole number of milliseconds from ${min} to ${max}`);
  }
  return ms;
}

function parseHost(value: ConfigInput['host']): string {
  const host = String(value).trim();
  if (host === '' || /[\s/@]/.test(host)) throw errors.invalidConfig('host', `"${host}" is not a host name or address`);
  return host;
}

function parsePort(value: ConfigInput['port']): number {
  const port = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw errors.invalidConfig('port', `"${String(value)}" is not a port number (0-65535)`);
  }
  return port;
}

function parseLogLevel(value: ConfigInput['logLevel']): LogLevel {
  const level = String(value).trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw errors.invalidConfig('logLevel', `"${String(value)}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevel;
}

/** `text` as a URL, or undefined when it is not one (the callers say why, in their own words). */
function urlOf(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
