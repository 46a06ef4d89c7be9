import { afterAll, beforeAll, bench, describe } from 'vitest';
import { CostDriver } from './cost/test-cost-driver.js';

/**
 * What a camera costs the gateway, against the usual alternative: one ffmpeg process per camera
 * (`-c copy` to fMP4 HLS, no transcoding). Three processes, measured from /proc, so that nothing
 * is subtracted (cost/test-cost-driver.ts): the simulated cameras (cost/test-cost-camsim.ts: one mount per
 * camera, not in phase, 4 Mbit/s H.264 + AAC over RTSP/TCP), the gateway (cost/test-cost-gateway.ts:
 * the CameraManager the gateway runs, with GC, wake-up and part-publish probes), and the ffmpeg
 * processes. For each count of cameras, ffmpeg and the gateway run side by side on the same core(s),
 * each pulling its own cameras, measured over the same window (the CPU ratio), then the gateway alone
 * (its latency and the rest); then a large count runs the gateway alone. A macro benchmark: each case
 * is one real-time run, so tinybench's own figures are wall time; the comparison is written to
 * stdout. The hour-long memory soak is a script of its own (cost/test-cost-soak.ts, `pnpm bench:soak`).
 *
 * CAMGATE_BENCH_CAMERAS (default "10,50"; empty: none), CAMGATE_BENCH_SOLO_CAMERAS (default 200, 0: none),
 * CAMGATE_BENCH_SECONDS (default 30), CAMGATE_BENCH_SETTLE_SECONDS (default 45), CAMGATE_BENCH_PIN
 * (0: no core pinning), CAMGATE_COST_GATEWAY_FLAGS (Node flags for the gateway's process, to profile
 * it) and CAMGATE_READ_BATCH_MS (the gateway's setting) change the run.
 */
const COUNTS = (process.env['CAMGATE_BENCH_CAMERAS'] ?? '10,50')
  .split(',')
  .filter((count) => count.trim() !== '')
  .map(Number);
const SOLO = Number(process.env['CAMGATE_BENCH_SOLO_CAMERAS'] ?? 200);
const SECONDS = Number(process.env['CAMGATE_BENCH_SECONDS'] ?? 30);
/**
 * The gateway's windows fill before measuring: 7 listed segments of 1.6 s, then those removed but
 * still available (rfc8216bis §6.2.2: their duration plus the playlist's, 12.8 s), about 25 s of
 * media, and the part arenas settle on their chunk count. Measured earlier, the growing windows' fresh
 * pages (a page fault per 4 KiB) and external memory (mark-compacts) doubled the CPU figure.
 */
const SETTLE_SECONDS = Number(process.env['CAMGATE_BENCH_SETTLE_SECONDS'] ?? 45);
const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

let driver: CostDriver;

beforeAll(async () => {
  // Side by side, ffmpeg pulls cameras of its own: twice the count.
  driver = await CostDriver.start(Math.max(...COUNTS.map((count) => 2 * count), SOLO));
}, 60_000);

afterAll(async () => {
  await driver.close();
  process.stdout.write(driver.report());
});

describe('cameras pulled by ffmpeg processes and by the gateway', () => {
  const gateway = (count: number) => () =>
    driver.runGateway(count, { settleSeconds: SETTLE_SECONDS, seconds: SECONDS });
  // The process's own cost (HTTP server, metrics, timers) without cameras: what the first camera adds to.
  bench(
    'camgate idle: the gateway process without cameras',
    () => driver.runGateway(0, { settleSeconds: 0, seconds: Math.min(SECONDS, 20) }),
    once,
  );
  for (const count of COUNTS) {
    bench(
      `camgate: ${count} cameras in one process, beside the baseline: ${count} ffmpeg processes (-c copy, fMP4 HLS)`,
      () => driver.runSideBySide(count, { settleSeconds: SETTLE_SECONDS, seconds: SECONDS }),
      once,
    );
    // Alone: part-publish latency without 50 ffmpeg processes competing for the core.
    bench(`camgate alone: ${count} cameras in one process`, gateway(count), once);
  }
  if (SOLO > 0) bench(`camgate alone: ${SOLO} cameras in one process`, gateway(SOLO), once);
});
