import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SERVING_INTERRUPT_BUDGET, tuneV8Tiering } from './v8-tiering.js';

describe('tuneV8Tiering', () => {
  it.each([
    ['no flag of its own', [], SERVING_INTERRUPT_BUDGET],
    ['other flags', ['--conditions=camgate-source', '--max-old-space-size=512'], SERVING_INTERRUPT_BUDGET],
    ['--interrupt-budget=N', ['--interrupt-budget=67584'], undefined],
    ['--interrupt_budget=N', ['--interrupt_budget=1000'], undefined],
    ['--interrupt-budget N', ['--interrupt-budget', '67584'], undefined],
  ])('with %s sets %s', (_name, execArgv, expected) => {
    expect(tuneV8Tiering(execArgv)).toBe(expected);
  });

  it('makes V8 optimize a function after fewer runs of it', () => {
    // --trace-opt says after how many runs of a small function TurboFan was asked for it: tens of
    // runs with V8's budget, a few with ours. Bytecode budgets make this deterministic.
    const script = `
      const { setFlagsFromString } = require('node:v8');
      if (process.argv[1] === 'tuned') setFlagsFromString('--interrupt-budget=${SERVING_INTERRUPT_BUDGET}');
      function work(n) { let s = 0; for (let i = 0; i < 50; i++) s += (n * i) % 7; return s; }
      for (let runs = 1; runs <= 200; runs++) { work(runs); console.log('runs ' + runs); }
    `;
    const runsUntilMarked = (mode: string): number => {
      const out = spawnSync(process.execPath, ['--trace-opt', '-e', script, mode], { encoding: 'utf8' }).stdout;
      const lines = out.split('\n');
      const marked = lines.findIndex((line) => /marking .*<JSFunction work /.test(line));
      expect(marked).toBeGreaterThanOrEqual(0);
      const before = lines.slice(0, marked).filter((line) => line.startsWith('runs '));
      return before.length;
    };
    expect(runsUntilMarked('tuned')).toBeLessThan(runsUntilMarked('default'));
  });
});
