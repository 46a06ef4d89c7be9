import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints every test skipped with a reason (`ctx.skip(note)`) at the end of a run, so that an
 * interop test skipped for a missing tool (ffmpeg, Chromium, GStreamer) is
 * visible in the default reporter's output and not just counted.
 */
export class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const lines: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        // Tests skipped by a name filter or .skip carry no note; only reasoned skips are listed.
        if (result.state !== 'skipped' || result.note === undefined) continue;
        lines.push(`  - ${module.project.name} > ${test.fullName}: ${result.note}`);
      }
    }
    if (lines.length === 0) return;
    process.stdout.write(`\nSkipped tests (${lines.length}):\n${lines.join('\n')}\n`);
  }
}
