import { setFlagsFromString } from 'node:v8';

/**
 * V8's interrupt budget for a serving gateway: bytes of bytecode a function runs between two of
 * the tiering manager's looks at it, 8 KiB instead of V8's 66 KiB (Node 20; `--interrupt-budget`).
 *
 * Why: V8 optimizes a function after a few budgets' worth of its own bytecode (3 ticks plus one
 * per 150 bytes of its size), a rule made for web pages. A camera runs its per-part code (cutting,
 * fMP4 boxes, playlist state) five times a second, so with one camera that code took minutes to
 * leave the baseline tier, and every major GC that freed the hidden classes its optimized code
 * checked for (transient objects, V8's "weak objects" deoptimization) sent it back there. The
 * cost: one camera took 1.5-2.7% of a core, against about 0.2-0.25% for each camera added to ten.
 * Measured in pairs (docs/benchmarks.md, "Few cameras: V8's tiering"): one camera 10-21% less
 * CPU, three 13% less, ten 7% less on average over nine pairs (from 21% less to 4% more). The
 * price is compiling sooner what is warm, on V8's background thread.
 */
export const SERVING_INTERRUPT_BUDGET = 8 * 1024;

/**
 * Sets {@link SERVING_INTERRUPT_BUDGET} unless the process was started with an
 * `--interrupt-budget` of its own (`node --interrupt-budget=67584 dist/cli.js serve` measures
 * V8's default). Takes effect from each function's next tiering tick, so calling it when serving
 * starts is soon enough. Returns the budget in force if it set one.
 */
export function tuneV8Tiering(execArgv: readonly string[] = process.execArgv): number | undefined {
  if (execArgv.some((arg) => /^--interrupt[-_]budget(=|$)/.test(arg))) return undefined;
  setFlagsFromString(`--interrupt-budget=${SERVING_INTERRUPT_BUDGET}`);
  return SERVING_INTERRUPT_BUDGET;
}
