import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CameraManager } from '../cameras/camera-manager.js';
import type { CameraState, CameraStatus } from '../cameras/camera-pipeline.js';
import type { SnapshotStats } from '../snapshots/snapshot-service.js';
import type { RecordingTotals, Recordings } from '../recording/recordings.js';

/** What a cluster node reports of its lease upkeep (the LeaseKeeper's stats and readiness). */
export interface ClusterMetricsSource {
  ready: boolean;
  held: number;
  share: number;
  liveNodes: number;
  wanted: number;
  rounds: number;
  renewFailures: number;
  fences: number;
  claims: number;
  releases: number;
  lost: number;
}

const STATES: readonly CameraState[] = ['idle', 'connecting', 'streaming', 'retrying', 'failed', 'disabled'];

/**
 * 1 s between the event-loop delay monitor's samples (`camgate_nodejs_eventloop_lag_*`). prom-client
 * samples every 10 ms by default: a timer that wakes the process 100 times a second with no camera
 * at all, about 1 % of a core (issue 14). Sampled each second, the lag series still show a loop
 * that is stuck (a stall overlapping a sample); how busy the loop is comes from
 * `camgate_eventloop_active_seconds_total`, which costs no wake-up.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 1000;

/** GC kinds as perf_hooks numbers them (`major` is V8's mark-compact, `minor` a scavenge). */
const GC_KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/** Garbage collections of the process by kind since the first GatewayMetrics: counts and seconds. */
const gcTotals = new Map<string, { count: number; seconds: number }>();
let gcObserver: PerformanceObserver | undefined;

/**
 * Counts every GC entry, process-wide, with one observer however many registries there are.
 * prom-client's `nodejs_gc_duration_seconds` observes only the first entry of each batch the
 * observer is handed (prom-client 15.1), so under churn its counts fall far short (2 of 50 GCs in
 * a burst); mark-compacts are the figure of merit for the media path's memory (issue 14).
 */
function observeGc(): void {
  if (gcObserver !== undefined) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS.get(gcKind(entry)) ?? 'other';
      const totals = gcTotals.get(kind) ?? { count: 0, seconds: 0 };
      totals.count++;
      totals.seconds += entry.duration / 1000;
      gcTotals.set(kind, totals);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** The entry's GC kind: in `detail` since Node 16 (DEP0152). */
function gcKind(entry: PerformanceEntry): number {
  const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } | null };
  return detail?.kind ?? -1;
}

