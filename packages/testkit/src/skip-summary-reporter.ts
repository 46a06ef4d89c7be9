import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints every skipped test with its reason at the end of a run, so that an
 * interop test skipped for a missing tool (ffmpeg, Chromium, GStreamer) is
 * visible in the default reporter's output and not just counted.
 */
export class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const lines: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const reason = result.note ?? 'no reason given';
        lines.push(`  - ${module.project.name} > ${test.fullName}: ${reason}`);
      }
    }
    if (lines.length === 0) return;
    process.stdout.write(`\nSkipped tests (${lines.length}):\n${lines.join('\n')}\n`);
  }
}
