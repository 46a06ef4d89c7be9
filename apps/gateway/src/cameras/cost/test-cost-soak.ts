/**
 * The memory soak of the cost benchmark (`pnpm bench:soak`): the gateway pulls
 * `CAMGATE_SOAK_CAMERAS` simulated cameras (default 10) for `CAMGATE_SOAK_MINUTES` (default 60),
 * its memory sampled every `CAMGATE_SOAK_SAMPLE_SECONDS` (default 60), and prints each sample and the
 * drift: the least-squares slope of resident and external memory over the run, per camera and hour.
 * "Flat over an hour" means the slope is within the noise of the samples, not growing with the media
 * that went through.
 *
 * A script rather than a vitest bench case: an hour is not a case to compare. (Earlier hour-long
 * runs gave no report because the gateway disconnected before its report was sent; it now waits.)
 * Run with `node --conditions=camgate-source --import tsx` (the package script does).
 */
import { CostDriver } from './test-cost-driver.js';
import type { CostReport } from './test-cost-gateway.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const cameras = env('CAMGATE_SOAK_CAMERAS', 10);
const minutes = env('CAMGATE_SOAK_MINUTES', 60);
const sampleSeconds = env('CAMGATE_SOAK_SAMPLE_SECONDS', 60);
/** As the cost benchmark: the windows fill before the first sample. */
const SETTLE_SECONDS = 45;

/** Least-squares slope of `y` over `x`. */
function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((x[i] as number) - mx) * ((y[i] as number) - my);
    den += ((x[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function drift(report: CostReport): string {
  const samples = report.samples;
  const hours = samples.map((s) => s.atSeconds / 3600);
  const line = (name: string, bytes: number[]) => {
    const mib = bytes.map((b) => b / 2 ** 20);
    const perHour = slope(hours, mib);
    return (
      `  ${name}: ${Math.min(...mib).toFixed(1)}-${Math.max(...mib).toFixed(1)} MiB, ` +
      `slope ${perHour.toFixed(2)} MiB per hour (${(perHour / report.cameras).toFixed(3)} per camera)`
    );
  };
  const figures = [
    ['resident', 'rss'],
    ['external', 'external'],
    ['heap used', 'heapUsed'],
    ['media held', 'mediaHeld'],
  ] as const;
  return [
    `\nThe gateway's memory over ${minutes} min with ${report.cameras} cameras (${samples.length} samples):`,
    ...figures.map(([name, key]) =>
      line(
        name,
        samples.map((s) => s[key]),
      ),
    ),
    '',
  ].join('\n');
}

// The gateway prints each sample as it takes it ("sample {...}"), so that a run cut short still reports.
process.env['CAMGATE_COST_PRINT_SAMPLES'] = '1';
const driver = await CostDriver.start(cameras);
try {
  await driver.runGateway(cameras, { settleSeconds: SETTLE_SECONDS, seconds: minutes * 60, sampleSeconds });
} finally {
  await driver.close();
}
process.stdout.write(driver.report());
const report = driver.runs.get(cameras)?.gateway;
if (report !== undefined) process.stdout.write(drift(report));