/**
 * Prometheus metrics, names prefixed `camgate_`, counters ending in `_total`, and the camera id as
 * the only per-camera label (never a URL: credentials must not reach a metric). Camera numbers are
 * read from the pipelines at scrape time; HLS traffic is counted as it is served.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'camera'>;
  readonly #bytesOut: Counter<'camera'>;
  /** Cameras with HLS series. */
  readonly #served = new Set<string>();

  constructor(cameras: CameraManager | undefined) {
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'camgate_',
      eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS,
    });
    this.#addProcess();
    const served = this.#served;
    const forget = (camera: string) => this.forget(camera);
    this.#requests = new Counter({
      name: 'camgate_hls_requests_total',
      help: 'HLS requests answered (playlists, init segments, parts, segments)',
      labelNames: ['camera'],
      registers: [this.registry],
      collect() {
        // A deleted camera's series go with it (its id may be reused for another camera).
        if (cameras === undefined) return;
        for (const camera of served) if (cameras.pipeline(camera) === undefined) forget(camera);
      },
    });
    this.#bytesOut = new Counter({
      name: 'camgate_hls_bytes_out_total',
      help: 'HLS bytes sent (bodies, before compression)',
      labelNames: ['camera'],
      registers: [this.registry],
    });
    if (cameras === undefined) return;

    // A camera's status is read by several series: made once per scrape (their collects run in
    // one turn of the event loop), not once per series.
    const statuses = new Map<string, CameraStatus | undefined>();
    const statusOf = (id: string): CameraStatus | undefined => {
      if (statuses.has(id)) return statuses.get(id);
      if (statuses.size === 0) setImmediate(() => statuses.clear());
      const status = cameras.pipeline(id)?.status();
      statuses.set(id, status);
      return status;
    };

    new Gauge({
      name: 'camgate_cameras',
      help: 'Cameras by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
        for (const pipeline of cameras.pipelines()) counts.set(pipeline.state, (counts.get(pipeline.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    const perCamera = (name: string, help: string, read: (id: string) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['camera'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const pipeline of cameras.pipelines()) {
            const value = read(pipeline.id);
            if (value !== undefined) this.set({ camera: pipeline.id }, value);
          }
        },
      });
    perCamera(
      'camgate_camera_viewers',
      'Players that requested the stream in the last 10 s',
      (id) => statusOf(id)?.viewers,
    );
    perCamera(
      'camgate_hls_blocked_requests',
      'Blocking playlist and part requests being held',
      (id) => cameras.pipeline(id)?.stream?.stats.waiting,
    );
    perCamera(
      'camgate_camera_bitrate_bits_per_second',
      'Received bitrate over the last 5 s',
      (id) => statusOf(id)?.bitrate,
    );

    const mirrored = (name: string, help: string, read: (status: CameraStatus) => number) => {
      // The last value exported per camera: the counter grows by the difference.
      const mirror = new Map<string, number>();
      return new Counter({
        name,
        help,
        labelNames: ['camera'],
        registers: [this.registry],
        collect() {
          const seen = new Set<string>();
          for (const pipeline of cameras.pipelines()) {
            seen.add(pipeline.id);
            const value = read(statusOf(pipeline.id) as CameraStatus);
            const before = mirror.get(pipeline.id) ?? 0;
            // Counters only grow; a recreated camera starts a new series from its own zero.
            if (value > before) this.inc({ camera: pipeline.id }, value - before);
            else if (value < before) this.remove({ camera: pipeline.id });
            mirror.set(pipeline.id, value);
          }
          for (const id of mirror.keys()) {
            if (seen.has(id)) continue;
            mirror.delete(id);
            this.remove({ camera: id });
          }
        },
      });
    };
    mirrored('camgate_camera_bytes_in_total', 'Media bytes received from the camera', (s) => s.bytesReceived);
    mirrored('camgate_camera_frames_total', 'Frames received from the camera', (s) => s.framesReceived);
    mirrored(
      'camgate_camera_dropped_frames_total',
      'Frames dropped (damaged, before a keyframe, unplayable)',
      (s) => s.framesDropped,
    );
    mirrored('camgate_camera_reconnects_total', 'Camera sessions started after the first', (s) => s.reconnects);
    /** A figure of the camera's stream plus its H.264 variant's; undefined while the camera has no stream. */
    const streamsTotal = (id: string, figure: 'bytesHeld' | 'bytesReserved') => {
      const pipeline = cameras.pipeline(id);
      const main = pipeline?.stream?.stats[figure];
      return main === undefined ? undefined : main + (pipeline?.transcoder?.stream?.stats[figure] ?? 0);
    };
    perCamera(
      'camgate_hls_bytes_held',
      'Media bytes the camera’s LL-HLS window holds in memory (listed and recently removed segments, init segments; the H.264 variant’s too)',
      (id) => streamsTotal(id, 'bytesHeld'),
    );
    perCamera(
      'camgate_hls_bytes_reserved',
      'Memory the camera’s LL-HLS streams keep for media: the window, parts leased to responses being sent, chunks kept for reuse',
      (id) => streamsTotal(id, 'bytesReserved'),
    );
    // Cameras set to transcode: "h264" only (undefined leaves others out of the series).
    perCamera(
      'camgate_transcode_cpu_percent',
      "The H.264 transcoder's (ffmpeg's) CPU use, percent of one core; 0 while it does not run",
      (id) => cameras.pipeline(id)?.transcoder?.status().cpuPercent,
    );
    perCamera(
      'camgate_transcode_running',
      '1 while the H.264 transcoder runs (someone watches the H.264 variant), else 0',
      (id) => {
        const state = cameras.pipeline(id)?.transcoder?.state;
        return state === undefined ? undefined : state === 'running' ? 1 : 0;
      },
    );
    mirrored(
      'camgate_transcode_dropped_frames_total',
      'Frames the H.264 transcoder did not turn into output (ffmpeg behind or restarting)',
      (s) => s.transcode?.framesDropped ?? 0,
    );
  }

  /** Process-wide numbers read at scrape time, none sampled in between (no wake-ups). */
  /** A gauge set from `value()` at each scrape. */
  #scrapedGauge(name: string, help: string, value: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(value());
      },
    });
  }

  /** A counter set from a count kept elsewhere (`value()`, never decreasing) at each scrape. */
  #scrapedCounter(name: string, help: string, value: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  }

  #addProcess(): void {
    observeGc();
    new Counter({
      name: 'camgate_eventloop_active_seconds_total',
      help: 'Time the event loop spent running callbacks (not waiting for events); its rate is the event-loop utilization, 0 to 1',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(performance.eventLoopUtilization().active / 1000);
      },
    });
    new Counter({
      name: 'camgate_gc_total',
      help: 'Garbage collections by kind (major: mark-compact, minor: scavenge, incremental, weakcb), every one counted',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [kind, { count }] of gcTotals) this.inc({ kind }, count);
      },
    });
    new Counter({
      name: 'camgate_gc_seconds_total',
      help: 'Time spent in garbage collection pauses by kind',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [kind, { seconds }] of gcTotals) this.inc({ kind }, seconds);
      },
    });
  }

  /**
   * A cluster node's lease upkeep (docs/deploy.md, "Several nodes on PostgreSQL"): what an SRE
   * alerts on is renewal failures and fences (the node could not prove it owns its cameras).
   */
  addCluster(read: () => ClusterMetricsSource): void {
    const gauge = (name: string, help: string, value: (s: ClusterMetricsSource) => number) => {
      this.#scrapedGauge(name, help, () => value(read()));
    };
    // Monotonic numbers the keeper counts: exposed as counters, set from its count at scrape time.
    const counter = (name: string, help: string, value: (s: ClusterMetricsSource) => number) => {
      this.#scrapedCounter(name, help, () => value(read()));
    };
    gauge('camgate_node_ready', '1 once the node has joined the cluster and reaches the database', (s) =>
      s.ready ? 1 : 0,
    );
    gauge('camgate_node_leases', 'Cameras this node holds the lease of (and pulls)', (s) => s.held);
    gauge(
      'camgate_node_fair_share',
      'Cameras each node should pull at most, from the last lease round',
      (s) => s.share,
    );
    gauge('camgate_cluster_nodes', 'Live nodes at the last lease round, this one included', (s) => s.liveNodes);
    gauge(
      'camgate_cluster_wanted_cameras',
      'Cameras the cluster should pull, at the last lease round',
      (s) => s.wanted,
    );
    counter('camgate_lease_rounds_total', 'Lease rounds that succeeded', (s) => s.rounds);
    counter(
      'camgate_lease_renew_failures_total',
      'Lease rounds that failed (the database unreachable or slow)',
      (s) => s.renewFailures,
    );
    counter(
      'camgate_lease_fences_total',
      'Times the node stopped pulling because it could not renew in time',
      (s) => s.fences,
    );
    counter('camgate_lease_claims_total', 'Leases claimed', (s) => s.claims);
    counter(
      'camgate_lease_releases_total',
      'Leases released (hand-overs, idle on-demand cameras, rebalancing)',
      (s) => s.releases,
    );
    counter('camgate_lease_lost_total', 'Leases a renewal found taken or deleted', (s) => s.lost);
  }

  /** The snapshot decoder's counts (snapshot-service.ts), read at scrape time; gateway-wide, no camera label. */
  addSnapshots(read: () => SnapshotStats): void {
    const counter = (name: string, help: string, value: (s: SnapshotStats) => number) => {
      this.#scrapedCounter(name, help, () => value(read()));
    };
    counter('camgate_snapshot_decodes_total', 'Snapshot decodes started (ffmpeg runs)', (s) => s.decodes);
    counter(
      'camgate_snapshot_failures_total',
      'Snapshot decodes that failed (ffmpeg refused the picture, timed out or could not run)',
      (s) => s.failures,
    );
    counter(
      'camgate_snapshot_shared_total',
      'Snapshot requests answered by another request’s decode or from the cache',
      (s) => s.shared,
    );
    counter('camgate_snapshot_refused_total', 'Snapshot requests refused: too many decodes waiting', (s) => s.refused);
  }

  /** The recordings' counts (recording/recordings.ts), read at scrape time; undefined while the gateway has none. */
  addRecordings(read: () => Recordings | undefined): void {
    const counter = (name: string, help: string, value: (t: RecordingTotals) => number) => {
      this.#scrapedCounter(name, help, () => {
        const recordings = read();
        return recordings === undefined ? 0 : value(recordings.totals);
      });
    };
    counter('camgate_recording_segments_total', 'Recorded segments written and indexed', (t) => t.segments);
    counter('camgate_recording_bytes_total', 'Bytes of recorded segments written', (t) => t.bytes);
    counter(
      'camgate_recording_dropped_segments_total',
      'Recorded segments lost: the disk failed (full, not writable) or was slower than the cameras',
      (t) => t.droppedSegments,
    );
    counter('camgate_recording_deleted_bytes_total', 'Bytes of recordings deleted by retention', (t) => t.removedBytes);
    const gauge = (name: string, help: string, value: (r: Recordings) => number) => {
      this.#scrapedGauge(name, help, () => {
        const recordings = read();
        return recordings === undefined ? 0 : value(recordings);
      });
    };
    gauge('camgate_recording_cameras', 'Cameras recording on this node', (r) => r.recording);
    gauge(
      'camgate_recording_failing_cameras',
      'Cameras whose recording fails now (see their status)',
      (r) => r.failing,
    );
    gauge('camgate_recordings_bytes', "Bytes of recordings on this node's disk (indexed)", (r) => r.storedBytes);
  }

  /** An HLS answer for `camera`: `bytes` of body. */
  served(camera: string, bytes: number): void {
    this.#served.add(camera);
    this.#requests.inc({ camera });
    if (bytes > 0) this.#bytesOut.inc({ camera }, bytes);
  }

  /** A camera was deleted: its series go. */
  forget(camera: string): void {
    this.#served.delete(camera);
    this.#requests.remove({ camera });
    this.#bytesOut.remove({ camera });
  }
}

/** `GET /metrics` in the Prometheus text format. */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: GatewayMetrics,
  guard?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
): void {
  app.get(
    '/metrics',
    { schema: { hide: true }, ...(guard === undefined ? {} : { onRequest: guard }) },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(text);
    },
  );
}
