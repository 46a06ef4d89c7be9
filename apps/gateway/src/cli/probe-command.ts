import { parseArgs } from 'node:util';
import { RtspSession, type Frame, type TransportMode } from '@camgate/rtsp';
import { receiveFor } from '../cameras/camera-probe.js';
import { errors } from '../errors.js';
import { hlsTrackOf } from '../pipeline/hls-track.js';
import { trackStatusOf, type TrackStatus } from '../pipeline/track-status.js';
import { VERSION } from '../version.js';
import type { CliIo } from './io.js';

export const PROBE_USAGE = `Usage: camgate probe <rtsp-url> [options]

Connects to a camera, receives for a while and reports its tracks.

Options:
      --transport <mode>   auto (default), tcp or udp
      --duration <s>       seconds to receive (default 5)
      --json               print the report as one JSON object and nothing else
  -h, --help               show this help

Exit status: 0 when at least one track delivered frames, else 1 with the error on stderr.
No report when the camera could not be reached or described no track: only the error.
Credentials go in the URL (rtsp://user:password@host/path); they are never printed.
`;

export interface ProbeTrackReport extends TrackStatus {
  id: number;
  frames: number;
  keyframes: number;
  bytes: number;
  errors: Record<string, number>;
}

export interface ProbeReport {
  url: string;
  transport: 'tcp' | 'udp' | null;
  tracks: ProbeTrackReport[];
  unsupportedTracks: Array<{ kind: string; encoding?: string; reason: string }>;
  durationMs: number;
}

export async function probeCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        transport: { type: 'string' },
        duration: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw errors.usage(`${(err as Error).message}\n\n${PROBE_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout.write(PROBE_USAGE);
    return 0;
  }
  const url = positionals[0];
  if (url === undefined || positionals.length > 1) throw errors.usage(`expected one RTSP URL\n\n${PROBE_USAGE}`);
  const transport = (values.transport ?? 'auto') as TransportMode;
  if (!['auto', 'tcp', 'udp'].includes(transport)) throw errors.usage(`--transport must be auto, tcp or udp`);
  const seconds = Number(values.duration ?? '5');
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw errors.usage('--duration must be 0 < s <= 3600');

  const session = new RtspSession({ url, transport, userAgent: `camgate/${VERSION}` });
  const started = performance.now();
  let frames = 0;
  session.on('frame', (_frame: Frame) => frames++);
  const failure = await receiveFor(session, seconds * 1000, io.stop);
  const report = buildReport(session, performance.now() - started);
  await session.close();

  // A report of nothing (refused, wrong password, not RTSP) would only bury the error: skip it.
  if (report.tracks.length > 0 || report.unsupportedTracks.length > 0) {
    if (values.json === true) io.stdout.write(`${JSON.stringify(report)}\n`);
    else io.stdout.write(formatReport(report));
  }
  if (frames > 0) return 0;
  const error = failure ?? { code: 'RTSP_TIMEOUT', message: `no frames received in ${seconds} s` };
  io.stderr.write(`camgate probe: ${error.message} [${error.code}]\n`);
  return 1;
}

function buildReport(session: RtspSession, durationMs: number): ProbeReport {
  const stats = session.stats;
  return {
    url: session.url,
    transport: session.transport ?? null,
    tracks: session.tracks.map((track) => {
      const s = stats.tracks[track.id];
      return {
        id: track.id,
        ...trackStatusOf(track, hlsTrackOf(track)),
        frames: s?.frames ?? 0,
        keyframes: s?.keyframes ?? 0,
        bytes: s?.bytes ?? 0,
        errors: s?.errors ?? {},
      };
    }),
    unsupportedTracks: session.unsupportedTracks,
    durationMs: Math.round(durationMs),
  };
}

/** The human-readable report: a table of tracks (none without tracks), then those not received. */
export function formatReport(report: ProbeReport): string {
  const header = [
    'ID',
    'KIND',
    'CODEC',
    'CODEC STRING',
    'RESOLUTION',
    'FPS',
    'RATE',
    'CH',
    'DELIVERED',
    'BROWSERS',
    'FRAMES',
    'KEYFRAMES',
    'BYTES',
    'ERRORS',
  ];
  const rows = report.tracks.map((t) => [
    String(t.id),
    t.kind,
    t.codec,
    t.codecString,
    t.width !== undefined && t.height !== undefined ? `${t.width}x${t.height}` : '-',
    t.fps === undefined ? '-' : String(Math.round(t.fps * 100) / 100),
    t.sampleRate === undefined ? '-' : String(t.sampleRate),
    t.channels === undefined ? '-' : String(t.channels),
    t.delivered?.codecString ?? '-',
    t.browsers,
    String(t.frames),
    String(t.keyframes),
    formatBytes(t.bytes),
    Object.entries(t.errors)
      .map(([code, n]) => `${code}x${n}`)
      .join(' ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()}\n`;
  let out = `${report.url} (${report.transport ?? 'not connected'}, ${(report.durationMs / 1000).toFixed(1)} s)\n\n`;
  if (rows.length > 0) out += line(header);
  for (const row of rows) out += line(row);
  // Tracks not every browser plays: which do, and why a track is left out.
  for (const t of report.tracks) {
    if (t.browsers !== 'all')
      out += `track ${t.id}: ${t.browserSupport}${t.reason === undefined ? '' : ` ${t.reason}`}\n`;
  }
  for (const u of report.unsupportedTracks)
    out += `not received: ${u.kind}${u.encoding === undefined ? '' : ` (${u.encoding})`}: ${u.reason}\n`;
  return out;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
