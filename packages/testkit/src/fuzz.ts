/**
 * How many inputs each property/fuzz test runs. CI keeps it short; `pnpm fuzz`
 * sets CAMGATE_FUZZ_RUNS=1000000 for a long run over the same properties.
 */
export function fuzzRuns(ciDefault = 2_000): number {
  const fromEnv = Number(process.env['CAMGATE_FUZZ_RUNS']);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : ciDefault;
}

/** Per-test timeout that grows with the number of runs (1 ms per input, at least 20 s). */
export function fuzzTimeout(runs = fuzzRuns()): number {
  return Math.max(20_000, runs);
}
