import { createRequire } from 'node:module';
import type * as PerfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CameraManager } from '../cameras/camera-manager.js';
import type { CameraStatus } from '../cameras/camera-pipeline.js';
import { EVENT_LOOP_MONITORING_PRECISION_MS, GatewayMetrics } from './metrics.js';

/**
 * The process-wide series /metrics adds to prom-client's defaults, and what they cost: no timer
 * that wakes the process many times a second. The camera series over real pipelines:
 * server.test.ts and the e2e tests.
 */

/** perf_hooks as prom-client requires it (CommonJS): its properties can be spied on. */
const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as typeof PerfHooks;

afterEach(() => {
  vi.restoreAllMocks();
});

/** The value of `name` with `labels` in the registry's text, or undefined. */
async function value(metrics: GatewayMetrics, name: string, labels = ''): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Short-lived garbage until a scavenge has been seen by the observer (its entries come after a turn of the loop). */
async function afterMinorGc(metrics: GatewayMetrics): Promise<number> {
  let keep: unknown[] = [];
  for (let round = 0; round < 100; round++) {
    for (let i = 0; i < 100_000; i++) {
      keep.push({ i });
      if (keep.length > 1000) keep = [];
    }
    await new Promise((resolve) => setImmediate(resolve));
    const count = await value(metrics, 'camgate_gc_total', 'kind="minor"');
    if (count !== undefined && count > 0) return count;
  }
  throw new Error('no scavenge seen');
}

describe('GatewayMetrics, process-wide series', () => {
  it(`samples event-loop delay every ${EVENT_LOOP_MONITORING_PRECISION_MS} ms, not prom-client's 10 ms, under the same names`, async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    const metrics = new GatewayMetrics(undefined);
    expect(monitor).toHaveBeenCalledWith({ resolution: EVENT_LOOP_MONITORING_PRECISION_MS });
    const text = await metrics.registry.metrics();
    for (const name of ['camgate_nodejs_eventloop_lag_seconds', 'camgate_nodejs_eventloop_lag_p99_seconds'])
      expect(text).toContain(`\n${name} `);
  });

  it('event-loop busy time, a counter whose rate is the utilization', async () => {
    const metrics = new GatewayMetrics(undefined);
    const first = (await value(metrics, 'camgate_eventloop_active_seconds_total')) ?? -1;
    expect(first).toBeGreaterThan(0);
    const spin = performance.now() + 20;
    while (performance.now() < spin) {
      // Busy: the loop is active.
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(await value(metrics, 'camgate_eventloop_active_seconds_total')).toBeGreaterThan(first + 0.015);
  });

  it('counts every garbage collection by kind, each registry the process-wide total', async () => {
    const metrics = new GatewayMetrics(undefined);
    const count = await afterMinorGc(metrics);
    expect(await value(metrics, 'camgate_gc_seconds_total', 'kind="minor"')).toBeGreaterThan(0);
    // Another registry (another server in the same process) reports the same totals.
    expect(await value(new GatewayMetrics(undefined), 'camgate_gc_total', 'kind="minor"')).toBeGreaterThanOrEqual(
      count,
    );
  });
});

describe('GatewayMetrics, per camera', () => {
  it('the media each camera’s window holds and the memory kept for it, its H.264 variant’s included; none for a camera without a stream', async () => {
    const status = { viewers: 0, bitrate: 0, bytesReceived: 0, framesReceived: 0, framesDropped: 0, reconnects: 0 };
    const pipelines = [
      {
        id: 'front',
        state: 'streaming',
        status: () => status as CameraStatus,
        stream: { stats: { bytesHeld: 1000, bytesReserved: 4000, waiting: 0 } },
        transcoder: {
          stream: { stats: { bytesHeld: 500, bytesReserved: 1000 } },
          status: () => ({ cpuPercent: 0 }),
          state: 'running',
        },
      },
      { id: 'back', state: 'idle', status: () => status as CameraStatus, stream: undefined, transcoder: undefined },
    ];
    const cameras = {
      pipelines: () => pipelines,
      pipeline: (id: string) => pipelines.find((p) => p.id === id),
    } as unknown as CameraManager;
    const metrics = new GatewayMetrics(cameras);
    expect(await value(metrics, 'camgate_hls_bytes_held', 'camera="front"')).toBe(1500);
    expect(await value(metrics, 'camgate_hls_bytes_reserved', 'camera="front"')).toBe(5000);
    expect(await value(metrics, 'camgate_hls_bytes_held', 'camera="back"')).toBeUndefined();
  });

  it('asks each camera for its status once per scrape, however many series read it', async () => {
    let calls = 0;
    const status = () => {
      calls++;
      return { viewers: 2, bitrate: 8000, bytesReceived: calls, framesReceived: 1, framesDropped: 0, reconnects: 0 };
    };
    const pipeline = { id: 'front', state: 'streaming', status, stream: undefined, transcoder: undefined };
    const cameras = {
      pipelines: () => [pipeline],
      pipeline: (id: string) => (id === 'front' ? pipeline : undefined),
    } as unknown as CameraManager;
    const metrics = new GatewayMetrics(cameras);
    expect(await value(metrics, 'camgate_camera_viewers', 'camera="front"')).toBe(2);
    expect(calls).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    // The next scrape asks again: its counters are current.
    expect(await value(metrics, 'camgate_camera_bytes_in_total', 'camera="front"')).toBe(2);
    expect(calls).toBe(2);
  });
});
